import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { gridPoints, loadSweep, runSweep, type SweepSpec } from './sweep.js';
import { ScenarioError } from './scenario-schema.js';

// Worker threads run the compiled engine: `npx tsc -p tsconfig.json` before this file.
const samples = fileURLToPath(new URL('../../samples/smp/', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'headroom-sweep-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const small: SweepSpec = {
  base: { cpus: 2, generate: { count: 8, busDemand: [0.1, 0.4], work: [20, 60] } },
  axes: [{ path: 'cpus', values: [1, 2, 4] }, { path: 'autopilot.threshold', values: [0.6, 0.9] }],
  source: 'test sweep',
};

describe('what-if sweeps', () => {
  it('covers the whole grid in grid order, the same on worker threads as in-process, with progress', async () => {
    const seen: number[] = [];
    const onWorkers = await runSweep(small, { workers: 2, onProgress: (p) => { expect(p.total).toBe(6); seen.push(p.done); } });
    const inProcess = await runSweep(small, { workers: 0 });
    expect(onWorkers).toEqual(inProcess);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(onWorkers.map((r) => [r.cpus, r['autopilot.threshold']])).toEqual(gridPoints(small.axes).map((pt) => pt.map(([, v]) => v)));
    // more CPUs on the same job set never lowers the standard dispatcher's throughput here
    expect(Number(onWorkers[4]!.standardThroughput)).toBeGreaterThan(Number(onWorkers[0]!.standardThroughput));
  });

  it('stops when cancelled and rejects with the reason', async () => {
    const big: SweepSpec = { ...small, axes: [{ path: 'seed', values: Array.from({ length: 400 }, (_, i) => i) }] };
    for (const workers of [0, 2]) {
      const controller = new AbortController();
      let done = 0;
      const run = runSweep(big, { workers, signal: controller.signal, onProgress: (p) => { done = p.done; if (p.done === 3) controller.abort(new Error('stop')); } });
      await expect(run).rejects.toThrow('stop');
      expect(done).toBeLessThan(400);
    }
  });

  it('names the grid point when a value makes the scenario invalid', async () => {
    const bad: SweepSpec = { ...small, axes: [{ path: 'ioLoad', values: [0.1, 3] }] };
    await expect(runSweep(bad, { workers: 0 })).rejects.toThrow(/grid point 2: ioLoad=3.*\$\.ioLoad/);
    await expect(runSweep(bad, { workers: 1 })).rejects.toThrow(/grid point 2: ioLoad=3/);
  });

  it('reads sweep files with a base file or an inline base, and names the place of a mistake', async () => {
    const spec = await loadSweep(path.join(samples, 'sweep-threshold-cpus.json'));
    expect(spec.base.cpus).toBe(4);
    expect(spec.axes[1]!.values).toHaveLength(6);
    const bad = path.join(scratch, 'bad.json');
    writeFileSync(bad, JSON.stringify({ base: { cpus: 2, threads: [{ busDemand: 0.1, work: 1 }] }, parameters: [{ path: 'cpus', from: 1 }] }));
    await expect(loadSweep(bad)).rejects.toThrow(ScenarioError);
    await expect(loadSweep(bad)).rejects.toThrow(`${bad} at $.parameters[0]`);
  });
});
