export { NbdGateway, type GatewayOptions, type GatewayEvent, type LunDefinition, type ThrottleTarget, type AppliedLimit } from './gateway.js';
export type { BlockBackend, BackendIo, BackendHealth } from './backend.js';
export { openFileBackend, type FileBackendOptions } from './file-backend.js';
export { openUpstreamBackend, DEFAULT_UPSTREAM_TIMEOUT_MS, type UpstreamTarget, type UpstreamPoolOptions } from './upstream.js';
export { openExport, type UpstreamSettings } from './open-export.js';
export { ByteBudget, DEFAULT_CONNECTION_INFLIGHT_BYTES, DEFAULT_GATEWAY_INFLIGHT_BYTES } from './byte-budget.js';
export { DEFAULT_MAX_PAYLOAD } from './nbd-constants.js';
export { RawNbdClient, requestHeader, optionHeader } from './raw-client.js';
export { fuzzGateway, soakGateway, GUARD_BYTES, type FuzzOptions, type FuzzCounts, type SoakOptions } from './fuzz.js';
export { HandshakeSession, isRefusal, type ExportCatalog, type ExportDescription, type ExportRefusal, type HandshakeStep } from './handshake.js';
export { RequestParser, type RequestSink } from './request-parser.js';
export { ThrottleGate, realClock, type ThrottleClock, type ThrottleLimits } from './throttle.js';
export { EntityStats, LATENCY_BUCKET_BOUNDS_US, type IntervalStats, type LatencySummary, type LifetimeStats, type LifetimeLatency, type StatsKind } from './stats.js';
export { compileAttributionRule, splitExportName, type AttributionRule, type Attribution, type Evidence, type HostRange, type Resolution } from './attribution.js';
export { AccessLists, type AccessMode, type AccessRule } from './access.js';
export { BoundNotices, DEFAULT_LIMITS, type ConnectionLimits } from './limits.js';
export { certificateProblem, loadServerTls, parsePskFile, TlsConfigError, type ServerTls, type TlsMode, type TlsSettings } from './tls.js';
export {
  parseExportSpec, parseLimitSpec, parseHostRange, parseAllowSpec, parseHostPort, parseSize, GatewayConfigError,
  type ExportSpec, type LimitSpec,
} from './config.js';
export { benchGateway, type GatewayBenchResult, type GatewayBenchOptions, type FioFigures } from './bench.js';
export { ControlAgent, statsEntries, throttleTargetOf, type ControlAgentOptions, type GatewayControlSurface, type AgentState } from './agent.js';
