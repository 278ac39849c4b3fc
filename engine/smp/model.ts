import { table1Hierarchy, type MemoryHierarchy } from './analytic.js';
import { createBusLaw, DEFAULT_CLOCK_GHZ, queueingParametersFromMeasurement, type BusLaw, type BusSettings, type QueueingBusParameters } from './bus/index.js';
import type { AutoPilotVariant } from './dispatch/index.js';
import { createRng } from './prng.js';
import type { Scenario } from './scenario-schema.js';

/** The machine a simulation runs on, with every default filled in. */
export interface Machine {
  cpus: number;
  busBandwidth: number;
  ioLoad: number;
  timeSlice: number;
  horizon: number | null;
  referenceBusDemand: number;
  hierarchy: MemoryHierarchy;
  monitorNoise: number;
  seed: number;
  /** The bus law and, for the queueing and measured laws, its parameters. */
  bus: BusSettings;
}

export interface Phase {
  work: number;
  busDemand: number;
}

export interface SimThread {
  name: string;
  priority: number;
  ioBound: boolean;
  arrival: number;
  phases: Phase[];
}

export interface AutoPilotSettings {
  threshold: number;
  idleWhenNoFit: boolean;
  adjustRate: number;
  ioReserve: number;
  starvationBound: number;
  searchAllPriorities: boolean;
  /** `document` (the text) or `projected` (Headroom's own projected-commitment variant). */
  variant: AutoPilotVariant;
  /** The bus monitor's sample period, time units. */
  monitorPeriod: number;
  /** A thread's estimate before the monitor has measured it; null: the reference demand. Unused by `projected`, which starts from the true demand. */
  initialEstimate: number | null;
}

export const defaultAutoPilot: AutoPilotSettings = Object.freeze({
  variant: 'document' as AutoPilotVariant,
  monitorPeriod: 1,
  initialEstimate: null,
  threshold: 0.9,
  idleWhenNoFit: true,
  adjustRate: 0.25,
  ioReserve: 0,
  starvationBound: 8,
  searchAllPriorities: false,
});

export interface ResolvedScenario {
  name: string;
  machine: Machine;
  threads: SimThread[];
  autopilot: AutoPilotSettings;
  oracleMaxThreads: number;
}

/** Fill defaults and expand `count` and `generate` into a concrete, seeded thread list. */
export function resolveScenario(s: Scenario): ResolvedScenario {
  const seed = s.seed ?? 1;
  const machine: Machine = {
    cpus: s.cpus,
    busBandwidth: s.busBandwidth ?? 1,
    ioLoad: s.ioLoad ?? 0,
    timeSlice: s.timeSlice ?? 10,
    horizon: s.horizon ?? null,
    referenceBusDemand: s.referenceBusDemand ?? 0.1,
    hierarchy: { ...table1Hierarchy, ...(s.hierarchy ?? {}) },
    monitorNoise: s.monitorNoise ?? 0,
    seed,
    bus: resolveBus(s),
  };
  const threads: SimThread[] = [];
  for (const [i, t] of (s.threads ?? []).entries()) {
    const phases = t.phases ? t.phases.map((p) => ({ ...p })) : [{ work: t.work!, busDemand: t.busDemand! }];
    const copies = t.count ?? 1;
    for (let k = 0; k < copies; k++) {
      const base = t.name ?? `t${i}`;
      threads.push({
        name: copies > 1 ? `${base}.${k}` : base,
        priority: t.priority ?? 0,
        ioBound: t.ioBound ?? false,
        arrival: t.arrival ?? 0,
        phases: phases.map((p) => ({ ...p })),
      });
    }
  }
  if (s.generate) {
    const g = s.generate;
    const rng = createRng(seed ^ 0x9e3779b9);
    for (let k = 0; k < g.count; k++) {
      const work = rng.between(g.work[0], g.work[1]);
      const phases: Phase[] = [];
      if (g.phaseChangeEvery !== undefined) {
        for (let left = work; left > 1e-12; left -= g.phaseChangeEvery) {
          phases.push({ work: Math.min(left, g.phaseChangeEvery), busDemand: rng.between(g.busDemand[0], g.busDemand[1]) });
        }
      } else {
        phases.push({ work, busDemand: rng.between(g.busDemand[0], g.busDemand[1]) });
      }
      threads.push({
        name: `g${k}`,
        priority: rng.int(g.priorities ?? 1),
        ioBound: rng.next() < (g.ioBoundFraction ?? 0),
        arrival: 0,
        phases,
      });
    }
  }
  return {
    name: s.name ?? 'scenario',
    machine,
    threads,
    autopilot: { ...defaultAutoPilot, ...(s.autopilot ?? {}) },
    oracleMaxThreads: s.oracle?.maxThreads ?? 10,
  };
}

/** Default queueing parameters: a transaction holds the bus for one main-memory access of the hierarchy. */
export function defaultQueueingParameters(h: MemoryHierarchy): QueueingBusParameters {
  const service = Math.max(1e-9, h.memoryBusCycles / h.busClockRatio);
  return { serviceCycles: service, arbitrationCycles: 0, retryCycles: 0, arbitration: 'fcfs', idleLatencyCycles: service };
}

function resolveBus(s: Scenario): BusSettings {
  const law = s.bus ?? 'document';
  if (law === 'document') return { law, queueing: null };
  const hierarchy = { ...table1Hierarchy, ...(s.hierarchy ?? {}) };
  const base = law === 'measured'
    ? queueingParametersFromMeasurement(s.measuredBus!, s.clockGHz ?? DEFAULT_CLOCK_GHZ)
    : defaultQueueingParameters(hierarchy);
  const q = s.queueing ?? {};
  return {
    law,
    queueing: {
      serviceCycles: q.serviceCycles ?? base.serviceCycles,
      arbitrationCycles: q.arbitrationCycles ?? base.arbitrationCycles,
      retryCycles: q.retryCycles ?? base.retryCycles,
      arbitration: q.arbitration ?? base.arbitration,
      idleLatencyCycles: base.idleLatencyCycles,
    },
  };
}

/** The bus law a resolved machine runs under. */
export function busLawFor(m: Machine): BusLaw {
  return createBusLaw(m, m.bus);
}
