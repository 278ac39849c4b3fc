import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/index.js';
import { readStoredProbes } from '../storage/index.js';
import { ratedLun } from '../storage/testing/rated-lun.js';
import { connectOverMessagePort } from './testing/message-port.js';
import { createEngine, FileAccess, RpcError, type Engine, type EngineClient } from './index.js';

let dir = '';
let engine: Engine;
let client: EngineClient;
let lun: Awaited<ReturnType<typeof ratedLun>>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-storage-probe-'));
  engine = createEngine(createLogger('test', 'silent'), { files: new FileAccess({}) });
  await engine.files.addRoot(dir, 'user');
  client = connectOverMessagePort(engine);
  // 16 Mbit/s of 4 KiB requests: 488 IOPS through a real gateway.
  lun = await ratedLun(16_000_000);
});

afterAll(async () => {
  await lun?.close();
  await engine?.shutdown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const failure = async (p: Promise<unknown>): Promise<RpcError> => {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!(err instanceof RpcError)) throw new Error(`expected an RpcError, got ${String(err)}`);
  return err;
};

describe('storage.probe: a LUN probed from the view, over the engine contract', () => {
  it('streams a label per step to the probe, refuses a second one meanwhile, and stores the probe in the SLA database', async () => {
    const db = path.join(dir, 'full.db');
    const labels: string[] = [];
    const running = client.stream('storage.probe', { uri: lun.uri, seconds: 7, slaDb: db }, { onProgress: (p) => labels.push(`${p.done}/${p.total} ${p.label}`) });
    const second = await failure(client.stream('storage.probe', { uri: lun.uri, seconds: 7 }));
    expect(second.code).toBe('conflict');
    const run = await running;
    expect(labels).toEqual(['0/7 warm-up', '1/7 iodepth 32', '2/7 iodepth 16', '3/7 iodepth 8', '4/7 iodepth 4', '5/7 iodepth 2', '6/7 iodepth 1', '7/7 done']);
    expect(run.probe.complete).toBe(true);
    expect(run.probe.steps.map((s) => s.iodepth)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(run.database).toEqual({ file: db, probeId: 1, error: null });
    expect(readStoredProbes(db)).toEqual([{ id: 1, lun: 'lun0', result: run.probe }]);
  }, 40_000);

  it('answers a cancel with the steps that finished, and stores those', async () => {
    const db = path.join(dir, 'cancelled.db');
    const controller = new AbortController();
    const run = await client.stream('storage.probe', { uri: lun.uri, seconds: 7, slaDb: db }, {
      signal: controller.signal,
      // Step 2 starts when the deepest step (iodepth 32) has finished.
      onProgress: (p) => { if (p.done === 2) controller.abort(); },
    });
    expect(run.probe.complete).toBe(false);
    expect(run.probe.steps.map((s) => s.iodepth)).toEqual([32]);
    expect(readStoredProbes(db).map((p) => ({ complete: p.result.complete, steps: p.result.steps.length }))).toEqual([{ complete: false, steps: 1 }]);
    // Free again: the next probe is not refused as a second one.
    const bad = await failure(client.stream('storage.probe', { uri: `nbd://127.0.0.1:${lun.port}/probe/nosuch`, seconds: 7 }));
    expect(bad.code).toBe('unavailable');
    expect(bad.message).toMatch(/fio against nbd:\/\/127\.0\.0\.1:\d+\/probe\/nosuch failed/);
  }, 40_000);

  it('says so when fio is missing', async () => {
    // The engine runs fio from its PATH: one without it is a machine without fio.
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
      const err = await failure(client.stream('storage.probe', { uri: lun.uri, seconds: 7 }));
      expect(err.code).toBe('unavailable');
      expect(err.message).toMatch(/fio is not installed/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('refuses bad params before anything runs, saying what is wrong', async () => {
    const cases: Array<[Record<string, unknown>, RpcError['code'], RegExp]> = [
      [{ uri: 'http://127.0.0.1:80/lun0' }, 'bad-request', /uri/],
      [{ uri: lun.uri, seconds: 3 }, 'bad-request', /seconds/],
      [{ uri: lun.uri, seconds: 601 }, 'bad-request', /seconds/],
      [{ uri: lun.uri, bs: '4 k' }, 'bad-request', /bs/],
      [{ uri: lun.uri, bs: '1000' }, 'invalid-input', /block size: 1000 must be a multiple of 512/],
      [{ uri: lun.uri, rw: 'write' }, 'bad-request', /rw/],
      [{ uri: 'nbd://127.0.0.1:10809' }, 'invalid-input', /names no export/],
      [{ uri: 'nbd://127.0.0.1:10809/a/b/c' }, 'invalid-input', /expected LUN or HOST\/LUN/],
      [{ uri: 'nbds://gold@127.0.0.1:10809/lun0?tls-psk-file=/etc/shadow' }, 'invalid-input', /query parameters are not taken from the view/],
      [{ uri: 'nbd://:10809/lun0' }, 'invalid-input', /not a URI|names no host/],
    ];
    for (const [params, code, message] of cases) {
      const err = await failure(client.stream('storage.probe', params as never));
      expect(err.code, JSON.stringify(params)).toBe(code);
      expect(err.message, JSON.stringify(params)).toMatch(message);
    }
  });
});
