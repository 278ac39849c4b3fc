import { describe, expect, it } from 'vitest';
import { defaultAutoPilot, resolveScenario, type AutoPilotSettings } from '../model.js';
import type { Scenario } from '../scenario-schema.js';
import { runSimulation, type DecisionTrace } from '../simulator.js';
import { DocumentAutoPilot, ProjectedAutoPilot } from './autopilot.js';
import type { DispatchState } from './dispatcher.js';
import { ReadyQueues } from './ready-queues.js';

const trace = (s: Scenario, variant: 'document' | 'projected' = 'document'): { decisions: DecisionTrace[]; names: string[] } => {
  const r = resolveScenario(s);
  const decisions: DecisionTrace[] = [];
  runSimulation(r.machine, r.threads, 'autopilot', { ...r.autopilot, variant }, { trace: decisions });
  return { decisions, names: r.threads.map((t) => t.name) };
};

describe('AutoPilot as the document describes it', () => {
  const fiftyFiftyTen: Scenario = {
    cpus: 2, timeSlice: 10,
    threads: [{ name: 'a50', busDemand: 0.5, work: 100 }, { name: 'b50', busDemand: 0.5, work: 100 }, { name: 'c10', busDemand: 0.1, work: 100 }],
    autopilot: { threshold: 0.9 },
  };

  it('2 CPUs, 50/50/10%, threshold 0.9: with the bus under the threshold it dispatches the second 50% thread, as the standard scheduler does', () => {
    const { decisions, names } = trace(fiftyFiftyTen);
    expect(decisions.slice(0, 2).map((d) => names[d.thread])).toEqual(['a50', 'b50']);
    // Headroom's projected variant is the one that skips it (the bus was at 50%).
    const projected = trace(fiftyFiftyTen, 'projected');
    expect(projected.decisions.slice(0, 2).map((d) => projected.names[d.thread])).toEqual(['a50', 'c10']);
  });

  it('takes the standard dispatcher\'s choice at every decision made while the monitored bus is under the threshold', () => {
    for (let seed = 1; seed <= 8; seed++) {
      for (const bus of ['document', 'queueing'] as const) {
        const { decisions } = trace({
          seed, cpus: 2 + (seed % 5), timeSlice: 5, bus, monitorNoise: seed % 2 ? 0.1 : 0,
          generate: { count: 30, busDemand: [0.05, 0.45], work: [20, 120], priorities: 2, phaseChangeEvery: 30 },
          autopilot: { threshold: 0.6 + 0.05 * (seed % 4), monitorPeriod: 0.5 + seed / 4 },
        });
        const under = decisions.filter((d) => d.monitorReading < 0.6 + 0.05 * (seed % 4) && d.standardChoice >= 0);
        const over = decisions.filter((d) => d.monitorReading >= 0.6 + 0.05 * (seed % 4));
        expect(under.length).toBeGreaterThan(0);
        expect(over.length).toBeGreaterThan(0);
        for (const d of under) expect(d.thread).toBe(d.standardChoice);
      }
    }
  });

  // A dispatch state by hand: one idle CPU, threads already running worth `committed` of the bus.
  const stateOf = (estimates: number[], reading: number, committed: number, nRunning = 2): DispatchState => {
    const ready = new ReadyQueues(new Int32Array(estimates.length), 1, estimates.length);
    estimates.forEach((_, i) => ready.push(i));
    return {
      ready, estimate: Float64Array.from(estimates), ioBound: new Uint8Array(estimates.length), nRunning, invBandwidth: 1,
      committedEstimate: () => committed, monitorReading: () => reading,
    };
  };
  const ap: AutoPilotSettings = { ...defaultAutoPilot, threshold: 0.9, idleWhenNoFit: true };

  it('at or over the threshold it runs the best-fitting thread: the largest estimated demand that still fits', () => {
    expect(new DocumentAutoPilot(ap, 5).choose(stateOf([0.1, 0.3, 0.45, 0.2, 0.38], 0.95, 0.5))).toBe(4);
    expect(new DocumentAutoPilot(ap, 5).choose(stateOf([0.1, 0.3, 0.45, 0.2, 0.38], 0.9, 0.5))).toBe(4);
    // Under the threshold: the head of the queue, whatever it adds.
    expect(new DocumentAutoPilot(ap, 5).choose(stateOf([0.45, 0.3, 0.1], 0.89, 0.5))).toBe(0);
    // Headroom's variant takes the first that fits instead of the best.
    expect(new ProjectedAutoPilot(ap, 5).choose(stateOf([0.1, 0.3, 0.45, 0.2, 0.38], 0.95, 0.5))).toBe(0);
  });

  it('idles the CPU when nothing fits and idling is set, else runs the lightest candidate', () => {
    expect(new DocumentAutoPilot(ap, 3).choose(stateOf([0.5, 0.6, 0.45], 0.95, 0.5))).toBe(-1);
    expect(new DocumentAutoPilot({ ...ap, idleWhenNoFit: false }, 3).choose(stateOf([0.5, 0.6, 0.45], 0.95, 0.5))).toBe(2);
    // With no thread running it never idles.
    expect(new DocumentAutoPilot(ap, 3).choose(stateOf([0.5, 0.6, 0.45], 0.95, 0.5, 0))).toBe(2);
  });
});

describe('per-thread estimates', () => {
  it('start from the tunable default and converge to the true demand at the adjustment rate', () => {
    for (const [rate, initial, demand] of [[0.25, 0.1, 0.3], [0.5, 0.4, 0.05], [0.1, 0, 0.2]] as const) {
      for (let slices = 1; slices <= 12; slices += 5) {
        // One thread alone on one CPU: one monitor reading per slice end, none at completion.
        const r = resolveScenario({ cpus: 1, timeSlice: 10, threads: [{ busDemand: demand, work: 10 * slices + 5 }], autopilot: { adjustRate: rate, initialEstimate: initial } });
        const m = runSimulation(r.machine, r.threads, 'autopilot', r.autopilot);
        expect(m.threads[0]!.estimate).toBeCloseTo(demand + (initial - demand) * (1 - rate) ** slices, 12);
      }
    }
  });

  it('converge to each thread\'s own demand under contention on the queueing bus, not to its contended bus share', () => {
    const r = resolveScenario({
      cpus: 4, timeSlice: 5, bus: 'queueing',
      threads: [0.1, 0.2, 0.3, 0.4].map((d, i) => ({ name: `t${i}`, busDemand: d, work: 400 })),
      autopilot: { adjustRate: 0.3, initialEstimate: 0 },
    });
    const m = runSimulation(r.machine, r.threads, 'autopilot', r.autopilot);
    m.threads.forEach((t, i) => expect(t.estimate).toBeCloseTo([0.1, 0.2, 0.3, 0.4][i]!, 6));
    expect(m.threads.every((t) => (t.slowdown ?? 0) > 1)).toBe(true);
  });
});

describe('the bus monitor', () => {
  it('reads the I/O share before its first period, then the last period\'s mean utilisation', () => {
    const { decisions } = trace({ cpus: 1, timeSlice: 2.5, ioLoad: 0.05, threads: [{ busDemand: 0.3, work: 2.5 }, { busDemand: 0.3, work: 2.5 }], autopilot: { monitorPeriod: 2 } });
    expect(decisions[0]!.monitorReading).toBeCloseTo(0.05, 12);
    // At t = 2.5 the last complete period is [0, 2]: the document law's commitment 0.35 throughout.
    expect(decisions[1]!.t).toBeCloseTo(2.5, 12);
    expect(decisions[1]!.monitorReading).toBeCloseTo(0.35, 12);
  });
});
