import { resolveScenario, type AutoPilotSettings, type Machine } from './model.js';
import { runSimulation, type RunMetrics, type RunOptions } from './simulator.js';
import { fluidOracle, type OracleResult } from './oracle.js';
import type { Scenario } from './scenario-schema.js';
import { busLawLabels, type BusLawId } from './bus/index.js';

export interface ScenarioResult {
  name: string;
  /** The bus law every figure below comes from, and the line that says so. */
  bus: BusLawId;
  busLabel: string;
  machine: Machine;
  autopilotSettings: AutoPilotSettings;
  threadCount: number;
  standard: RunMetrics;
  autopilot: RunMetrics;
  /** The best possible schedule, when the job set is small enough for exhaustive co-schedule search. */
  oracle: OracleResult | null;
  comparison: {
    /** AutoPilot's throughput over the standard dispatcher's. */
    autopilotVsStandard: number;
    /** AutoPilot's throughput as a fraction of the oracle's (null without an oracle). */
    autopilotVsOracle: number | null;
    standardVsOracle: number | null;
  };
}

/** Run a (validated) scenario under the standard dispatcher, AutoPilot and, where small, the oracle. */
export function simulateScenario(scenario: Scenario, options: RunOptions = {}): ScenarioResult {
  const r = resolveScenario(scenario);
  const opts: RunOptions = { recordSeries: true, maxPoints: 500, ...options };
  const standard = runSimulation(r.machine, r.threads, 'standard', r.autopilot, opts);
  const autopilot = runSimulation(r.machine, r.threads, 'autopilot', r.autopilot, opts);
  const oracle = fluidOracle(r.machine, r.threads, r.oracleMaxThreads);
  const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);
  return {
    name: r.name,
    bus: r.machine.bus.law,
    busLabel: busLawLabels[r.machine.bus.law],
    machine: r.machine,
    autopilotSettings: r.autopilot,
    threadCount: r.threads.length,
    standard,
    autopilot,
    oracle,
    comparison: {
      autopilotVsStandard: ratio(autopilot.throughput, standard.throughput),
      autopilotVsOracle: oracle ? ratio(autopilot.throughput, oracle.throughput) : null,
      standardVsOracle: oracle ? ratio(standard.throughput, oracle.throughput) : null,
    },
  };
}
