import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../fleet/index.js';
import { computeAuthMac, encodeFrame, FrameDecoder, GATEWAY_ID_PATTERN, type ControlMessage, type DecodedFrame } from '../protocol/index.js';
import { createLogger } from '../runtime/index.js';
import { startPmDaemon, type DaemonEvent, type PmDaemon } from './index.js';

// Shards are worker threads running the compiled engine: `npm run build:engine` first.
// A good fleet is polled every second throughout while hostile peers work on the daemon over
// real sockets; the daemon's own cycle counters say whether the good gateways stayed on time.

const GOOD = 9;
const GOOD_SECRET = 'good-secret';
const NOISY_SECRET = 'noisy-secret';
const STALLER = `gw-${String(GOOD).padStart(5, '0')}`;
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupSetter__'];
const ALERT_RATE = { alertsPerSecond: 5, alertBurst: 20 };

let daemon: PmDaemon;
let fleet: Fleet;
const events: DaemonEvent[] = [];
let watchedFrom = 0;
const counts = { frames: 0, connections: 0 };
/** When each attack began (performance.now()), to place a late cycle among them. */
const phases: [string, number][] = [];

/** A raw peer on one socket: writes what the test says, decodes what the daemon answers. */
class Peer {
  readonly frames: DecodedFrame[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private wake: (() => void) | null = null;
  private constructor(readonly socket: net.Socket) {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const { frames } = this.decoder.push(chunk);
      this.frames.push(...frames);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => { this.wake?.(); resolve(); }));
  }

  static connect(port: number): Promise<Peer> {
    counts.connections++;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new Peer(socket)));
      socket.once('error', reject);
    });
  }

  send(seq: number, message: ControlMessage): void {
    counts.frames++;
    this.socket.write(encodeFrame(seq, message));
  }

  /** The next frame of this type, or null when the daemon closes first or 3 s pass. */
  async next(type: ControlMessage['type']): Promise<DecodedFrame | null> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const at = this.frames.findIndex((f) => f.message.type === type);
      if (at >= 0) return this.frames.splice(at, 1)[0]!;
      if (this.socket.destroyed || this.socket.readableEnded || Date.now() > deadline) return null;
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, 50); });
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

/** Runs `task` over `items` with at most `limit` at once (bounded load). */
async function pooled<T>(items: Iterable<T>, limit: number, task: (item: T) => Promise<void>): Promise<void> {
  const it = items[Symbol.iterator]();
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let n = it.next(); !n.done; n = it.next()) await task(n.value);
  }));
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A shard port, as discovery hands it to a gateway that says hello. */
async function shardPortFor(gatewayId: string): Promise<number> {
  const peer = await Peer.connect(daemon.discovery!.port);
  peer.send(0, { type: 'hello', gatewayId, software: 'test' });
  const redirect = await peer.next('redirect');
  peer.end();
  if (redirect?.message.type !== 'redirect') throw new Error(`no redirect for ${gatewayId}`);
  return redirect.message.port;
}

/** Authenticates and registers as `gatewayId` on its shard; the peer is then a registered gateway. */
async function registeredPeer(gatewayId: string, secret: string): Promise<Peer> {
  const peer = await Peer.connect(await shardPortFor(gatewayId));
  peer.send(0, { type: 'hello', gatewayId, software: 'test' });
  const challenge = await peer.next('challenge');
  if (challenge?.message.type !== 'challenge') throw new Error('no challenge');
  peer.send(challenge.seq, { type: 'auth', mac: computeAuthMac(secret, challenge.message.nonce, gatewayId) });
  const result = await peer.next('authResult');
  if (result?.message.type !== 'authResult' || !result.message.ok) throw new Error(`not authenticated as ${gatewayId}`);
  peer.send(1, { type: 'register', gatewayId, luns: [{ lunId: 'l0', sizeBytes: 1 }], hosts: ['h0'] });
  if (!(await peer.next('registered'))) throw new Error(`${gatewayId} not registered`);
  return peer;
}

/** A valid frame of some type, then damaged: flipped bits, cut short, or spliced with random bytes. */
function mutatedFrame(i: number): Buffer {
  const messages: ControlMessage[] = [
    { type: 'hello', gatewayId: PROTOTYPE_NAMES[i % PROTOTYPE_NAMES.length]!, software: 'x' },
    { type: 'auth', mac: randomBytes(32) },
    { type: 'register', gatewayId: 'constructor', luns: [{ lunId: 'a', sizeBytes: 1 }], hosts: ['b'] },
    { type: 'stats', intervalMs: 1000, entries: [{ host: 'h', lun: 'l', iops: 1, mbps: 1, latencyP50Us: 1, latencyP95Us: 2, latencyP99Us: 3, queueDepth: 1 }] },
    { type: 'alert', severity: 'critical', code: 'x', text: 'y', host: 'h', lun: 'l' },
    { type: 'bye', reason: 'z' },
  ];
  const frame = encodeFrame(i & 0xffff, messages[i % messages.length]!);
  switch (i % 4) {
    case 0: { const at = (i * 7) % frame.length; frame[at] = frame[at]! ^ (1 << (i % 8)); return frame; }
    case 1: return frame.subarray(0, (i * 13) % frame.length);
    case 2: return Buffer.concat([frame.subarray(0, (i * 5) % frame.length), randomBytes(1 + (i % 40))]);
    default: return randomBytes(1 + (i % 200));
  }
}

const FUZZ_CONNECTIONS = 500;
const FUZZ_FRAMES_PER_CONNECTION = 100;
/** Built before the daemon starts: generating them must not take the core's time during the run. */
let fuzzStreams: Buffer[] = [];

beforeAll(async () => {
  fuzzStreams = Array.from({ length: FUZZ_CONNECTIONS }, (_, c) => {
    // Some start with a proper hello, so the damage lands after the handshake began.
    const parts: Buffer[] = c % 2 === 0 ? [encodeFrame(0, { type: 'hello', gatewayId: PROTOTYPE_NAMES[c % PROTOTYPE_NAMES.length]!, software: 'x' })] : [];
    for (let f = 0; f < FUZZ_FRAMES_PER_CONNECTION; f++) parts.push(mutatedFrame(c * FUZZ_FRAMES_PER_CONNECTION + f));
    return Buffer.concat(parts);
  });
  const secrets = new Map<string, string>();
  for (let i = 0; i <= GOOD; i++) secrets.set(`gw-${String(i).padStart(5, '0')}`, GOOD_SECRET);
  for (let i = 0; i < 4; i++) secrets.set(`noisy-${i}`, NOISY_SECRET);
  daemon = await startPmDaemon({ shards: 2, secrets, intervalMs: 1000, ...ALERT_RATE, log: createLogger('pmdaemon', 'silent') });
  daemon.onEvent((e) => events.push(e));
  fleet = await startFleet({ gateways: GOOD + 1, connect: daemon.discovery!, secret: GOOD_SECRET, behaviourOf: (i) => (i === GOOD ? 'stall' : 'normal') });
  await fleet.waitRegistered(GOOD + 1, 20_000);
  await waitFor('the fleet registered at the daemon', () => daemon.registered().length === GOOD + 1);
  watchedFrom = daemon.cycles().length;
}, 60_000);

afterAll(async () => {
  await fleet?.close();
  await daemon?.stop();
});

describe('the daemon against hostile peers, over real sockets, while a good fleet is polled', () => {
  it('refuses prototype names as gateway ids, at discovery and at the shards, with any MAC', async () => {
    phases.push(['refuses prototype names as gat', Math.round(performance.now())]);
    const refusedBefore = events.filter((e) => e.kind === 'refused').length;
    let refusals = 0;
    const fitPattern = PROTOTYPE_NAMES.filter((id) => GATEWAY_ID_PATTERN.test(id));
    await pooled(Array.from({ length: 6 }, () => PROTOTYPE_NAMES).flat(), 8, async (gatewayId) => {
      const discovery = await Peer.connect(daemon.discovery!.port);
      discovery.send(0, { type: 'hello', gatewayId, software: 'x' });
      const redirect = await discovery.next('redirect');
      discovery.end();
      if (!fitPattern.includes(gatewayId)) { expect(redirect, `${gatewayId} fails the id pattern: no redirect`).toBeNull(); return; }
      if (redirect?.message.type !== 'redirect') throw new Error(`no redirect for ${gatewayId}`);
      const shard = await Peer.connect(redirect.message.port);
      shard.send(0, { type: 'hello', gatewayId, software: 'x' });
      const challenge = await shard.next('challenge');
      shard.send(challenge?.seq ?? 0, { type: 'auth', mac: randomBytes(32) });
      const result = await shard.next('authResult');
      expect(result?.message, gatewayId).toMatchObject({ type: 'authResult', ok: false, reason: expect.stringMatching(/unknown gateway/) });
      refusals++;
      await shard.closed;
    });
    // `constructor`, `toString`, `valueOf`... fit the pattern: the Map lookups refuse them.
    expect(fitPattern.length).toBeGreaterThanOrEqual(6);
    expect(refusals).toBe(6 * fitPattern.length);
    expect(events.filter((e) => e.kind === 'refused').length).toBeGreaterThan(refusedBefore);
    expect(events.filter((e) => e.kind === 'thread-failed')).toEqual([]);
    expect(daemon.threads()).toBe(2);
  }, 60_000);

  it('keeps nothing for a flood of unique ids that never authenticate', async () => {
    phases.push(['keeps nothing for a flood of u', Math.round(performance.now())]);
    const rssBefore = process.memoryUsage().rss;
    const ports = [...new Set(await Promise.all([shardPortFor('probe-a'), shardPortFor('probe-b'), shardPortFor('probe-c')]))];
    const FLOOD = 6000;
    let closedByDaemon = 0;
    await pooled(Array.from({ length: FLOOD }, (_, i) => i), 100, async (i) => {
      // Half valid-looking unique ids, half 3.9 KB ones (refused by the id pattern); to discovery and straight to the shards.
      const gatewayId = i % 2 === 0 ? `flood-${i}-${'x'.repeat(50)}` : `f${i}${'y'.repeat(3900)}`;
      const peer = await Peer.connect(i % 3 === 0 ? daemon.discovery!.port : ports[i % ports.length]!);
      peer.send(0, { type: 'hello', gatewayId, software: 'x' });
      const answer = await Promise.race([peer.next(i % 3 === 0 ? 'redirect' : 'challenge'), peer.closed.then(() => null)]);
      if (answer === null) closedByDaemon++;
      peer.end();
    });
    // Every 3.9 KB id is refused by the pattern, before any lookup.
    expect(closedByDaemon).toBeGreaterThanOrEqual(FLOOD / 2);
    await waitFor('the handshake table drains', () => daemon.tables().discoveryHandshakes === 0);
    expect(daemon.tables()).toEqual({ registered: GOOD + 1, agents: 0, discoveryHandshakes: 0 });
    expect(daemon.registered().map((g) => g.gatewayId).filter((id) => id.startsWith('f'))).toEqual([]);
    const suppressed = events.filter((e) => e.kind === 'unauthenticated-suppressed');
    console.log(JSON.stringify({ flood: FLOOD, closedByDaemon, rssMbBefore: Math.round(rssBefore / 2 ** 20), rssMbAfter: Math.round(process.memoryUsage().rss / 2 ** 20), refusalsCountedNotReported: suppressed.reduce((s, e) => s + (e.kind === 'unauthenticated-suppressed' ? e.count : 0), 0) }));
  }, 120_000);

  it('survives 50,000 random and mutated frames from unauthenticated peers with no shard exit', async () => {
    phases.push(['survives 50,000 random and mut', Math.round(performance.now())]);
    const ports = [daemon.discovery!.port, ...new Set(await Promise.all([shardPortFor('probe-d'), shardPortFor('probe-e'), shardPortFor('probe-f')]))];
    await pooled(fuzzStreams.keys(), 20, async (c) => {
      const peer = await Peer.connect(ports[c % ports.length]!);
      counts.frames += FUZZ_FRAMES_PER_CONNECTION;
      peer.socket.write(fuzzStreams[c]!);
      await Promise.race([peer.closed, new Promise((r) => setTimeout(r, 300))]);
      peer.end();
    });
    expect(events.filter((e) => e.kind === 'thread-failed')).toEqual([]);
    expect(daemon.threads()).toBe(2);
  }, 120_000);

  it('rate-limits an authenticated gateway\'s alerts and inventory updates, logs the drops, and drops its garbage alone', async () => {
    phases.push(['rate-limits an authenticated g', Math.round(performance.now())]);
    const noisy = await registeredPeer('noisy-0', NOISY_SECRET);
    const started = Date.now();
    const ALERTS = 5000;
    const UPDATES = 2000;
    const burst: Buffer[] = [];
    for (let i = 0; i < ALERTS; i++) burst.push(encodeFrame(0, { type: 'alert', severity: 'warning', code: 'flood', text: `alert ${i}`, host: 'h0', lun: 'l0' }));
    for (let i = 0; i < UPDATES; i++) burst.push(encodeFrame(0, { type: 'register', gatewayId: 'noisy-0', luns: [{ lunId: `l${i}`, sizeBytes: 1 }], hosts: ['h0'] }));
    noisy.socket.write(Buffer.concat(burst));
    counts.frames += ALERTS + UPDATES;
    await waitFor('the drop report', () => events.some((e) => e.kind === 'rate-limited' && e.gatewayId === 'noisy-0'));
    await new Promise((r) => setTimeout(r, 1500));
    const seconds = (Date.now() - started) / 1000;
    const alerts = events.filter((e) => e.kind === 'alert' && e.gatewayId === 'noisy-0').length;
    const updates = events.filter((e) => e.kind === 'registered' && e.gatewayId === 'noisy-0' && e.update);
    const reports = events.filter((e): e is Extract<DaemonEvent, { kind: 'rate-limited' }> => e.kind === 'rate-limited' && e.gatewayId === 'noisy-0');
    const dropped = reports.reduce((s, r) => s + r.alertsDropped, 0);
    const merged = reports.reduce((s, r) => s + r.inventoriesMerged, 0);
    expect(alerts).toBeLessThanOrEqual(ALERT_RATE.alertBurst + Math.ceil(seconds * ALERT_RATE.alertsPerSecond));
    expect(alerts + dropped).toBe(ALERTS);
    // Merged, not lost: the latest inventory goes out within the interval.
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    expect(updates.length + merged).toBe(UPDATES);
    await waitFor('the last inventory', () => daemon.registered().find((g) => g.gatewayId === 'noisy-0')?.luns[0]?.lunId === `l${UPDATES - 1}`);
    console.log(JSON.stringify({ alertsSent: ALERTS, alertsPassed: alerts, alertsDropped: dropped, updatesSent: UPDATES, updatesPassed: updates.length, updatesMerged: merged, seconds }));

    // Authenticated garbage: each noisy gateway sends damaged frames after registering, and only its own connection ends.
    for (let round = 0; round < 12; round++) {
      const id = `noisy-${1 + (round % 3)}`;
      const peer = await registeredPeer(id, NOISY_SECRET);
      const parts: Buffer[] = [];
      for (let f = 0; f < 200; f++) parts.push(mutatedFrame(round * 1000 + f));
      counts.frames += 200;
      peer.socket.write(Buffer.concat(parts));
      await Promise.race([peer.closed, new Promise((r) => setTimeout(r, 1000))]);
      peer.end();
    }
    noisy.end();
    await waitFor('the noisy gateways gone', () => daemon.registered().every((g) => !g.gatewayId.startsWith('noisy')));
    expect(events.filter((e) => e.kind === 'dropped' && e.gatewayId.startsWith('noisy')).length).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === 'thread-failed')).toEqual([]);
    expect(daemon.threads()).toBe(2);
  }, 120_000);

  it('closes 2,000 idle connections at the handshake timeout and drops the stalled gateway after 3 polls', async () => {
    phases.push(['closes 2,000 idle connections ', Math.round(performance.now())]);
    const shard = await shardPortFor('probe-g');
    const idle: Peer[] = [];
    for (let i = 0; i < 2000; i += 100) {
      idle.push(...await Promise.all(Array.from({ length: 100 }, async (_, j) => Peer.connect((i + j) % 2 === 0 ? daemon.discovery!.port : shard))));
    }
    await Promise.all(idle.map((p) => p.closed));
    expect(idle.every((p) => p.socket.destroyed)).toBe(true);
    await waitFor('the stalled gateway dropped', () => events.some((e) => e.kind === 'dropped' && e.gatewayId === STALLER));
    expect(events.find((e) => e.kind === 'dropped' && e.gatewayId === STALLER)).toMatchObject({ reason: expect.stringMatching(/stalled: 3 polls in a row unanswered/) });
  }, 60_000);

  it('kept every good gateway on time through all of it, by the daemon\'s own counters', () => {
    // From the first cycle started after the fleet registered.
    const cycles = daemon.cycles().slice(watchedFrom + 1);
    expect(cycles.length).toBeGreaterThanOrEqual(5);
    const expected = new Set([STALLER, 'noisy-0', 'noisy-1', 'noisy-2', 'noisy-3']);
    // polled = onTime + late + missed: with no late reply and only the staller and the noisy
    // gateways (which never answer polls) missing, every good gateway answered every poll on time.
    for (const c of cycles) {
      expect(c.missedGateways.filter((id) => !expected.has(id)), `cycle ${c.cycle}`).toEqual([]);
      // The phase it fell in, should it fail (cycle starts and phase starts share the clock).
      expect(c.late, `cycle ${c.cycle} at ${Math.round(c.startedAt)} ms; phases ${JSON.stringify(phases)}`).toBe(0);
      expect(c.polled, `cycle ${c.cycle}: ${JSON.stringify(c)}`).toBeGreaterThanOrEqual(GOOD);
    }
    expect(events.filter((e) => e.kind === 'thread-failed')).toEqual([]);
    console.log(JSON.stringify({ cyclesWatched: cycles.length, late: cycles.reduce((s, c) => s + c.late, 0), framesSent: counts.frames, connections: counts.connections }));
  });
});
