import { describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/index.js';
import { messagePortChannel, EngineClient, createEngine, messagePortServerChannel, RpcError, type MessagePortMainLike } from './index.js';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

function connect(): EngineClient {
  const { port1, port2 } = new MessageChannel();
  const main: MessagePortMainLike = {
    postMessage: (m) => port1.postMessage(m),
    on: ((event: string, listener: (e: { data: unknown }) => void) => {
      if (event === 'message') port1.addEventListener('message', (e) => listener({ data: (e as MessageEvent).data }));
    }) as MessagePortMainLike['on'],
    start: () => port1.start(),
    close: () => port1.close(),
  };
  createEngine(createLogger('test', 'silent')).attach(messagePortServerChannel(main), 'messageport');
  return new EngineClient(messagePortChannel(port2 as unknown as MessagePort & Parameters<typeof messagePortChannel>[0]));
}

describe('What-if methods over the engine contract', () => {
  const client = connect();

  it('gives Table 2 and the I/O-loaded curve side by side', async () => {
    const result = await client.call('smp.analytic', { ioLoad: 0.03 });
    expect(result.withoutIo.map((r) => Number(r.cpi.toFixed(1)))).toEqual([4.7, 5.0, 5.9, 7.4, 9.5, 12.2, 15.5, 19.4, 23.9, 29.0]);
    // Background I/O can only cost: every CPU count is at least as slow with it.
    result.withIo.forEach((row, i) => expect(row.cpi).toBeGreaterThanOrEqual(result.withoutIo[i]!.cpi));
  });

  it('reports where a scenario is wrong, without running it', async () => {
    expect(await client.call('smp.validate', { scenario: { cpus: 4, threads: [{ work: 10, busDemand: 0.2 }] } })).toEqual({ ok: true, where: null, message: null });
    const bad = await client.call('smp.validate', { scenario: { cpus: 4, threads: [{ work: 10, busDemand: 1.5 }] } });
    expect(bad.ok).toBe(false);
    expect(bad.where).toBe('$.threads[0].busDemand');
  });

  it('refuses a simulation whose scenario breaks the schema, naming the path', async () => {
    const err = await client.call('smp.simulate', { scenario: { cpus: 0 } } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).message).toContain('$.scenario.cpus');
  });

  it('simulates both dispatchers and streams a cancellable sweep', async () => {
    const scenario = { cpus: 2, seed: 3, threads: [{ busDemand: 0.6, work: 50, count: 2 }, { busDemand: 0.1, work: 50, count: 2 }] };
    const result = await client.call('smp.simulate', { scenario });
    expect(result.standard.dispatcher).toBe('standard');
    expect(result.autopilot.dispatcher).toBe('autopilot');
    expect(result.standard.workCompleted).toBeCloseTo(200, 6);

    const progress: number[] = [];
    const sweep = await client.stream('smp.sweep', { base: scenario, axes: [{ path: 'cpus', values: [1, 2, 3] }], workers: 0 }, { onProgress: (p) => progress.push(p.done) });
    expect(sweep.rows.map((r) => r.cpus)).toEqual([1, 2, 3]);
    expect(progress.at(-1)).toBe(3);

    const controller = new AbortController();
    const running = client.stream('smp.sweep', { base: scenario, axes: [{ path: 'seed', values: Array.from({ length: 2000 }, (_, i) => i) }], workers: 0 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await running.catch((e: unknown) => e);
    expect((err as RpcError).code).toBe('cancelled');
  });

  it('fits the USL and refuses too few points with a clear message', async () => {
    const points = [1, 2, 4, 8, 16, 32, 64].map((n) => ({ n, throughput: (1000 * n) / (1 + 0.05 * (n - 1) + 0.001 * n * (n - 1)) }));
    const fit = await client.call('usl.fit', { points });
    expect(fit.sigma).toBeCloseTo(0.05, 3);
    expect(fit.kappa).toBeCloseTo(0.001, 4);
    const err = await client.call('usl.fit', { points: points.slice(0, 3) }).catch((e: unknown) => e);
    expect((err as RpcError).code).toBe('invalid-input');
    expect((err as RpcError).message).toMatch(/6/);
  });

  it('lists the SMP samples with their scenarios', async () => {
    const samples = await client.call('smp.samples', {});
    const figure7 = samples.find((s) => s.file.endsWith('figure7.json'));
    expect(figure7?.scenario.cpus).toBe(4);
    expect(samples.some((s) => s.kind === 'sweep' && s.axes.length > 0)).toBe(true);
  });
});

describe('the bus probe over the engine contract', () => {
  const client = connect();

  it('streams progress to a result, refuses a second probe while one runs, and cancels', async () => {
    const labels: string[] = [];
    const result = await client.stream('smp.probe', { threads: 2, seconds: 0.5 }, { onProgress: (p) => labels.push(p.label) });
    expect(labels).toContain('idle latency');
    expect(result.curves[0]?.threads).toBe(2);
    expect(result.fit.idleLatencyNs).toBe(result.idleLatencyNs);

    const controller = new AbortController();
    const running = client.stream('smp.probe', { threads: 2, seconds: 300 }, { signal: controller.signal });
    const second = await client.stream('smp.probe', { threads: 1, seconds: 0.2 }).catch((e: unknown) => e);
    expect((second as RpcError).code).toBe('conflict');
    controller.abort();
    expect(((await running.catch((e: unknown) => e)) as RpcError).code).toBe('cancelled');
    const refused = await client.stream('smp.probe', { threads: 0 }).catch((e: unknown) => e);
    expect((refused as RpcError).code).toBe('bad-request');
  }, 60_000);
});
