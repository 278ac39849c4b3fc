import { contentionFactorOf, memoryCpi, table1Hierarchy, type MemoryHierarchy } from './analytic.js';
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
}

export const defaultAutoPilot: AutoPilotSettings = Object.freeze({
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

/**
 * How fast each running thread progresses, from the analytic contention law, so that the simulator
 * and `smp table` agree in the homogeneous case. A thread of bus demand d has main-memory CPI
 * mainRef × d / u₀ (u₀ the reference demand); a bus of bandwidth B stretches each access by 1/B and
 * makes every demand d/B of this bus. Speed 1 means "as fast as alone on the reference bus".
 */
export class SpeedModel {
  private readonly local: number;
  private readonly mainPerDemand: number;
  private readonly invBandwidth: number;
  private readonly io: number;
  private readonly ioUnit: number;

  constructor(m: Machine) {
    const cpi = memoryCpi(m.hierarchy);
    this.local = cpi.local;
    this.mainPerDemand = cpi.main / m.referenceBusDemand;
    this.invBandwidth = 1 / m.busBandwidth;
    this.io = Math.min(1, m.ioLoad * this.invBandwidth);
    this.ioUnit = m.referenceBusDemand * this.invBandwidth;
  }

  /** Bus commitment (share of this bus) of running demands summing to `totalDemand`, I/O included. */
  commitment(totalDemand: number): number {
    return totalDemand * this.invBandwidth + this.io;
  }

  /** Speed of a thread of demand `demand` running beside others whose demands sum to `othersDemand`. */
  speed(demand: number, othersDemand: number, othersCount: number): number {
    const main = this.mainPerDemand * demand;
    const alone = this.local + main;
    if (alone <= 0) return 1;
    const factor = contentionFactorOf(othersDemand * this.invBandwidth, othersCount, this.io, this.ioUnit);
    return alone / (this.local + main * this.invBandwidth * factor);
  }
}
