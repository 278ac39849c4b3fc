import { busLawLabels, type BusLawId } from './bus/index.js';
import type { AutoPilotVariant } from './dispatch/index.js';
import { resolveScenario } from './model.js';
import { fluidOracle } from './oracle.js';
import { createRng } from './prng.js';
import type { Scenario } from './scenario-schema.js';
import { runSimulation } from './simulator.js';

/** The suite runs the oracle on job sets of at most this many co-schedules, to keep 1,000 workloads to seconds. */
export const SUITE_ORACLE_MAX_SUBSETS = 400;

/** Quantiles of one measure over a set of workloads. */
export interface Distribution {
  count: number;
  min: number;
  p10: number;
  median: number;
  p90: number;
  max: number;
  mean: number;
}

export interface GainRow {
  /** "suite" (the seeded random workloads) or a named scenario. */
  scope: string;
  bus: BusLawId;
  variant: AutoPilotVariant;
  workloads: number;
  /** AutoPilot's throughput over the standard dispatcher's. */
  autopilotVsStandard: Distribution;
  /** Share of workloads where AutoPilot beat the standard dispatcher by more than 0.1%, and lost by more. */
  better: number;
  worse: number;
  /** Worst thread's slowdown under AutoPilot over the worst under the standard dispatcher. */
  worstSlowdownRatio: Distribution;
  worstSlowdownStandard: Distribution;
  worstSlowdownAutopilot: Distribution;
  /** AutoPilot's and the standard's throughput as a fraction of the oracle, over the workloads the oracle covers. */
  autopilotVsOracle: Distribution | null;
  standardVsOracle: Distribution | null;
}

export interface GainReport {
  seed: number;
  suiteSize: number;
  laws: BusLawId[];
  lawLabels: Partial<Record<BusLawId, string>>;
  rows: GainRow[];
}

export interface GainOptions {
  /** Random workloads in the suite (default 1000). */
  count?: number;
  seed?: number;
  laws?: readonly BusLawId[];
  /** Named scenarios reported one by one beside the suite (Figure 7 and the samples). */
  scenarios?: ReadonlyArray<{ name: string; scenario: Scenario }>;
  /** Scenario fields the measured law needs (measuredBus, clockGHz) when `laws` includes it. */
  measured?: Pick<Scenario, 'measuredBus' | 'clockGHz'>;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export function distribution(values: readonly number[]): Distribution {
  const v = [...values].sort((a, b) => a - b);
  if (v.length === 0) return { count: 0, min: NaN, p10: NaN, median: NaN, p90: NaN, max: NaN, mean: NaN };
  const q = (p: number): number => {
    const x = p * (v.length - 1);
    const lo = Math.floor(x);
    return v[lo]! + (v[Math.min(v.length - 1, lo + 1)]! - v[lo]!) * (x - lo);
  };
  return { count: v.length, min: v[0]!, p10: q(0.1), median: q(0.5), p90: q(0.9), max: v.at(-1)!, mean: v.reduce((a, b) => a + b, 0) / v.length };
}

/**
 * The seeded random workloads: 2-8 CPUs, a few to three times as many threads as CPUs (many
 * small enough for the oracle), demand ranges from light to bus-bound, thresholds 0.6-1.0,
 * idling on or off, a quiet or a noisy monitor. Workload k is the same for every law.
 */
export function suiteWorkload(seed: number, k: number): Scenario {
  const rng = createRng((seed * 0x9e3779b1) ^ (k * 0x85ebca6b));
  const cpus = [2, 3, 4, 6, 8][rng.int(5)]!;
  const count = cpus + 1 + rng.int(2 * cpus);
  const low = rng.between(0.02, 0.3);
  const high = Math.min(0.95, low + rng.between(0.05, 0.4));
  return {
    seed: k + 1,
    cpus,
    timeSlice: 10,
    monitorNoise: rng.next() < 0.3 ? 0.1 : 0,
    generate: { count, busDemand: [low, high], work: [50, 300] },
    autopilot: { threshold: rng.between(0.6, 1), idleWhenNoFit: rng.next() < 0.7 },
  };
}

/** AutoPilot against the standard dispatcher (and the oracle where it fits) under each bus law. */
export async function autopilotGain(options: GainOptions = {}): Promise<GainReport> {
  const count = options.count ?? 1000;
  const seed = options.seed ?? 1;
  const laws = [...(options.laws ?? ['document', 'queueing'])];
  const variants: AutoPilotVariant[] = ['document', 'projected'];
  const named = options.scenarios ?? [];
  const total = laws.length * (count + named.length);
  let done = 0;
  const rows: GainRow[] = [];
  const withLaw = (s: Scenario, bus: BusLawId): Scenario => ({ ...s, bus, ...(bus === 'measured' ? options.measured : {}) });

  for (const bus of laws) {
    type Sample = { apStd: number; ratio: number; wsStd: number; wsAp: number; apOr: number | null; stdOr: number | null };
    const measure = (s: Scenario): Record<AutoPilotVariant, Sample> => {
      const r = resolveScenario(withLaw(s, bus));
      const standard = runSimulation(r.machine, r.threads, 'standard', r.autopilot);
      const oracle = fluidOracle(r.machine, r.threads, r.oracleMaxThreads, SUITE_ORACLE_MAX_SUBSETS);
      const out = {} as Record<AutoPilotVariant, Sample>;
      for (const variant of variants) {
        const ap = runSimulation(r.machine, r.threads, 'autopilot', { ...r.autopilot, variant });
        out[variant] = {
          apStd: ap.throughput / standard.throughput,
          ratio: (ap.slowdownWorst ?? NaN) / (standard.slowdownWorst ?? NaN),
          wsStd: standard.slowdownWorst ?? NaN,
          wsAp: ap.slowdownWorst ?? NaN,
          apOr: oracle ? ap.throughput / oracle.throughput : null,
          stdOr: oracle ? standard.throughput / oracle.throughput : null,
        };
      }
      return out;
    };
    const summarise = (scope: string, samples: Array<Record<AutoPilotVariant, Sample>>): void => {
      for (const variant of variants) {
        const s = samples.map((x) => x[variant]);
        const oracleFits = s.filter((x) => x.apOr !== null);
        rows.push({
          scope, bus, variant, workloads: s.length,
          autopilotVsStandard: distribution(s.map((x) => x.apStd)),
          better: s.filter((x) => x.apStd > 1.001).length / s.length,
          worse: s.filter((x) => x.apStd < 0.999).length / s.length,
          worstSlowdownRatio: distribution(s.map((x) => x.ratio).filter(Number.isFinite)),
          worstSlowdownStandard: distribution(s.map((x) => x.wsStd).filter(Number.isFinite)),
          worstSlowdownAutopilot: distribution(s.map((x) => x.wsAp).filter(Number.isFinite)),
          autopilotVsOracle: oracleFits.length ? distribution(oracleFits.map((x) => x.apOr!)) : null,
          standardVsOracle: oracleFits.length ? distribution(oracleFits.map((x) => x.stdOr!)) : null,
        });
      }
    };
    for (const n of named) {
      summarise(n.name, [measure(n.scenario)]);
      options.onProgress?.(++done, total);
    }
    const suite: Array<Record<AutoPilotVariant, Sample>> = [];
    for (let k = 0; k < count; k++) {
      suite.push(measure(suiteWorkload(seed, k)));
      options.onProgress?.(++done, total);
      if (k % 25 === 24) {
        options.signal?.throwIfAborted();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    summarise('suite', suite);
  }
  const lawLabels: Partial<Record<BusLawId, string>> = {};
  for (const law of laws) lawLabels[law] = busLawLabels[law];
  return { seed, suiteSize: count, laws, lawLabels, rows };
}

/** The gain report as flat rows for a table: the figures a planner compares, law beside law. */
export function gainTableRows(report: GainReport): Array<Record<string, string | number | null>> {
  const f = (v: number | undefined | null, d = 3): number | null => (v === undefined || v === null || !Number.isFinite(v) ? null : Number(v.toFixed(d)));
  return report.rows.map((r) => ({
    scope: r.scope,
    bus: r.bus,
    autopilot: r.variant === 'projected' ? 'projected (Headroom)' : 'document',
    workloads: r.workloads,
    apVsStdP10: f(r.autopilotVsStandard.p10),
    apVsStdMedian: f(r.autopilotVsStandard.median),
    apVsStdP90: f(r.autopilotVsStandard.p90),
    better: f(r.better, 3),
    worse: f(r.worse, 3),
    worstSlowdownRatioMedian: f(r.worstSlowdownRatio.median),
    worstSlowdownRatioP90: f(r.worstSlowdownRatio.p90),
    oracleFits: r.autopilotVsOracle?.count ?? 0,
    apVsOracleMedian: f(r.autopilotVsOracle?.median),
    stdVsOracleMedian: f(r.standardVsOracle?.median),
  }));
}
