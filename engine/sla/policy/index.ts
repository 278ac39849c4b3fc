/** The SLA policy language: one schema (for the validator and the editor), the checker, and the manager of applied versions. */
export {
  PolicySchema,
  policyJsonSchema,
  policyFieldDocs,
  docForPath,
  POLICY_FORMAT_VERSION,
  type PolicyDocument,
  type ServiceClass,
  type Binding,
  type GatewayEntry,
  type LatencyTarget,
  type AtRisk,
  type Rate,
  type AccessEntry,
  type AccessGrant,
  MAX_ACCESS_ENTRIES,
  MAX_ACCESS_HOSTS_PER_LUN,
} from './schema.js';
export { accessListsFor, accessProblems, type AccessProblem } from './access.js';
export { checkPolicy, MAX_POLICY_BYTES, type PolicyDiagnostic, type DiagnosticSeverity, type CheckOptions, type CheckResult } from './check.js';
export { resolvePolicy, classOf, ratePair, type Policy, type ResolvedClass, type RatePair, type AlertLevel } from './resolve.js';
export { policyHoverAt, type PolicyHover } from './hover.js';
export { policyCompletionsAt, type PolicyCompletion } from './completion.js';
export { PolicyManager, type PolicyVersion, type ApplyResult, type GatewayAdmission, type PolicyManagerOptions } from './manager.js';
