import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlAgent, type GatewayControlSurface, type GatewayEvent, type IntervalStats, type LatencySummary, type ThrottleTarget } from '../../gateway/index.js';
import type { ThrottleLimits } from '../../gateway/index.js';
import { SlaServer, type SlaServerEvent } from './index.js';

// These tests start the daemon's and the database's worker threads: run `npx tsc -p tsconfig.json` first.

const samples = path.join(import.meta.dirname, '../../../samples/policies');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A temp directory with the gold/bronze sample policy (poll interval shortened) and its secret. */
function scenarioDir(edit: (text: string) => string = (t) => t): { dir: string; policyFile: string; secret: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-sla-server-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'secrets'));
  copyFileSync(path.join(samples, 'secrets/gw1.secret'), path.join(dir, 'secrets/gw1.secret'));
  const policyFile = path.join(dir, 'policy.yaml');
  writeFileSync(policyFile, edit(readFileSync(path.join(samples, 'gold-bronze.yaml'), 'utf8').replace('pollIntervalMs: 1000', 'pollIntervalMs: 200')));
  return { dir, policyFile, secret: readFileSync(path.join(dir, 'secrets/gw1.secret'), 'utf8').trim() };
}

function latency(p99Us: number): LatencySummary {
  return { count: 100, p50: p99Us / 4, p95: p99Us / 2, p99: p99Us, max: p99Us };
}

function pair(host: string, lun: string, iops: number, mbPerIo: number, p99Us: number, queueDepth: number): IntervalStats {
  return {
    kind: 'pair', name: `${host}/${lun}`, host, lun, startedAt: 0, seconds: 0.2, readIops: iops, writeIops: 0, otherIops: 0,
    readMBps: iops * mbPerIo, writeMBps: 0, readLatencyUs: latency(p99Us), writeLatencyUs: latency(0), latencyUs: latency(p99Us),
    queueDepthMean: queueDepth, queueDepthMax: Math.ceil(queueDepth), errors: 0, throttled: 0,
  };
}

/**
 * A gateway's control surface with scripted statistics: calm for the first polls, then gold's
 * p99 far over its 20 ms target while bronze runs hard. It logs every poll and every cap, in order.
 */
function scriptedGateway(violationFromPoll: number): GatewayControlSurface & { log: Array<{ kind: 'poll'; n: number } | { kind: 'limit'; target: ThrottleTarget; limits: ThrottleLimits }> } {
  let polls = 0;
  const log: Array<{ kind: 'poll'; n: number } | { kind: 'limit'; target: ThrottleTarget; limits: ThrottleLimits }> = [];
  const statsOf = (n: number): IntervalStats[] => (n >= violationFromPoll
    ? [pair('gold', 'lun0', 40, 0.004, 60_000, 1), pair('bronze', 'lun1', 100, 0.131, 300_000, 30)]
    : [pair('gold', 'lun0', 100, 0.004, 1_000, 1), pair('bronze', 'lun1', 100, 0.131, 10_000, 30)]);
  return {
    log,
    exports: () => ['lun0', 'lun1'].map((name) => ({ name, description: '', size: 1 << 30, transmissionFlags: 0 })),
    hosts: () => ['gold', 'bronze'],
    rollStats: () => { polls++; log.push({ kind: 'poll', n: polls }); return statsOf(polls); },
    latestStats: () => statsOf(polls),
    setLimit: (target, limits) => { log.push({ kind: 'limit', target, limits }); return { target, limits }; },
    on: () => () => undefined,
  };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SlaServer', () => {
  it('acts on the poll it has just received: the cap lands before the next poll, is acknowledged and recorded', async () => {
    const { dir, policyFile, secret } = scenarioDir();
    const server = await SlaServer.start({ policyFile, dbFile: path.join(dir, 'sla.db'), listen: { host: '127.0.0.1', port: 0 }, shards: 1 });
    cleanups.push(() => server.stop());
    const events: SlaServerEvent[] = [];
    server.onEvent((e) => events.push(e));
    const gateway = scriptedGateway(3);
    const agent = new ControlAgent({ server: server.status().listen!, secret, gatewayId: 'gw1', gateway, rollOnPoll: true });
    agent.start();
    cleanups.push(() => agent.stop());

    await waitFor(() => events.some((e) => e.kind === 'ack'), 'a throttle acknowledgement');
    const firstLimit = gateway.log.findIndex((l) => l.kind === 'limit');
    const pollsBefore = gateway.log.slice(0, firstLimit).filter((l) => l.kind === 'poll');
    // The violating statistics came with poll 3; the cap must come before poll 4 asks again,
    // or the loop carries a whole interval of dead time.
    expect(pollsBefore.at(-1)).toEqual({ kind: 'poll', n: 3 });
    expect(gateway.log[firstLimit]).toMatchObject({ kind: 'limit', target: { host: 'bronze', lun: 'lun1' } });

    const cycle = events.find((e) => e.kind === 'cycle' && e.report.throttles.length > 0);
    if (cycle?.kind !== 'cycle') throw new Error('no cycle with a throttle');
    const gold = cycle.report.classes.find((c) => c.className === 'gold')!;
    expect(gold).toMatchObject({ state: 'at-risk', latencyMs: 60, targetMs: 20 });
    expect(cycle.report).toMatchObject({ polled: 1, onTime: 1, missed: 0 });
    const [throttle] = cycle.report.throttles;
    expect(throttle).toMatchObject({ gatewayId: 'gw1', host: 'bronze', lun: 'lun1' });
    expect(events).toContainEqual({ kind: 'ack', actionId: throttle!.actionId, gatewayId: 'gw1', ok: true, reason: '' });

    await waitFor(() => events.filter((e) => e.kind === 'cycle').length >= 6, 'a few more cycles');
    const timeline = await server.db.queries.timeline({ from: 0, to: Date.now() + 1000 });
    expect(timeline.actions.find((a) => a.id === throttle!.actionId)).toMatchObject({ host: 'bronze', kind: 'throttle', protects: 'gold', acked: true });
    expect(timeline.violations.some((v) => v.className === 'gold' && v.observed === 60 && v.target === 20)).toBe(true);
  }, 30_000);

  it('learns the hosts a gateway meets after registering, without re-registering it', async () => {
    const { dir, policyFile, secret } = scenarioDir();
    const server = await SlaServer.start({ policyFile, dbFile: path.join(dir, 'sla.db'), listen: { host: '127.0.0.1', port: 0 }, shards: 1 });
    cleanups.push(() => server.stop());
    const events: SlaServerEvent[] = [];
    server.onEvent((e) => events.push(e));
    // Hosts are known to a gateway only once they connect: bronze arrives after registration.
    const hosts = ['gold'];
    const listeners: Array<(event: GatewayEvent) => void> = [];
    const gateway: GatewayControlSurface = { ...scriptedGateway(1_000), hosts: () => hosts, on: (l) => { listeners.push(l); return () => undefined; } };
    const agent = new ControlAgent({ server: server.status().listen!, secret, gatewayId: 'gw1', gateway, rollOnPoll: true });
    agent.start();
    cleanups.push(() => agent.stop());
    await waitFor(() => events.filter((e) => e.kind === 'cycle').length >= 2, 'two cycles');
    expect(server.status().gateways.find((g) => g.gatewayId === 'gw1')?.hosts).toEqual(['gold']);

    hosts.push('bronze');
    for (const l of listeners) l({ type: 'connection-opened', id: 7, remote: '127.0.0.1:9', attribution: { host: 'bronze', lun: 'lun1', via: 'export-name' }, lun: 'lun1' });
    await waitFor(() => events.some((e) => e.kind === 'gateway' && e.state === 'updated'), 'an inventory update');
    expect(server.status().gateways.find((g) => g.gatewayId === 'gw1')?.hosts).toEqual(['gold', 'bronze']);
    // Still the same registration: polled on, never dropped or registered anew.
    const cycles = events.filter((e) => e.kind === 'cycle').length;
    await waitFor(() => events.filter((e) => e.kind === 'cycle').length >= cycles + 2, 'more cycles');
    expect(events.filter((e) => e.kind === 'gateway').map((e) => e.kind === 'gateway' && e.state)).toEqual(['registered', 'updated']);
    // A host it has already named does not send the inventory again.
    for (const l of listeners) l({ type: 'connection-opened', id: 8, remote: '127.0.0.1:10', attribution: { host: 'bronze', lun: 'lun1', via: 'export-name' }, lun: 'lun1' });
    await waitFor(() => events.filter((e) => e.kind === 'cycle').length >= cycles + 4, 'more cycles');
    expect(events.filter((e) => e.kind === 'gateway' && e.state === 'updated')).toHaveLength(1);
  }, 30_000);

  it('refuses a gateway with the wrong secret and says so', async () => {
    const { dir, policyFile } = scenarioDir();
    const server = await SlaServer.start({ policyFile, dbFile: path.join(dir, 'sla.db'), listen: { host: '127.0.0.1', port: 0 }, shards: 1 });
    cleanups.push(() => server.stop());
    const events: SlaServerEvent[] = [];
    server.onEvent((e) => events.push(e));
    const agent = new ControlAgent({ server: server.status().listen!, secret: 'not-the-secret', gatewayId: 'gw1', gateway: scriptedGateway(1), rollOnPoll: true, reconnectMs: 60_000 });
    agent.start();
    cleanups.push(() => agent.stop());
    await waitFor(() => events.some((e) => e.kind === 'gateway' && e.state === 'refused'), 'the refusal');
    expect(server.status().gateways).toEqual([]);
  }, 30_000);

  it('does not start on an invalid policy, and names the place', async () => {
    const { dir, policyFile } = scenarioDir((t) => t.replace('class: bronze', 'class: platinum'));
    const start = SlaServer.start({ policyFile, dbFile: path.join(dir, 'sla.db'), listen: { host: '127.0.0.1', port: 0 }, shards: 1 });
    await expect(start).rejects.toThrow(new RegExp(`^${policyFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: .*platinum`));
  });

  it('does not start when a gateway\'s secret file is missing, and names the gateway and the file', async () => {
    const { dir, policyFile } = scenarioDir((t) => t.replace('secrets/gw1.secret', 'secrets/missing.secret'));
    const start = SlaServer.start({ policyFile, dbFile: path.join(dir, 'sla.db'), listen: { host: '127.0.0.1', port: 0 }, shards: 1 });
    await expect(start).rejects.toThrow(/gateway gw1's secret file .*missing\.secret cannot be read \(ENOENT\)/);
  });
});
