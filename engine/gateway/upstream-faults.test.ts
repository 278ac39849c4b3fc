import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../runtime/index.js';
import { NbdGateway } from './gateway.js';
import { openUpstreamBackend } from './upstream.js';
import { RawNbdClient, requestHeader } from './raw-client.js';
import { startGatewayProcess, startNbdkit, stopProcess, type Spawned } from './harness.js';
import { CMD_FLUSH, CMD_READ, CMD_WRITE } from './nbd-constants.js';
import type { BackendHealth } from './backend.js';

const haveNbdkit = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, 'nbdkit')));
if (!haveNbdkit) console.warn('upstream fault tests skipped: nbdkit missing (apt-get install nbdkit)');
const withNbdkit = haveNbdkit ? describe : describe.skip;

async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

withNbdkit('upstream faults and durability through the upstream pool', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

  async function gatewayOver(port: number, options: { requestTimeoutMs?: number } = {}) {
    const backend = await openUpstreamBackend({ target: { host: '127.0.0.1', port, exportName: '' }, connections: 2, reconnectMs: 100, ...options });
    const gateway = new NbdGateway({ luns: [{ name: 'up', backend }] });
    const health: BackendHealth[] = [];
    gateway.on((e) => { if (e.type === 'backend-health') health.push(e.health); });
    const { port: gatewayPort } = await gateway.listen('127.0.0.1', 0);
    cleanup.push(() => gateway.close());
    return { gateway, health, gatewayPort };
  }

  it('sends a client FLUSH to every upstream connection that carried writes when the upstream lacks multi-conn (nbdkit log filter)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-flush-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const logfile = path.join(dir, 'log');
    const nbdkit = await startNbdkit(['--filter=log', '--filter=multi-conn', 'memory', '64M', `logfile=${logfile}`, 'multi-conn-mode=disable']);
    cleanup.push(() => nbdkit.stop());
    const { gatewayPort } = await gatewayOver(nbdkit.port);
    const client = await RawNbdClient.connect(gatewayPort);
    cleanup.push(async () => client.destroy());
    await client.open('up');
    // 64 pipelined writes: the pool spreads them over both upstream connections.
    client.write(Buffer.concat(Array.from({ length: 64 }, (_, i) => Buffer.concat([requestHeader(CMD_WRITE, i * 65536, 65536, i), Buffer.alloc(65536, i)]))));
    for (let i = 0; i < 64; i++) expect((await client.read(16)).readUInt32BE(4)).toBe(0);
    expect((await client.request(CMD_FLUSH, 0, 0)).errno).toBe(0);
    const log = await readFile(logfile, 'utf8');
    const on = (verb: string): Set<string> => new Set([...log.matchAll(new RegExp(`connection=(\\d+) ${verb} id=`, 'g'))].map((m) => m[1]!));
    const writers = on('Write');
    expect(writers.size).toBe(2);
    expect([...writers].every((c) => on('Flush').has(c))).toBe(true);
  });

  it('fails a request to a SIGSTOPped upstream with EIO after the request timeout, reports the LUN degraded, and recovers on SIGCONT', async () => {
    const nbdkit = await startNbdkit(['memory', '16M']);
    cleanup.push(() => nbdkit.stop());
    const { health, gatewayPort } = await gatewayOver(nbdkit.port, { requestTimeoutMs: 400 });
    const client = await RawNbdClient.connect(gatewayPort);
    cleanup.push(async () => client.destroy());
    await client.open('up');
    expect((await client.request(CMD_READ, 0, 4096)).errno).toBe(0);
    // Every nbdkit thread stopped before the request goes: kill() only queues the signal.
    await stopProcess(nbdkit.child);
    try {
      expect((await client.request(CMD_READ, 4096, 4096)).errno).toBe(5);
      expect(health[0]).toMatchObject({ state: 'degraded' });
      expect((health[0] as { reason: string }).reason).toMatch(/no reply within 400 ms/);
    } finally {
      nbdkit.child.kill('SIGCONT');
    }
    await until(() => health.some((h) => h.state === 'up'));
    expect((await client.request(CMD_READ, 0, 4096)).errno).toBe(0);
  });

  it('starts with an upstream that is down: the LUN is down (not offered), retries, and serves once the upstream appears', async () => {
    const port = await freePort();
    const { gateway, health, gatewayPort } = await gatewayOver(port);
    expect(gateway.lunHealth()[0]?.health).toMatchObject({ state: 'down', reason: expect.stringMatching(/ECONNREFUSED/) });
    expect(gateway.exports()).toEqual([]);
    const refused = await RawNbdClient.connect(gatewayPort);
    await expect(refused.open('up')).rejects.toThrow(/refused/);
    refused.destroy();
    const nbdkit = await startNbdkit(['memory', '16M'], port);
    cleanup.push(() => nbdkit.stop());
    await until(() => health.some((h) => h.state === 'up'));
    expect(gateway.exports().map((e) => e.size)).toEqual([16 * 1024 * 1024]);
    const client = await RawNbdClient.connect(gatewayPort);
    cleanup.push(async () => client.destroy());
    await client.open('up');
    expect((await client.request(CMD_READ, 0, 4096)).errno).toBe(0);
  });

  it('runs as a process with its only upstream down at start, logging the LUN down instead of exiting', async () => {
    const port = await freePort();
    const gateway: Spawned = await startGatewayProcess(['--export', `gone=nbd://127.0.0.1:${port}/`]);
    cleanup.push(() => gateway.stop());
    await until(() => /backend down/.test(gateway.stderr()), 5000);
    expect(gateway.child.exitCode).toBeNull();
  });
});
