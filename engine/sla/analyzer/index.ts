/** The Performance Analyzer: a pure control law (PARDA's latency ratio on mClock's reservation/limit/weight tags) and its stateful shell. */
export {
  analyzeInterval,
  initialAnalyzerState,
  pairKey,
  MIN_CUT,
  INITIAL_RESTORE_STEP,
  MIN_RESTORE_STEP,
  ACTIVE_IOPS,
  QUEUED_DEPTH,
  type AnalyzerInput,
  type AnalyzerState,
  type AnalysisResult,
  type GatewayStats,
  type PairCap,
  type CapChange,
  type ChangeKind,
  type ClassStatus,
  type ClassState,
  type Violation,
  type Measurement,
  type AnalyzerAlert,
} from './analyzer.js';
export { PerformanceAnalyzer } from './performance-analyzer.js';
export { modelInterval, type ModelPair, type ModelBackend, type StorageModel } from './storage-model.js';
