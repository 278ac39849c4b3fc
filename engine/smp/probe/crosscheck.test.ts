import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runBusProbe } from './run.js';

const run = promisify(execFile);
const MiB = 2 ** 20;

/**
 * The probe's single-thread peak bandwidth against two outside tools from Debian
 * (scripts/test-setup.mjs installs them). The factor is 3x either way, loose on purpose: the
 * probe is JavaScript reading one word per 64-byte line (counted as the whole line, as the bus moves
 * it), mbw is C memcpy (it reports bytes copied, while the bus carries them twice: read and
 * write), sysbench reads every word with its own loop; all three share two cores with whatever
 * else runs (measured here: the probe at 0.71–0.91 of either). What the check catches is a probe off
 * by a large factor: a unit slip (bits, ns vs us), a buffer that fits in cache, a stride that skips
 * lines. A double count (2x) can hide inside the factor; the probe's own tests pin its arithmetic.
 */
const FACTOR = 3;

async function mbwTrafficBytesPerSec(): Promise<number> {
  const { stdout } = await run('mbw', ['-q', '-n', '5', '-t0', '64'], { timeout: 60_000 });
  const avg = /^AVG\s+Method: MEMCPY.*Copy:\s+([\d.]+) MiB\/s/m.exec(stdout);
  if (!avg) throw new Error(`mbw: no AVG line in ${stdout}`);
  return 2 * Number(avg[1]) * MiB;
}

async function sysbenchReadBytesPerSec(): Promise<number> {
  // A 128 MiB block, four times this machine's 32 MiB LLC and more than most, so reads come from memory.
  const { stdout } = await run('sysbench', ['memory', '--memory-block-size=128M', '--memory-total-size=2G', '--memory-oper=read', '--threads=1', 'run'], { timeout: 120_000 });
  const m = /MiB transferred \(([\d.]+) MiB\/sec\)/.exec(stdout);
  if (!m) throw new Error(`sysbench: no transfer rate in ${stdout}`);
  return Number(m[1]) * MiB;
}

describe('the bus probe against mbw and sysbench memory', () => {
  it(`agrees on single-thread bandwidth within ${FACTOR}x`, async () => {
    const probe = await runBusProbe({ threads: 1, seconds: 1 });
    const probeBps = probe.peakBandwidth[0]!.bytesPerSec;
    const mbw = await mbwTrafficBytesPerSec();
    const sysbench = await sysbenchReadBytesPerSec();
    const figures = { probeGBps: probeBps / 1e9, mbwMemcpyTrafficGBps: mbw / 1e9, sysbenchReadGBps: sysbench / 1e9, probeOverMbw: probeBps / mbw, probeOverSysbench: probeBps / sysbench };
    console.log(`bus probe cross-check ${JSON.stringify(figures)}`);
    for (const ratio of [figures.probeOverMbw, figures.probeOverSysbench]) {
      expect(ratio).toBeGreaterThan(1 / FACTOR);
      expect(ratio).toBeLessThan(FACTOR);
    }
  }, 240_000);
});
