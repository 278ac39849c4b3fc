export {
  analyticTable, memoryCpi, contendedCpi, contentionFactor, contentionFactorOf, mvaCpi, parseCpuRange, checkAnalyticParams,
  table1Hierarchy, defaultAnalyticParams, ioModels,
  type AnalyticParams, type AnalyticRow, type IoModel, type MemoryHierarchy, type MemoryCpi,
} from './analytic.js';
export {
  ScenarioSchema, BusLawSchema, QueueingParametersSchema, ScenarioError, validateScenario, parseScenario, loadScenario,
  type Scenario, type ThreadSpec, type AutoPilotTunables,
} from './scenario-schema.js';
export { resolveScenario, busLawFor, defaultAutoPilot, defaultQueueingParameters, type Machine, type SimThread, type Phase, type AutoPilotSettings, type ResolvedScenario } from './model.js';
export { runSimulation, downsample, type RunMetrics, type RunOptions, type ThreadResult, type BusSeries, type DispatcherKind, type DecisionTrace } from './simulator.js';
export * from './bus/index.js';
export { autoPilotVariants, type AutoPilotVariant } from './dispatch/index.js';
export { fluidOracle, type OracleResult, type CoSchedule } from './oracle.js';
export { simulateScenario, type ScenarioResult } from './simulate.js';
export { createRng, type Rng } from './prng.js';
export { runSweep, loadSweep, gridPoints, SweepSchema, MAX_SWEEP_POINTS, type SweepSpec, type SweepFile, type SweepOptions, type SweepProgress } from './sweep.js';
export { evaluatePoint, scenarioAt, type SweepRow } from './sweep-point.js';
export { benchSmp, type SmpBenchResult, type DecisionRate } from './bench.js';
export { simulateScenarioValue } from './api.js';
export { sweepSpecFrom } from './sweep.js';
export { simulatorAgreement, type AgreementRow } from './agreement.js';
export * from './probe/index.js';
export { lawTable, queueingAgreement, type LawRow, type LawTableParams, type LawAgreementRow } from './law-table.js';
export { autopilotGain, gainTableRows, distribution, suiteWorkload, SUITE_ORACLE_MAX_SUBSETS, type GainReport, type GainRow, type GainOptions, type Distribution } from './gain.js';
