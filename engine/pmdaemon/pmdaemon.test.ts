import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet, type GatewayBehaviour } from '../fleet/index.js';
import { startPmDaemon, type DaemonEvent, type DialTarget, type PmDaemon } from './index.js';
import { terminateShard } from './daemon.js';

const SECRET = 'test-secret';
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function daemonAndFleet(opts: {
  gateways: number;
  arch?: 'pair' | 'per-agent';
  behaviourOf?: (i: number) => GatewayBehaviour;
  reconnect?: boolean;
  stallPolls?: number;
  dial?: readonly DialTarget[];
}): Promise<{ daemon: PmDaemon; fleet: Fleet; events: DaemonEvent[] }> {
  const daemon = await startPmDaemon({ arch: opts.arch ?? 'pair', shards: 2, secret: SECRET, autoPoll: false, intervalMs: 1000, stallPolls: opts.stallPolls ?? 2, ...(opts.dial ? { dial: [...opts.dial] } : {}) });
  cleanups.push(() => daemon.stop());
  const events: DaemonEvent[] = [];
  daemon.onEvent((e) => events.push(e));
  const fleet = await startFleet({
    gateways: opts.gateways,
    connect: daemon.discovery!,
    secret: SECRET,
    behaviourOf: opts.behaviourOf,
    reconnect: opts.reconnect ?? true,
  });
  cleanups.push(() => fleet.close());
  return { daemon, fleet, events };
}

/** Runs one poll cycle: polls, then waits until the fleet saw the polls and the daemon has every reply but `stalled`. */
async function runCycle(daemon: PmDaemon, fleetSawPolls: () => boolean, stalled = 0): Promise<void> {
  daemon.pollNow();
  await waitFor('polls at the fleet', fleetSawPolls);
  await waitFor('replies at the daemon', () => daemon.pollProgress()?.waiting === stalled);
}

describe('thread-pair daemon over real sockets', () => {
  it('registers gateways that connect in, polls them all, and records the cycle', async () => {
    const { daemon, fleet } = await daemonAndFleet({ gateways: 40 });
    await fleet.waitRegistered(40, 10_000);
    await waitFor('daemon registrations', () => daemon.registered().length === 40);
    expect(daemon.threads()).toBe(2);
    const reg = daemon.registered().find((g) => g.gatewayId === 'gw-00007')!;
    expect(reg.hosts).toEqual(['host-0', 'host-1']);
    expect(reg.luns.map((l) => l.lunId)).toEqual(['lun-0', 'lun-1']);
    // Both shards serve gateways (discovery spreads them).
    expect(fleet.totals().redirects).toBe(40);

    await runCycle(daemon, () => fleet.totals().polls === 40);
    daemon.pollNow();
    expect(daemon.cycles()).toHaveLength(1);
    const first = daemon.cycles()[0]!;
    expect(first.polled).toBe(40);
    expect(first.missed).toBe(0);
    expect(first.onTime + first.late).toBe(40);
    expect(first.completionMs).not.toBeNull();
    const stats = daemon.latestStats('gw-00039')!;
    expect(stats).toHaveLength(4);
    expect(stats[0]!.iops).toBeGreaterThan(0);
    expect(stats[0]!.latencyP99Us).toBeGreaterThanOrEqual(stats[0]!.latencyP50Us);
  });

  it('refuses a gateway with a wrong secret, logs it and never registers it', async () => {
    const { daemon, fleet, events } = await daemonAndFleet({ gateways: 4, behaviourOf: (i) => (i === 2 ? 'wrong-secret' : 'normal'), reconnect: false });
    await fleet.waitRegistered(3, 10_000);
    await waitFor('refusal', () => events.some((e) => e.kind === 'refused'));
    const refusal = events.find((e) => e.kind === 'refused')!;
    expect(refusal).toMatchObject({ kind: 'refused', gatewayId: 'gw-00002' });
    expect((refusal as { reason: string }).reason).toMatch(/HMAC/);
    expect(fleet.gateways[2]!.counters.authRefused).toBe(1);
    await waitFor('daemon registrations', () => daemon.registered().length === 3);
    expect(daemon.registered().map((g) => g.gatewayId)).not.toContain('gw-00002');
  });

  it('carries a throttle request to the gateway and its acknowledgement back', async () => {
    const { daemon, fleet } = await daemonAndFleet({ gateways: 3 });
    await fleet.waitRegistered(3, 10_000);
    await waitFor('daemon registrations', () => daemon.registered().length === 3);
    const ack = await daemon.throttle('gw-00001', { host: 'host-1', lun: 'lun-0', iopsLimit: 1200, mbpsLimit: 40 });
    expect(ack).toMatchObject({ gatewayId: 'gw-00001', ok: true, iopsLimit: 1200, mbpsLimit: 40 });
    expect(fleet.gateways[1]!.throttles.get('host-1/lun-0')).toEqual({ iopsLimit: 1200, mbpsLimit: 40 });
    expect(fleet.gateways[0]!.throttles.size).toBe(0);
    const unknown = await daemon.throttle('gw-99999', { host: 'h', lun: 'l', iopsLimit: 1, mbpsLimit: 1 });
    expect(unknown.ok).toBe(false);
    expect(unknown.reason).toMatch(/gw-99999/);
    expect(await daemon.configure('gw-00002', [{ key: 'statsIntervalMs', value: '500' }])).toEqual({ ok: true, reason: '' });
  });

  it('drops a stalled and a garbage-sending gateway while the others answer every poll on time', async () => {
    const { daemon, fleet, events } = await daemonAndFleet({
      gateways: 30,
      behaviourOf: (i) => (i === 3 ? 'stall' : i === 4 ? 'garbage' : 'normal'),
      reconnect: false,
      stallPolls: 2,
    });
    await waitFor('garbage dropped', () => events.some((e) => e.kind === 'dropped' && e.gatewayId === 'gw-00004'));
    const garbage = events.find((e) => e.kind === 'dropped' && e.gatewayId === 'gw-00004') as { reason: string };
    expect(garbage.reason).toMatch(/bad frame at byte \d+: bad magic/);
    await waitFor('daemon registrations', () => daemon.registered().length === 29);
    for (let round = 1; round <= 3; round++) {
      await runCycle(daemon, () => fleet.totals().polls === 28 * round, 1);
    }
    daemon.pollNow();
    await waitFor('stall dropped', () => events.some((e) => e.kind === 'dropped' && e.gatewayId === 'gw-00003'));
    expect((events.find((e) => e.kind === 'dropped' && e.gatewayId === 'gw-00003') as { reason: string }).reason).toMatch(/stalled/);
    const cycles = daemon.cycles();
    expect(cycles.length).toBeGreaterThanOrEqual(3);
    for (const c of cycles.slice(0, 3)) {
      // Only the stalled gateway misses; the 28 good ones answer within the deadline.
      expect(c.missedGateways).toEqual(['gw-00003']);
      expect(c.onTime).toBe(28);
    }
  });

  it('drops a gateway whose statistics cannot be true, names the field, and keeps polling the others', async () => {
    const { daemon, fleet, events } = await daemonAndFleet({ gateways: 10, behaviourOf: (i) => (i === 2 ? 'liar' : 'normal'), reconnect: false });
    await waitFor('daemon registrations', () => daemon.registered().length === 10);
    daemon.pollNow();
    await waitFor('liar dropped', () => events.some((e) => e.kind === 'dropped' && e.gatewayId === 'gw-00002'));
    const dropped = events.find((e) => e.kind === 'dropped' && e.gatewayId === 'gw-00002') as { reason: string };
    expect(dropped.reason).toMatch(/stats reply \(seq \d+\) cannot be true: entries\[0\]\.iops is -\d+/);
    expect(daemon.latestStats('gw-00002')).toBeUndefined();
    await waitFor('the others answered', () => daemon.pollProgress()?.waiting === 1);
    for (let i = 0; i < 10; i++) if (i !== 2) expect(daemon.latestStats(`gw-0000${i}`)?.length).toBeGreaterThan(0);
    // Its cycle counts it as missed; the next one polls the nine others, all of which answer.
    await runCycle(daemon, () => fleet.totals().polls >= 19, 0);
    expect(daemon.cycles().at(-1)).toMatchObject({ polled: 10, missed: 1, missedGateways: ['gw-00002'] });
    expect(daemon.pollProgress()).toMatchObject({ polled: 9, waiting: 0 });
  });

  it('refuses a throttle the wire cannot carry, at the daemon, without disturbing the shard', async () => {
    const { daemon } = await daemonAndFleet({ gateways: 3 });
    await waitFor('daemon registrations', () => daemon.registered().length === 3);
    const bad = await daemon.throttle('gw-00001', { host: 'h', lun: 'l', iopsLimit: Number.POSITIVE_INFINITY, mbpsLimit: 10 });
    expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/iopsLimit Infinity is not a rate/) });
    expect(await daemon.throttle('gw-00001', { host: 'h', lun: 'l', iopsLimit: 100, mbpsLimit: 10 })).toMatchObject({ ok: true });
  });

  it('dials gateways from a list and reconnects after a gateway restarts', async () => {
    const fleet = await startFleet({ gateways: 3, listenHost: '127.0.0.1', secret: SECRET });
    cleanups.push(() => fleet.close());
    const daemon = await startPmDaemon({ shards: 2, secret: SECRET, autoPoll: false, discoveryPort: null, dial: fleet.addresses });
    cleanups.push(() => daemon.stop());
    const events: DaemonEvent[] = [];
    daemon.onEvent((e) => events.push(e));
    await waitFor('daemon registrations', () => daemon.registered().length === 3);
    await fleet.restart(1, 300);
    await waitFor('lost', () => events.some((e) => e.kind === 'unregistered' && e.gatewayId === 'gw-00001'));
    await waitFor('re-registered', () => events.some((e) => e.kind === 'registered' && e.gatewayId === 'gw-00001'), 15_000);
    await waitFor('daemon registrations', () => daemon.registered().length === 3);
    await runCycle(daemon, () => fleet.totals().polls === 3);
  });

  it('replaces a shard thread that dies: its gateways come back (dialled and connecting in), the others never leave', async () => {
    const dialled = await startFleet({ gateways: 4, listenHost: '127.0.0.1', secret: SECRET, idPrefix: 'dl-' });
    cleanups.push(() => dialled.close());
    const { daemon, fleet, events } = await daemonAndFleet({ gateways: 6, dial: dialled.addresses });
    await waitFor('daemon registrations', () => daemon.registered().length === 10);
    await (daemon as PmDaemon & { [terminateShard]: (i: number) => Promise<void> })[terminateShard](0);
    await waitFor('a shard failure reported', () => events.some((e) => e.kind === 'thread-failed' && /restarting/.test(e.reason)));
    const lost = events.filter((e) => e.kind === 'unregistered').map((e) => (e as { gatewayId: string }).gatewayId);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length).toBeLessThan(10);
    // Every gateway is back, on two live shards, and a poll cycle reaches all ten.
    await waitFor('all re-registered', () => daemon.registered().length === 10, 20_000);
    expect(daemon.threads()).toBe(2);
    await runCycle(daemon, () => fleet.totals().polls + dialled.totals().polls >= 10);
    expect(events.filter((e) => e.kind === 'unregistered').length).toBe(lost.length);
  });

  it('keeps a gateway that connects in after it restarts (it redials, the daemon re-registers it)', async () => {
    const { daemon, fleet, events } = await daemonAndFleet({ gateways: 3 });
    await fleet.waitRegistered(3, 10_000);
    await fleet.restart(0, 100);
    await waitFor('re-registered', () => events.filter((e) => e.kind === 'registered' && e.gatewayId === 'gw-00000').length === 2);
    await waitFor('daemon registrations', () => daemon.registered().length === 3);
  });
});

describe('TLS', () => {
  it('authenticates, registers and polls over node:tls, and a plain-TCP gateway gets nowhere', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'headroom-tls-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const daemon = await startPmDaemon({ shards: 2, secret: SECRET, autoPoll: false, tls: { key, cert } });
    cleanups.push(() => daemon.stop());
    const fleet = await startFleet({ gateways: 3, connect: daemon.discovery!, secret: SECRET, tls: { ca: cert } });
    cleanups.push(() => fleet.close());
    const plain = await startFleet({ gateways: 1, idPrefix: 'plain-', connect: daemon.discovery!, secret: SECRET, reconnect: false });
    cleanups.push(() => plain.close());
    await fleet.waitRegistered(3, 10_000);
    await waitFor('daemon registrations', () => daemon.registered().length === 3);
    await runCycle(daemon, () => fleet.totals().polls === 3);
    expect(plain.totals().registered).toBe(0);
    expect(daemon.registered().map((g) => g.gatewayId).sort()).toEqual(['gw-00000', 'gw-00001', 'gw-00002']);
  });
});

describe('thread-per-agent baseline', () => {
  it('runs one thread per gateway, lock-step, under the same scheduler', async () => {
    const { daemon, fleet } = await daemonAndFleet({ gateways: 6, arch: 'per-agent' });
    await fleet.waitRegistered(6, 20_000);
    await waitFor('daemon registrations', () => daemon.registered().length === 6);
    expect(daemon.threads()).toBe(6);
    await runCycle(daemon, () => fleet.totals().polls === 6);
    const ack = await daemon.throttle('gw-00005', { host: 'host-0', lun: 'lun-1', iopsLimit: 10, mbpsLimit: 1 });
    expect(ack.ok).toBe(true);
    daemon.pollNow();
    await waitFor('cycle', () => daemon.cycles().length === 1);
    expect(daemon.cycles()[0]).toMatchObject({ polled: 6, missed: 0 });
  });
});
