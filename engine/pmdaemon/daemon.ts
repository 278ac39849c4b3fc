import os from 'node:os';
import { createLogger, type Logger } from '../runtime/index.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type AccessListWire, type ConfigSetting, type StatsEntry } from '../protocol/index.js';
import { CommandRouter } from './command-router.js';
import { startDiscovery, type Discovery } from './discovery.js';
import type { DaemonCounters, DaemonEvent, RegisteredGateway, ThrottleAck, ThrottleRequest } from './events.js';
import type { DaemonTls, ShardConfig, ShardEvent } from './mailbox.js';
import { PollCycle } from './poll-cycle.js';
import type { CycleResult } from './poll-scheduler.js';
import { GatewayRegistry } from './registry.js';
import { WorkerPool, type WorkerSlot } from './workers.js';

export type { DaemonCounters, DaemonEvent, RegisteredGateway, ThrottleAck, ThrottleRequest } from './events.js';

/** `pair`: a few shards, each one thread serving many gateways. `per-agent`: one thread per gateway. */
export type DaemonArch = 'pair' | 'per-agent';

export interface DialTarget {
  gatewayId: string;
  host: string;
  port: number;
}

export interface DaemonOptions {
  arch?: DaemonArch;
  /** Pair only: number of shard threads (default: one per core). */
  shards?: number;
  host?: string;
  /** Port for gateways that connect in (discovery); 0 picks one; null for none. */
  discoveryPort?: number | null;
  dial?: readonly DialTarget[];
  secret?: string;
  /** Per gateway id (a Map: ids arrive from peers). */
  secrets?: ReadonlyMap<string, string>;
  intervalMs?: number;
  /** A reply later than this after the cycle start is late (default: half the interval). */
  deadlineMs?: number;
  /** Start polling on a timer (default true); tests may drive cycles with pollNow(). */
  autoPoll?: boolean;
  stallPolls?: number;
  handshakeTimeoutMs?: number;
  /** Unauthenticated connections held at once, per listener (discovery, each shard); default 8192. */
  maxHandshakes?: number;
  /** Per registered gateway: alerts a second (default 5) and the burst above it (default 20). */
  alertsPerSecond?: number;
  alertBurst?: number;
  /** Per registered gateway: inventory updates closer together than this are merged (default 1000 ms). */
  inventoryIntervalMs?: number;
  maxPayloadBytes?: number;
  maxQueuedBytes?: number;
  /** Speak TLS (node:tls) on every connection instead of plain TCP. */
  tls?: DaemonTls;
  /** Pair: a shard holds poll replies up to this long to post them to the core in one batch. */
  inboundCoalesceMs?: number;
  /** Per-agent only: refuse gateways beyond this many threads. */
  maxAgents?: number;
  log?: Logger;
}

export interface PmDaemon {
  readonly arch: DaemonArch;
  readonly discovery: { host: string; port: number } | null;
  /** Worker threads the daemon runs (shards, or agents). */
  threads(): number;
  registered(): RegisteredGateway[];
  cycles(): CycleResult[];
  /** The open cycle: gateways polled and replies still awaited. */
  pollProgress(): { cycle: number; polled: number; waiting: number } | null;
  latestStats(gatewayId: string): StatsEntry[] | undefined;
  onEvent(listener: (event: DaemonEvent) => void): () => void;
  /** Closes the open cycle and starts the next one now. */
  pollNow(): number;
  /** Poll every interval from now on (what autoPoll does at start). */
  startPolling(): void;
  throttle(gatewayId: string, request: ThrottleRequest, timeoutMs?: number): Promise<ThrottleAck>;
  configure(gatewayId: string, settings: ConfigSetting[], timeoutMs?: number): Promise<{ ok: boolean; reason: string }>;
  /** Send a gateway the policy's access lists for it (acknowledged like configure). */
  setAccess(gatewayId: string, luns: AccessListWire[], timeoutMs?: number): Promise<{ ok: boolean; reason: string }>;
  /** What the daemon holds per peer now: registrations, agent threads, unauthenticated connections at discovery. */
  tables(): { registered: number; agents: number; discoveryHandshakes: number };
  /** Frames and writes counted by the workers (asks them; resolves when all answered or stopped). */
  stop(): Promise<DaemonCounters>;
}

const DISCOVERY_HELLO_TIMEOUT_MS = 5000;
const DEFAULT_MAX_HANDSHAKES = 8192;
/** Refusals of unauthenticated peers reported one by one per second; the rest are counted. */
const UNAUTHENTICATED_EVENTS_PER_SECOND = 20;

function shardConfigOf(o: DaemonOptions, arch: DaemonArch, host: string, intervalMs: number) {
  return (shardIndex: number): ShardConfig => ({
    shardIndex,
    host,
    secret: o.secret ?? null,
    secrets: new Map(o.secrets ?? []),
    maxPayloadBytes: o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    stallPolls: o.stallPolls ?? 3,
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 5000,
    maxHandshakes: o.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES,
    alertsPerSecond: o.alertsPerSecond ?? 5,
    alertBurst: o.alertBurst ?? 20,
    inventoryIntervalMs: o.inventoryIntervalMs ?? 1000,
    maxQueuedBytes: o.maxQueuedBytes ?? 1 << 20,
    lockStep: arch === 'per-agent',
    pollIntervalMs: intervalMs,
    inboundCoalesceMs: o.inboundCoalesceMs ?? 2,
    tls: o.tls ?? null,
  });
}

/**
 * Reports about peers that never authenticated, bounded: a flood of bad hellos must not become
 * a flood of log lines and events. The first few a second go out; the rest are counted.
 */
class UnauthenticatedReports {
  private windowStart = -Infinity;
  private inWindow = 0;
  private suppressed = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: (e: DaemonEvent) => void, private readonly log: Logger) {}

  report(e: DaemonEvent): void {
    const now = performance.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow < UNAUTHENTICATED_EVENTS_PER_SECOND) {
      this.inWindow++;
      if (e.kind === 'refused' || e.kind === 'dropped') this.log.warn({ gatewayId: e.gatewayId.slice(0, 100), remote: e.remote, reason: e.reason }, `gateway ${e.kind}`);
      this.out(e);
      return;
    }
    this.suppressed++;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const count = this.suppressed;
      this.suppressed = 0;
      this.log.warn({ count }, 'refusals of unauthenticated peers not reported one by one');
      this.out({ kind: 'unauthenticated-suppressed', count });
    }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

export async function startPmDaemon(options: DaemonOptions = {}): Promise<PmDaemon> {
  const arch = options.arch ?? 'pair';
  const host = options.host ?? '127.0.0.1';
  const intervalMs = options.intervalMs ?? 1000;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000;
  const maxHandshakes = options.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES;
  const log = options.log ?? createLogger('pmdaemon');
  const listeners = new Set<(e: DaemonEvent) => void>();
  const publish = (e: DaemonEvent): void => {
    for (const l of listeners) l(e);
  };
  const unauthenticated = new UnauthenticatedReports(publish, log);
  const counters: DaemonCounters = { framesIn: 0, framesOut: 0, writes: 0, bytesOut: 0 };
  const stopWaiters: (() => void)[] = [];
  let stopping = false;

  const registry = new GatewayRegistry<WorkerSlot>();
  /** Gateways this daemon dials (the operator's list, not peer input) and the worker dialling each. */
  const dialTargets = new Map<string, { host: string; port: number; slot: WorkerSlot | null }>();
  /** Per-agent: each gateway's thread, until its gateway registers or the handshake time is up. */
  const agents = new Map<string, WorkerSlot>();

  const pool: WorkerPool = new WorkerPool({
    configOf: shardConfigOf(options, arch, host, intervalMs),
    onEvents: (slot, events) => onShardEvents(slot, events),
    onError: (slot, err) => {
      log.error({ err }, 'daemon thread failed');
      publish({ kind: 'thread-failed', reason: `thread ${slot.index} failed: ${err.message}` });
    },
    onExit: (slot, code) => onWorkerExit(slot, code),
  });
  const poll = new PollCycle<WorkerSlot>(intervalMs, options.deadlineMs ?? intervalMs / 2, {
    registeredIds: () => registry.ids(),
    pollSlots: () => registry.slots(),
    sendPoll: (slot, cycle) => pool.command(slot, { kind: 'poll', cycle, intervalMs }),
    onClosed: (result) => publish({ kind: 'cycle', result }),
    onBadBatch: (err) => log.error({ err }, 'a shard posted poll replies that do not decode'),
  });
  const router = new CommandRouter<WorkerSlot>({
    slotOf: (gatewayId) => registry.get(gatewayId)?.slot,
    send: (slot, c) => pool.command(slot, c),
  });

  /** The core's side of the mailbox: one batch of events from one worker. */
  const onShardEvents = (slot: WorkerSlot, events: ShardEvent[]): void => {
    for (const e of events) {
      switch (e.kind) {
        case 'stats':
          poll.onStats(e.batch);
          break;
        case 'registered': {
          const before = registry.register(slot, { gatewayId: e.gatewayId, luns: e.luns, hosts: e.hosts, remote: e.remote });
          // Two connections of one gateway raced to two workers: the newer registration wins.
          if (before) pool.command(before, { kind: 'disconnect', gatewayId: e.gatewayId, reason: 'registered again on another thread' });
          log.debug({ gatewayId: e.gatewayId, remote: e.remote }, 'gateway registered');
          publish(e);
          break;
        }
        case 'unregistered':
          if (registry.unregister(slot, e.gatewayId)) {
            poll.forget(e.gatewayId);
            publish(e);
          }
          break;
        case 'refused':
          unauthenticated.report(e);
          break;
        case 'dropped':
          if (registry.get(e.gatewayId)?.slot === slot) {
            log.warn({ gatewayId: e.gatewayId, remote: e.remote, reason: e.reason }, 'gateway dropped');
            publish(e);
          } else {
            unauthenticated.report(e);
          }
          break;
        case 'throttleAck':
        case 'configAck':
          router.onAck(e);
          publish(e);
          break;
        case 'alert':
          publish(e);
          break;
        case 'rate-limited':
          log.warn({ gatewayId: e.gatewayId, alertsDropped: e.alertsDropped, inventoriesMerged: e.inventoriesMerged }, 'gateway over its rate: alerts dropped, inventory updates merged');
          publish(e);
          break;
        case 'handshakes-full':
          log.warn({ refused: e.refused, limit: e.limit }, 'handshake table full: connections closed on arrival');
          publish(e);
          break;
        case 'counters':
          counters.framesIn += e.framesIn;
          counters.framesOut += e.framesOut;
          counters.writes += e.writes;
          counters.bytesOut += e.bytesOut;
          break;
        case 'listening':
          break;
      }
    }
  };

  const onWorkerExit = (slot: WorkerSlot, code: number): void => {
    const lost = registry.dropSlot(slot);
    for (const id of lost) poll.forget(id);
    const waiter = stopWaiters.shift();
    if (waiter) waiter();
    if (arch !== 'pair') {
      for (const [id, s] of agents) if (s === slot) agents.delete(id);
      pool.remove(slot);
      return;
    }
    if (stopping) return;
    // A shard that dies takes only its own gateways with it, and only until they are back:
    // a new shard takes its place, gateways that connect in redial the discovery port, and the
    // ones this daemon dials are dialled again from the new shard.
    for (const gatewayId of lost) publish({ kind: 'unregistered', gatewayId, reason: `shard thread ${slot.index} exited (code ${code})` });
    publish({ kind: 'thread-failed', reason: `shard thread ${slot.index} exited (code ${code}); restarting it` });
    log.error({ shard: slot.index, code, gateways: lost.length }, 'shard thread exited; restarting it');
    void restartShard(slot);
  };

  const restartShard = async (dead: WorkerSlot): Promise<void> => {
    let fresh: WorkerSlot;
    try {
      fresh = await pool.start(dead.index);
    } catch (err) {
      publish({ kind: 'thread-failed', reason: `shard thread ${dead.index} could not be restarted: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    pool.remove(dead);
    if (stopping) { pool.command(fresh, { kind: 'stop' }); pool.flush(); return; }
    for (const [gatewayId, target] of dialTargets) {
      if (target.slot !== dead) continue;
      target.slot = fresh;
      pool.command(fresh, { kind: 'dial', gatewayId, host: target.host, port: target.port });
    }
  };

  // ---- which worker serves a gateway

  let nextShard = 0;
  /** Pair: the shard a registered or dialled gateway is on; otherwise the next shard in turn (nothing recorded before it registers). */
  const shardFor = (gatewayId: string): WorkerSlot => {
    const held = registry.get(gatewayId)?.slot ?? dialTargets.get(gatewayId)?.slot;
    if (held && !held.exited) return held;
    const live = pool.live();
    if (live.length === 0) throw new Error('every shard thread has exited');
    return live[nextShard++ % live.length]!;
  };

  let agentSpawns: Promise<unknown> = Promise.resolve();
  let agentsStarting = 0;
  /** Per-agent: the gateway's own thread, started for it; null when a limit says no. */
  const agentFor = async (gatewayId: string): Promise<WorkerSlot | { refuse: string }> => {
    const known = agents.get(gatewayId);
    if (known && !known.exited) return known;
    const threads = pool.live().length + agentsStarting;
    if (options.maxAgents !== undefined && threads >= options.maxAgents) return { refuse: `per-agent thread limit of ${options.maxAgents} reached` };
    const unregistered = threads - registry.size;
    if (unregistered >= maxHandshakes) return { refuse: `${unregistered} agent threads wait for their gateways to register; no more now` };
    // Counted before the thread exists: hellos arrive faster than threads start.
    agentsStarting++;
    // Thread creation is serialised: spawning hundreds at once starves the event loop.
    const spawned = agentSpawns.then(() => pool.start(pool.slots.length));
    agentSpawns = spawned.catch(() => undefined);
    let slot: WorkerSlot;
    try {
      slot = await spawned;
    } finally {
      agentsStarting--;
    }
    agents.set(gatewayId, slot);
    // An agent whose gateway never registers is ended: nothing stays for a peer that did not authenticate.
    setTimeout(() => {
      if (stopping || slot.exited || registry.get(gatewayId)?.slot === slot) return;
      agents.delete(gatewayId);
      pool.command(slot, { kind: 'stop' });
    }, handshakeTimeoutMs + DISCOVERY_HELLO_TIMEOUT_MS).unref();
    return slot;
  };

  const workerFor = async (gatewayId: string): Promise<WorkerSlot | { refuse: string }> => (arch === 'pair' ? shardFor(gatewayId) : agentFor(gatewayId));

  // ---- start

  if (arch === 'pair') {
    const n = Math.max(1, options.shards ?? os.availableParallelism());
    await Promise.all(Array.from({ length: n }, (_, i) => pool.start(i)));
  }

  for (const target of options.dial ?? []) {
    const to = await workerFor(target.gatewayId);
    if ('refuse' in to) {
      publish({ kind: 'thread-limit', gatewayId: target.gatewayId, reason: to.refuse });
      continue;
    }
    dialTargets.set(target.gatewayId, { host: target.host, port: target.port, slot: to });
    pool.command(to, { kind: 'dial', gatewayId: target.gatewayId, host: target.host, port: target.port });
  }

  let discovery: Discovery | null = null;
  if (options.discoveryPort !== null) {
    discovery = await startDiscovery({
      host,
      port: options.discoveryPort ?? 0,
      tls: options.tls ?? null,
      maxHandshakes,
      helloTimeoutMs: DISCOVERY_HELLO_TIMEOUT_MS,
      route: async (gatewayId) => {
        const to = await workerFor(gatewayId);
        return 'refuse' in to ? to : { port: to.port };
      },
      report: (e) => {
        if (e.kind === 'dropped') unauthenticated.report(e);
        else if (e.kind === 'handshakes-full') { log.warn({ refused: e.refused, limit: e.limit }, 'discovery handshake table full: connections closed on arrival'); publish(e); }
        else publish(e);
      },
    });
  }

  if (options.autoPoll ?? true) poll.start();

  const daemon: PmDaemon & { [terminateShard]?: (index: number) => Promise<void> } = {
    arch,
    discovery: discovery?.address ?? null,
    threads: () => pool.live().length,
    registered: () => registry.all(),
    cycles: () => poll.cycles(),
    pollProgress: () => poll.progress,
    latestStats: (gatewayId) => poll.latestStats(gatewayId),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pollNow: () => poll.pollNow(),
    startPolling: () => { if (!stopping) poll.start(); },
    throttle: (gatewayId, request, timeoutMs) => router.throttle(gatewayId, request, timeoutMs),
    configure: (gatewayId, settings, timeoutMs) => router.configure(gatewayId, settings, timeoutMs),
    setAccess: (gatewayId, luns, timeoutMs) => router.setAccess(gatewayId, luns, timeoutMs),
    tables: () => ({ registered: registry.size, agents: agents.size, discoveryHandshakes: discovery?.waiting() ?? 0 }),
    async stop() {
      stopping = true;
      poll.stop();
      unauthenticated.stop();
      discovery?.close();
      await agentSpawns;
      const live = pool.live();
      const exited = Promise.all(live.map(() => new Promise<void>((r) => stopWaiters.push(r))));
      for (const slot of live) pool.command(slot, { kind: 'stop' });
      pool.flush();
      // A worker that does not wind down in time is terminated; its counters are then lost.
      const timeout = new Promise<void>((r) => setTimeout(r, 5000).unref());
      await Promise.race([exited, timeout]);
      await Promise.all(live.filter((s) => !s.exited).map((s) => s.worker.terminate()));
      router.stop();
      return counters;
    },
  };
  // For tests only: a shard that dies without warning, as a crash would leave it.
  Object.defineProperty(daemon, terminateShard, { enumerable: false, value: async (index: number) => { await pool.live()[index]?.worker.terminate(); } });
  return daemon;
}

/** Test seam: `daemon[terminateShard](i)` kills the i-th live shard thread. */
export const terminateShard = Symbol('terminateShard');
