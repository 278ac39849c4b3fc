import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { headroom } from '../../../tests/headroom-cli.js';
import { newWorkspace, parseWorkspace } from '../../workspace/index.js';

describe('headroom smp probe', () => {
  it('prints the curve and fit as JSON and adds them, with the machine, to a workspace that keeps its other content', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-probe-'));
    const file = path.join(dir, 'study.headroom.json');
    // A workspace from before probes existed: it must still load, and keep its notes.
    await writeFile(file, JSON.stringify({ ...newWorkspace('Older study'), notes: [{ title: 'kept', body: 'yes' }] }, null, 2));
    const { code, stdout, stderr } = await headroom('smp', 'probe', '--threads', '2', '--seconds', '1', '--format', 'json', '--save', file);
    expect(stderr).toContain('saved as probe-1');
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as { idleLatencyNs: number; peakBandwidth: unknown[]; curves: unknown[]; fit: Record<string, number> };
    expect(printed.idleLatencyNs).toBeGreaterThan(0);
    expect(printed.peakBandwidth).toHaveLength(2);
    for (const key of ['idleLatencyNs', 'lineBytes', 'peakBandwidthBytesPerSec', 'transactionServiceNs', 'arbitrationNs', 'fitRmsErrorNs', 'hardwareThreads']) {
      expect(Number.isFinite(printed.fit[key])).toBe(true);
    }
    const saved = parseWorkspace(file, await readFile(file, 'utf8'));
    expect(saved.notes).toEqual([{ title: 'kept', body: 'yes' }]);
    expect(saved.busProbes?.map((p) => p.id)).toEqual(['probe-1']);
    expect(saved.busProbes?.[0]?.result).toEqual(printed);
    expect(saved.busProbes?.[0]?.result.machine.cpus).toBe(os.availableParallelism());
    expect((await headroom('workspace', 'check', file)).code).toBe(0);
  }, 60_000);

  it('refuses zero threads or seconds with a message', async () => {
    for (const args of [['--threads', '0'], ['--seconds', '0']]) {
      const { code, stderr } = await headroom('smp', 'probe', ...args);
      expect(code).not.toBe(0);
      expect(stderr).toContain(args[0]);
    }
  });
});
