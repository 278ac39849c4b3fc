export {
  analyticTable, memoryCpi, contendedCpi, contentionFactor, contentionFactorOf, mvaCpi, parseCpuRange, checkAnalyticParams,
  table1Hierarchy, defaultAnalyticParams, ioModels,
  type AnalyticParams, type AnalyticRow, type IoModel, type MemoryHierarchy, type MemoryCpi,
} from './analytic.js';
export {
  ScenarioSchema, ScenarioError, validateScenario, parseScenario, loadScenario,
  type Scenario, type ThreadSpec, type AutoPilotTunables,
} from './scenario-schema.js';
export { resolveScenario, SpeedModel, defaultAutoPilot, type Machine, type SimThread, type Phase, type AutoPilotSettings, type ResolvedScenario } from './model.js';
export { runSimulation, downsample, type RunMetrics, type RunOptions, type ThreadResult, type BusSeries, type DispatcherKind } from './simulator.js';
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
