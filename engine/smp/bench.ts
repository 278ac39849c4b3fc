import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { samplesDir } from '../runtime/index.js';
import { resolveScenario } from './model.js';
import { createRng } from './prng.js';
import type { Scenario } from './scenario-schema.js';
import { runSimulation, type DispatcherKind } from './simulator.js';
import type { BusLawId } from './bus/index.js';
import type { AutoPilotVariant } from './dispatch/index.js';
import { loadSweep, runSweep, gridPoints } from './sweep.js';

export interface DecisionRate {
  dispatcher: DispatcherKind;
  variant: AutoPilotVariant | null;
  bus: BusLawId;
  decisions: number;
  /** Simulation events (slice ends, phase ends, completions) handled; an idle CPU re-deciding adds decisions, not events. */
  events: number;
  seconds: number;
  eventsPerSecond: number;
  /** Median of three runs. */
  decisionsPerSecond: number;
  bestDecisionsPerSecond?: number;
}

export interface SmpBenchResult {
  node: string;
  cores: number;
  workload: string;
  dispatch: DecisionRate[];
  referenceSweep: {
    file: string;
    points: number;
    workers: number;
    seconds: number;
    inProcessSeconds: number;
    speedupFromWorkers: number;
  };
  /** 1-minute load average when the bench ended: timings on a busy machine are not comparable. */
  loadAverage: number;
}

/**
 * The decision-rate workload: 64 threads of 10-40% bus demand on 4 CPUs, one-unit slices. The first
 * four arrive a quarter slice apart so the CPUs' slices end at different times (one decision per
 * event, the expensive case), and demand changes every 50 units so estimates keep moving.
 */
function rateScenario(): Scenario {
  const rng = createRng(1);
  const threads = Array.from({ length: 64 }, (_, k) => ({
    name: `b${k}`,
    arrival: k < 4 ? k * 0.25 : 1,
    phases: Array.from({ length: 40_000 }, () => ({ work: 50, busDemand: rng.between(0.1, 0.4) })),
  }));
  return { seed: 1, cpus: 4, timeSlice: 1, threads };
}

/** Measure dispatch decisions per second on one core and the time of the reference sweep. */
export async function benchSmp(options: { decisions?: number; signal?: AbortSignal } = {}): Promise<SmpBenchResult> {
  const target = options.decisions ?? 2_000_000;
  const dispatch: DecisionRate[] = [];
  // The projected AutoPilot is the dispatcher `bench smp` measured before the bus laws existed.
  const cases: Array<[BusLawId, DispatcherKind, AutoPilotVariant | null]> = [
    ['document', 'standard', null], ['document', 'autopilot', 'projected'], ['document', 'autopilot', 'document'],
    ['queueing', 'standard', null], ['queueing', 'autopilot', 'projected'], ['queueing', 'autopilot', 'document'],
  ];
  for (const [bus, kind, variant] of cases) {
    const r = resolveScenario({ ...rateScenario(), bus });
    const ap = variant ? { ...r.autopilot, variant } : r.autopilot;
    runSimulation(r.machine, r.threads, kind, ap, { maxDecisions: 100_000 }); // warm the JIT
    // Median of three: the machine may be shared, and one slow run should not be the figure.
    const runs: DecisionRate[] = [];
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const m = runSimulation(r.machine, r.threads, kind, ap, { maxDecisions: target });
      const seconds = (performance.now() - t0) / 1000;
      runs.push({ dispatcher: kind, variant, bus, decisions: m.decisions, events: m.events, seconds, eventsPerSecond: m.events / seconds, decisionsPerSecond: m.decisions / seconds });
      options.signal?.throwIfAborted();
    }
    runs.sort((a, b) => a.decisionsPerSecond - b.decisionsPerSecond);
    dispatch.push({ ...runs[1]!, bestDecisionsPerSecond: runs[2]!.decisionsPerSecond });
  }
  const file = path.join(samplesDir(), 'smp', 'sweep-io-load.json');
  const spec = await loadSweep(file);
  const workers = Math.max(1, availableParallelism());
  let t0 = performance.now();
  await runSweep(spec, { workers, ...(options.signal ? { signal: options.signal } : {}) });
  const seconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  await runSweep(spec, { workers: 0, ...(options.signal ? { signal: options.signal } : {}) });
  const inProcessSeconds = (performance.now() - t0) / 1000;
  return {
    node: process.version,
    cores: availableParallelism(),
    workload: '64 threads of 10-40% bus demand (changing every 50 units) on 4 CPUs, time slice 1, staggered slices',
    dispatch,
    referenceSweep: {
      file: path.relative(process.cwd(), file) || file,
      points: gridPoints(spec.axes).length,
      workers,
      seconds,
      inProcessSeconds,
      speedupFromWorkers: inProcessSeconds / seconds,
    },
    loadAverage: loadavg()[0]!,
  };
}
