import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ACCESS_MAX_HOSTS_PER_LUN, ACCESS_MAX_LUNS, GATEWAY_ID_MAX_LENGTH, GATEWAY_ID_PATTERN } from '../../protocol/index.js';

/**
 * The one schema of the policy language. The engine validates with it (ajv) and the editor
 * (Monaco) gets the same object from `policyJsonSchema`, so completion, hover text and inline
 * errors never disagree with what `apply` accepts.
 */

export const POLICY_FORMAT_VERSION = 1;

// An enum of strings rather than a union of literals: ajv then reports one "must be one of"
// error instead of one per literal, and Monaco offers the values as completions.
function StringEnum<T extends string>(values: readonly T[], description: string): TSchema & { static: T } {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description });
}

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:/-]*$', description });
/** The daemon checks every hello against the same pattern. */
const GatewayId = (description: string) => Type.String({ minLength: 1, maxLength: GATEWAY_ID_MAX_LENGTH, pattern: GATEWAY_ID_PATTERN.source, description });

const RateSchema = (description: string) => Type.Object({
  iops: Type.Optional(Type.Number({ minimum: 0, maximum: 1e9, description: 'I/O operations per second. 0 or absent: no bound on IOPS.' })),
  mbps: Type.Optional(Type.Number({ minimum: 0, maximum: 1e7, description: 'Megabytes (10^6 bytes) per second. 0 or absent: no bound on bandwidth.' })),
}, { additionalProperties: false, description });
export type Rate = Static<ReturnType<typeof RateSchema>>;

export const LatencyTargetSchema = Type.Object({
  percentile: StringEnum(['p95', 'p99'] as const, 'Which latency percentile the gateways report is held to the target: p95 or p99.'),
  ms: Type.Number({ exclusiveMinimum: 0, maximum: 600_000, description: 'Target in milliseconds: the class is at risk when the chosen percentile of any of its hosts exceeds it.' }),
}, { additionalProperties: false });
export type LatencyTarget = Static<typeof LatencyTargetSchema>;

export const ServiceClassSchema = Type.Object({
  name: Name('Name of the service class (e.g. gold, silver, bronze); bindings refer to it.'),
  description: Type.Optional(Type.String({ maxLength: 1000, description: 'Free text shown in the Monitor.' })),
  priority: Type.Integer({ minimum: 1, maximum: 100, description: 'Importance: 1 is the most important. To protect a class at risk, only classes with a larger number are throttled.' }),
  reservation: Type.Optional(RateSchema('Guaranteed rate for each bound host and LUN (mClock\'s reservation): protected like a latency target, and never throttled away.')),
  limit: Type.Optional(RateSchema('Hard cap for each bound host and LUN (mClock\'s limit), applied at all times.')),
  weight: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10_000, description: 'Share among classes of the same priority (mClock\'s weight): when they must give way, a class gives up throughput in inverse proportion to its weight. Default 1.' })),
  latencyTarget: Type.Optional(LatencyTargetSchema),
  throttleable: Type.Optional(Type.Boolean({ description: 'May the analyzer throttle this class to protect more important ones? Default false.' })),
  floor: Type.Optional(RateSchema('For each host and LUN: throttling never caps it below this rate.')),
}, { additionalProperties: false });
export type ServiceClass = Static<typeof ServiceClassSchema>;

export const BindingSchema = Type.Object({
  host: Name('Application host as the gateway reports it (the NBD client\'s name).'),
  lun: Type.Optional(Name('LUN (export name, e.g. gold/lun0). Absent: every LUN the host uses.')),
  gateway: Type.Optional(GatewayId('Gateway id. Absent: on every gateway.')),
  class: Name('Service class of this host (and LUN).'),
}, { additionalProperties: false });
export type Binding = Static<typeof BindingSchema>;

export const GatewaySchema = Type.Object({
  id: GatewayId('Gateway id, as the gateway announces itself in hello.'),
  address: Type.Optional(Type.String({ minLength: 3, maxLength: 300, pattern: '^[^\\s:]+:[0-9]{1,5}$', description: 'host:port of the gateway\'s control port, dialled by the daemon. Omit it for a gateway that connects to the server itself (headroom gateway --server).' })),
  secretFile: Type.String({ minLength: 1, maxLength: 4096, description: 'File holding the shared secret for the gateway\'s HMAC authentication. Secrets are never written in the policy.' }),
  capacity: Type.Optional(RateSchema('Known capacity of the storage behind this gateway: reservations must fit in it.')),
}, { additionalProperties: false });
export type GatewayEntry = Static<typeof GatewaySchema>;

/** Bounds on access lists: the protocol's, so that the lists for any gateway fit in one control message (the checker bounds the total). */
export const MAX_ACCESS_ENTRIES = ACCESS_MAX_LUNS;
export const MAX_ACCESS_HOSTS_PER_LUN = ACCESS_MAX_HOSTS_PER_LUN;

export const AccessGrantSchema = Type.Object({
  host: Type.String({ minLength: 1, maxLength: 100, pattern: '^(\\*|[A-Za-z0-9][A-Za-z0-9_.:-]*)$', description: 'Application host that may open the LUN, as the gateway knows it (TLS identity, --host-range name, or HOST in HOST/LUN); * is any host.' }),
  mode: Type.Optional(StringEnum(['rw', 'ro'] as const, 'rw: read and write (the default); ro: the LUN is advertised read-only to this host and its writes get EPERM.')),
}, { additionalProperties: false });
export type AccessGrant = Static<typeof AccessGrantSchema>;

export const AccessEntrySchema = Type.Object({
  lun: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$', description: 'LUN (the gateway\'s export name, without HOST/) whose access this list sets, as --allow LUN=... does on the gateway.' }),
  gateway: Type.Optional(GatewayId('Gateway id. Absent: this LUN on every gateway (a list naming the gateway wins over one for every gateway).')),
  hosts: Type.Array(AccessGrantSchema, { maxItems: MAX_ACCESS_HOSTS_PER_LUN, description: 'The hosts that may open the LUN, each rw or ro; no other host may. An empty list closes the LUN to every host.' }),
}, { additionalProperties: false });
export type AccessEntry = Static<typeof AccessEntrySchema>;

export const AtRiskSchema = Type.Object({
  throttleLowerClasses: Type.Optional(Type.Boolean({ description: 'Throttle throttleable classes of lower priority, down to their floors. Default true.' })),
  alert: Type.Optional(StringEnum(['none', 'info', 'warning', 'critical'] as const, 'Raise an alert of this severity while a class is at risk. Default warning.')),
  restoreBelow: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Hysteresis: throttled capacity is given back only when the protected class\'s latency is below this fraction of its target. Default 0.7.' })),
  restoreAfterIntervals: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Hysteresis: consecutive healthy intervals before a restore step. Default 2.' })),
}, { additionalProperties: false });
export type AtRisk = Static<typeof AtRiskSchema>;

export const PolicySchema = Type.Object({
  $schema: Type.Optional(Type.String({ description: 'Optional schema reference for editors.' })),
  version: Type.Literal(POLICY_FORMAT_VERSION, { description: 'Policy format version; this Headroom reads 1.' }),
  name: Type.Optional(Type.String({ maxLength: 200, description: 'Name shown in the Policies view and in the history.' })),
  pollIntervalMs: Type.Integer({ minimum: 100, maximum: 3_600_000, description: 'How often the daemon polls every gateway, in milliseconds; the analyzer runs once per interval.' }),
  classes: Type.Array(ServiceClassSchema, { minItems: 1, maxItems: 100, description: 'Service classes, such as gold, silver and bronze.' }),
  bindings: Type.Array(BindingSchema, { maxItems: 100_000, description: 'Which application hosts (and LUNs) belong to which class.' }),
  atRisk: Type.Optional(AtRiskSchema),
  access: Type.Optional(Type.Array(AccessEntrySchema, { maxItems: MAX_ACCESS_ENTRIES, description: 'Per-LUN access lists the SLA server sends to its gateways: a LUN listed here opens only to its hosts (replacing the gateway\'s own --allow list for that LUN); a LUN not listed keeps the gateway\'s --allow list, or is open to every host.' })),
  gateways: Type.Array(GatewaySchema, { maxItems: 100_000, description: 'Gateways the daemon dials.' }),
  server: Type.Optional(Type.Object({
    listenHost: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Address the SLA server may listen on for gateways that connect to it. Without it the server listens on loopback (127.0.0.1) only; name 0.0.0.0, :: or a LAN address to accept gateways from other machines.' })),
  }, { additionalProperties: false, description: 'How the SLA server itself is reached.' })),
}, { additionalProperties: false, description: 'A Headroom SLA policy.' });
export type PolicyDocument = Static<typeof PolicySchema>;

/** The JSON Schema for editors (Monaco's setDiagnosticsOptions / a YAML language service). */
export const policyJsonSchema: Readonly<Record<string, unknown>> = JSON.parse(JSON.stringify(PolicySchema)) as Record<string, unknown>;

/**
 * Hover text per field, keyed by a path pattern with `[]` for array items
 * (`classes[].latencyTarget.ms`). Built from the schema so the two never drift.
 */
export const policyFieldDocs: Readonly<Record<string, string>> = buildFieldDocs(policyJsonSchema);

function buildFieldDocs(root: Record<string, unknown>): Record<string, string> {
  const docs: Record<string, string> = {};
  const walk = (node: unknown, at: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as { description?: unknown; properties?: Record<string, unknown>; items?: unknown; allOf?: unknown[] };
    if (typeof n.description === 'string' && docs[at || '$'] === undefined) docs[at || '$'] = n.description;
    for (const [key, child] of Object.entries(n.properties ?? {})) walk(child, at ? `${at}.${key}` : key);
    if (n.items !== undefined) walk(n.items, `${at}[]`);
    for (const part of n.allOf ?? []) walk(part, at);
  };
  walk(root, '');
  return docs;
}

/** Hover text for a concrete path such as ['classes', 0, 'floor', 'iops']. */
export function docForPath(path: readonly (string | number)[]): string | undefined {
  let key = '';
  for (const seg of path) key = typeof seg === 'number' ? `${key}[]` : key ? `${key}.${seg}` : seg;
  return policyFieldDocs[key || '$'];
}
