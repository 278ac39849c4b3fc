// Only types from the schema module: workers load this file, and keeping ajv and the logger out of
// them cut a worker's start from about half a second to a few milliseconds' worth of imports.
import type { Scenario } from './scenario-schema.js';
import { simulateScenario } from './simulate.js';

/** One row of a sweep: the parameter values of the grid point, then the outcome under each dispatcher. */
export type SweepRow = Record<string, number | string | null>;

/** The scenario at one grid point: `base` with each dotted path set to its value. */
export function scenarioAt(base: Scenario, assignment: readonly (readonly [string, number])[]): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  for (const [path, value] of assignment) {
    const keys = path.split('.');
    let node: Record<string, unknown> = copy;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node[key] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new RangeError(`cannot set ${path}: ${key} is not an object`);
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  }
  return copy;
}

/** Simulate one validated grid point (pure; runs in a worker thread or in-process). */
export function evaluatePoint(scenario: Scenario, assignment: readonly (readonly [string, number])[]): SweepRow {
  const r = simulateScenario(scenario, { recordSeries: false });
  const row: SweepRow = {};
  for (const [path, value] of assignment) row[path] = value;
  row.bus = r.bus;
  row.autopilotVariant = r.autopilot.variant;
  row.standardThroughput = r.standard.throughput;
  row.autopilotThroughput = r.autopilot.throughput;
  row.autopilotVsStandard = r.comparison.autopilotVsStandard;
  row.oracleThroughput = r.oracle?.throughput ?? null;
  row.autopilotVsOracle = r.comparison.autopilotVsOracle;
  row.standardMakespan = r.standard.makespan;
  row.autopilotMakespan = r.autopilot.makespan;
  row.standardSlowdownWorst = r.standard.slowdownWorst;
  row.autopilotSlowdownWorst = r.autopilot.slowdownWorst;
  row.standardOverCommitted = r.standard.overCommittedFraction;
  row.autopilotOverCommitted = r.autopilot.overCommittedFraction;
  row.standardIdle = r.standard.cpuIdleFraction;
  row.autopilotIdle = r.autopilot.cpuIdleFraction;
  row.autopilotMaxPassOvers = r.autopilot.maxPassOvers;
  row.decisions = r.standard.decisions + r.autopilot.decisions;
  return row;
}
