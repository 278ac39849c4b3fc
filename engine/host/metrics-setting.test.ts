import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/index.js';
import { DEFAULT_METRICS_SETTING, SlaMetricsSetting } from './metrics-setting.js';
import { RpcError } from './wire.js';

const scratch = async (): Promise<string> => path.join(await mkdtemp(path.join(os.tmpdir(), 'headroom-metrics-setting-')), 'metrics.json');

describe('the app\'s /metrics opt-in', () => {
  it('is off until turned on, and a missing or damaged settings file reads as off', async () => {
    const file = await scratch();
    expect(await new SlaMetricsSetting(createLogger('test'), file).state()).toEqual({ ...DEFAULT_METRICS_SETTING, url: null, problem: null });
    await writeFile(file, '{"enabled": "yes", ');
    expect((await new SlaMetricsSetting(createLogger('test'), file).read()).enabled).toBe(false);
  });

  it('keeps what was set for the next engine, and serves nothing while no SLA server runs', async () => {
    const file = await scratch();
    const state = await new SlaMetricsSetting(createLogger('test'), file).set({ enabled: true, address: ' 127.0.0.1:9464 ' });
    expect(state).toEqual({ enabled: true, address: '127.0.0.1:9464', url: null, problem: null });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ enabled: true, address: '127.0.0.1:9464' });
    expect(await new SlaMetricsSetting(createLogger('test'), file).read()).toEqual({ enabled: true, address: '127.0.0.1:9464' });
  });

  it('refuses an address beyond loopback or without a port, naming it, and keeps the saved setting', async () => {
    const file = await scratch();
    const setting = new SlaMetricsSetting(createLogger('test'), file);
    for (const address of ['0.0.0.0:9464', '10.1.2.3:9464', 'localhost:http', '127.0.0.1:70000']) {
      const err = await setting.set({ enabled: true, address }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).message).toContain(address);
    }
    expect(await setting.read()).toEqual(DEFAULT_METRICS_SETTING);
  });
});
