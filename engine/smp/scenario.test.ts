import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadScenario, parseScenario, ScenarioError, validateScenario, type Scenario } from './scenario-schema.js';
import { simulateScenario } from './simulate.js';

const samples = fileURLToPath(new URL('../../samples/smp/', import.meta.url));

describe('scenario files', () => {
  it('every sample scenario is valid', async () => {
    const files = readdirSync(samples).filter((f) => f.endsWith('.json') && !f.startsWith('sweep-'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) await expect(loadScenario(path.join(samples, f))).resolves.toBeDefined();
  });

  it('names the file and the JSON path of a mistake', () => {
    const bad = (value: unknown): string => {
      try { validateScenario(value, 'my.json'); } catch (err) { expect(err).toBeInstanceOf(ScenarioError); return (err as Error).message; }
      throw new Error('accepted');
    };
    expect(bad({ cpus: 4, threads: [{ busDemand: 0.1, work: 5 }, { busDemand: -1, work: 5 }] })).toBe('my.json at $.threads[1].busDemand: must be >= 0');
    expect(bad({ cpus: 4, threads: [{ busDemand: 0.1, work: 5, colour: 'red' }] })).toBe('my.json at $.threads[0]: unknown property "colour"');
    expect(bad({ threads: [] })).toMatch(/^my\.json at \$: missing property "cpus"/);
    expect(bad({ cpus: 2, threads: [{ busDemand: 0.1 }] })).toMatch(/at \$\.threads\[0\]: a thread needs/);
    expect(() => parseScenario('{"cpus": 2,', 'x.json')).toThrow(/^x\.json: not valid JSON/);
  });

  it('mutated scenario text gives a scenario or a ScenarioError, never anything else', () => {
    const text = readFileSync(path.join(samples, 'phases-noisy.json'), 'utf8');
    fc.assert(fc.property(fc.nat(text.length), fc.nat(20), fc.string({ maxLength: 8 }), (at, cut, insert) => {
      const mutated = text.slice(0, at) + insert + text.slice(Math.min(text.length, at + cut));
      try {
        parseScenario(mutated, 'm.json');
      } catch (err) {
        expect(err).toBeInstanceOf(ScenarioError);
        expect((err as Error).message.startsWith('m.json')).toBe(true);
      }
    }), { numRuns: 300 });
  });
});

describe('simulator invariants on random scenarios', () => {
  const scenario = fc.record({
    seed: fc.nat(1000),
    cpus: fc.integer({ min: 1, max: 6 }),
    busBandwidth: fc.double({ min: 0.25, max: 4, noNaN: true }),
    ioLoad: fc.double({ min: 0, max: 0.3, noNaN: true }),
    timeSlice: fc.double({ min: 0.5, max: 20, noNaN: true }),
    monitorNoise: fc.double({ min: 0, max: 0.3, noNaN: true }),
    generate: fc.record({
      count: fc.integer({ min: 1, max: 12 }),
      busDemand: fc.tuple(fc.double({ min: 0, max: 0.3, noNaN: true }), fc.double({ min: 0.3, max: 0.8, noNaN: true })),
      work: fc.tuple(fc.double({ min: 1, max: 20, noNaN: true }), fc.double({ min: 20, max: 60, noNaN: true })),
      priorities: fc.integer({ min: 1, max: 3 }),
      ioBoundFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      phaseChangeEvery: fc.double({ min: 5, max: 50, noNaN: true }),
    }),
    autopilot: fc.record({
      threshold: fc.double({ min: 0.3, max: 1.2, noNaN: true }),
      idleWhenNoFit: fc.boolean(),
      adjustRate: fc.double({ min: 0, max: 1, noNaN: true }),
      ioReserve: fc.double({ min: 0, max: 0.3, noNaN: true }),
      starvationBound: fc.integer({ min: 0, max: 20 }),
      searchAllPriorities: fc.boolean(),
    }),
  });

  it('finishes all work, never does more than the CPUs can, and keeps every bound', () => {
    fc.assert(fc.property(scenario, (raw) => {
      const s: Scenario = validateScenario(raw, 'random');
      const r = simulateScenario(s);
      const total = r.standard.workCompleted;
      for (const run of [r.standard, r.autopilot]) {
        expect(run.threadsFinished).toBe(r.threadCount);
        expect(run.workCompleted).toBeCloseTo(total, 6);
        // a thread runs at most as fast as alone, and a faster bus can lift that above 1 by at most B
        expect(run.throughput).toBeLessThanOrEqual(s.cpus * Math.max(1, s.busBandwidth!) + 1e-9);
        expect(run.cpuIdleFraction).toBeGreaterThanOrEqual(-1e-12);
        expect(run.cpuIdleFraction).toBeLessThanOrEqual(1 + 1e-12);
        expect(run.slowdownMean!).toBeGreaterThanOrEqual(1 - 1e-9);
        expect(run.series!.t.length).toBeLessThanOrEqual(500);
      }
      expect(r.autopilot.maxPassOvers).toBeLessThanOrEqual(s.autopilot!.starvationBound!);
    }), { numRuns: 150 });
  });
});
