import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createLogger, resolveWorkerScript, type Logger } from '../runtime/index.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, encodeFrame, FrameDecoder, protocolErrorText, readStatsBatch, type ConfigSetting, type LunInfo, type StatsEntry } from '../protocol/index.js';
import type { DaemonTls, ShardCommand, ShardConfig, ShardEvent } from './mailbox.js';
import { PollScheduler, type CycleResult } from './poll-scheduler.js';

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
  secrets?: Record<string, string>;
  intervalMs?: number;
  /** A reply later than this after the cycle start is late (default: half the interval). */
  deadlineMs?: number;
  /** Start polling on a timer (default true); tests may drive cycles with pollNow(). */
  autoPoll?: boolean;
  stallPolls?: number;
  handshakeTimeoutMs?: number;
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

export type DaemonEvent =
  | Exclude<ShardEvent, { k: 'listening' } | { k: 'counters' } | { k: 'stats' }>
  | { k: 'cycle'; result: CycleResult }
  | { k: 'thread-limit'; gatewayId: string; reason: string }
  | { k: 'thread-failed'; reason: string };

export interface ThrottleRequest {
  host: string;
  lun: string;
  iopsLimit: number;
  mbpsLimit: number;
}
export interface ThrottleAck extends ThrottleRequest {
  gatewayId: string;
  ok: boolean;
  reason: string;
}

export interface RegisteredGateway {
  gatewayId: string;
  luns: LunInfo[];
  hosts: string[];
  remote: string;
}

export interface DaemonCounters {
  framesIn: number;
  framesOut: number;
  writes: number;
  bytesOut: number;
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
  /** Frames and writes counted by the workers (asks them; resolves when all answered or stopped). */
  stop(): Promise<DaemonCounters>;
}

interface WorkerSlot {
  worker: Worker;
  port: number;
  assigned: number;
  outbox: ShardCommand[];
  exited: boolean;
}

const DISCOVERY_HELLO_TIMEOUT_MS = 5000;

export async function startPmDaemon(options: DaemonOptions = {}): Promise<PmDaemon> {
  const arch = options.arch ?? 'pair';
  const host = options.host ?? '127.0.0.1';
  const intervalMs = options.intervalMs ?? 1000;
  const deadlineMs = options.deadlineMs ?? intervalMs / 2;
  const log = options.log ?? createLogger('pmdaemon');
  const shardConfig = (shardIndex: number): ShardConfig => ({
    shardIndex,
    host,
    secret: options.secret ?? null,
    secrets: options.secrets ?? {},
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    stallPolls: options.stallPolls ?? 3,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000,
    maxQueuedBytes: options.maxQueuedBytes ?? 1 << 20,
    lockStep: arch === 'per-agent',
    pollIntervalMs: intervalMs,
    inboundCoalesceMs: options.inboundCoalesceMs ?? 2,
    tls: options.tls ?? null,
  });

  const slots: WorkerSlot[] = [];
  const slotOf = new Map<string, WorkerSlot>(); // sticky gateway → worker
  /** Gateways this daemon dials, to dial again from a shard that replaces a dead one. */
  const dialTargets = new Map<string, { host: string; port: number }>();
  const registered = new Map<string, RegisteredGateway & { slot: WorkerSlot }>();
  const latest = new Map<string, StatsEntry[]>();
  const listeners = new Set<(e: DaemonEvent) => void>();
  const cycleResults: CycleResult[] = [];
  const scheduler = new PollScheduler(deadlineMs);
  const pendingAcks = new Map<number, { resolve: (ack: ShardEvent) => void; timer: NodeJS.Timeout }>();
  const counters: DaemonCounters = { framesIn: 0, framesOut: 0, writes: 0, bytesOut: 0 };
  const stopWaiters: (() => void)[] = [];
  let nextReqId = 1;
  let flushScheduled = false;
  let stopping = false;

  const publish = (e: DaemonEvent): void => {
    for (const l of listeners) l(e);
  };

  const flushOutboxes = (): void => {
    flushScheduled = false;
    for (const slot of slots) {
      if (slot.outbox.length === 0 || slot.exited) continue;
      const batch = slot.outbox;
      slot.outbox = [];
      slot.worker.postMessage(batch);
    }
  };
  const command = (slot: WorkerSlot, c: ShardCommand): void => {
    slot.outbox.push(c);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushOutboxes);
    }
  };

  const onEvents = (slot: WorkerSlot, events: ShardEvent[]): void => {
    const now = performance.now();
    for (const e of events) {
      switch (e.k) {
        case 'stats':
          try {
            readStatsBatch(e.batch, (gatewayId, cycle, entries) => {
              latest.set(gatewayId, entries);
              scheduler.reply(gatewayId, cycle, now);
            });
          } catch (err) {
            log.error({ err }, 'a shard posted poll replies that do not decode');
          }
          break;
        case 'registered':
          registered.set(e.gatewayId, { gatewayId: e.gatewayId, luns: e.luns, hosts: e.hosts, remote: e.remote, slot });
          log.debug({ gatewayId: e.gatewayId, remote: e.remote }, 'gateway registered');
          publish(e);
          break;
        case 'unregistered':
          if (registered.get(e.gatewayId)?.slot === slot) registered.delete(e.gatewayId);
          publish(e);
          break;
        case 'refused':
          log.warn({ gatewayId: e.gatewayId, remote: e.remote, reason: e.reason }, 'gateway refused');
          publish(e);
          break;
        case 'dropped':
          log.warn({ gatewayId: e.gatewayId, remote: e.remote, reason: e.reason }, 'gateway dropped');
          publish(e);
          break;
        case 'throttleAck':
        case 'configAck': {
          const waiter = pendingAcks.get(e.reqId);
          if (waiter) {
            pendingAcks.delete(e.reqId);
            clearTimeout(waiter.timer);
            waiter.resolve(e);
          }
          publish(e);
          break;
        }
        case 'alert':
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

  const startWorker = async (index: number): Promise<WorkerSlot> => {
    const worker = new Worker(resolveWorkerScript(import.meta.url, './shard-worker.js'), { workerData: shardConfig(index) });
    const slot: WorkerSlot = { worker, port: 0, assigned: 0, outbox: [], exited: false };
    const listening = new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (events: ShardEvent[]) => {
        for (const e of events) if (e.k === 'listening') resolve(e.port);
        onEvents(slot, events);
      });
    });
    worker.on('error', (err) => {
      log.error({ err }, 'daemon thread failed');
      publish({ k: 'thread-failed', reason: `thread ${index} failed: ${err.message}` });
    });
    worker.on('exit', (code) => {
      slot.exited = true;
      const lost = [...registered].filter(([, g]) => g.slot === slot).map(([id]) => id);
      for (const id of lost) registered.delete(id);
      const waiter = stopWaiters.shift();
      if (waiter) waiter();
      if (stopping || arch !== 'pair') return;
      // A shard that dies takes only its own gateways with it, and only until they are back:
      // a new shard takes its place, gateways that connect in redial the discovery port, and the
      // ones this daemon dials are dialled again from the new shard.
      for (const gatewayId of lost) publish({ k: 'unregistered', gatewayId, reason: `shard thread ${index} exited (code ${code})` });
      publish({ k: 'thread-failed', reason: `shard thread ${index} exited (code ${code}); restarting it` });
      log.error({ shard: index, code, gateways: lost.length }, 'shard thread exited; restarting it');
      void restartShard(index, slot);
    });
    slot.port = await listening;
    slots.push(slot);
    return slot;
  };

  const restartShard = async (index: number, dead: WorkerSlot): Promise<void> => {
    let fresh: WorkerSlot;
    try {
      fresh = await startWorker(index);
    } catch (err) {
      publish({ k: 'thread-failed', reason: `shard thread ${index} could not be restarted: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    slots.splice(slots.indexOf(dead), 1);
    if (stopping) { command(fresh, { k: 'stop' }); flushOutboxes(); return; }
    for (const [gatewayId, target] of dialTargets) {
      if (slotOf.get(gatewayId) !== dead) continue;
      slotOf.set(gatewayId, fresh);
      fresh.assigned++;
      command(fresh, { k: 'dial', gatewayId, host: target.host, port: target.port });
    }
    for (const [gatewayId, s] of slotOf) if (s === dead) slotOf.delete(gatewayId);
  };

  if (arch === 'pair') {
    const n = Math.max(1, options.shards ?? os.availableParallelism());
    await Promise.all(Array.from({ length: n }, (_, i) => startWorker(i)));
  }

  let agentSpawns: Promise<unknown> = Promise.resolve();
  let agentsReserved = 0;
  /** Which worker serves a gateway: sticky, least loaded shard, or a new agent thread. */
  const workerFor = async (gatewayId: string): Promise<WorkerSlot | null> => {
    const known = slotOf.get(gatewayId);
    if (known && !known.exited) return known;
    let slot: WorkerSlot;
    if (arch === 'pair') {
      const live = slots.filter((s) => !s.exited);
      if (live.length === 0) throw new Error('every shard thread has exited');
      slot = live.reduce((a, b) => (b.assigned < a.assigned ? b : a));
    } else {
      // Counted before the thread exists: hellos arrive faster than threads start.
      if (options.maxAgents !== undefined && agentsReserved >= options.maxAgents) return null;
      agentsReserved++;
      // Thread creation is serialised: spawning hundreds at once starves the event loop.
      const spawned = agentSpawns.then(() => startWorker(slots.length));
      agentSpawns = spawned.catch(() => undefined);
      try {
        slot = await spawned;
      } catch (err) {
        agentsReserved--;
        throw err;
      }
    }
    slot.assigned++;
    slotOf.set(gatewayId, slot);
    return slot;
  };

  for (const target of options.dial ?? []) {
    dialTargets.set(target.gatewayId, { host: target.host, port: target.port });
    const slot = await workerFor(target.gatewayId);
    if (!slot) {
      publish({ k: 'thread-limit', gatewayId: target.gatewayId, reason: `per-agent thread limit of ${options.maxAgents} reached` });
      continue;
    }
    command(slot, { k: 'dial', gatewayId: target.gatewayId, host: target.host, port: target.port });
  }

  // Discovery: read the hello, then refer the gateway to the worker that will own it.
  let server: net.Server | null = null;
  let discovery: { host: string; port: number } | null = null;
  if (options.discoveryPort !== null) {
    const onDiscovery = (socket: net.Socket): void => {
      const decoder = new FrameDecoder({ maxPayloadBytes: 4096 });
      const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      const timer = setTimeout(() => socket.destroy(), DISCOVERY_HELLO_TIMEOUT_MS);
      socket.on('error', () => {});
      socket.on('close', () => clearTimeout(timer));
      let answered = false;
      socket.on('data', (chunk: Buffer) => {
        if (answered) return;
        const { frames, error } = decoder.push(chunk);
        const first = frames[0];
        if (first) {
          answered = true;
          clearTimeout(timer);
          if (first.message.type !== 'hello') {
            publish({ k: 'dropped', gatewayId: '', remote, reason: `discovery: expected hello, got ${first.message.type}` });
            socket.destroy();
            return;
          }
          const { gatewayId } = first.message;
          void workerFor(gatewayId).then(
            (slot) => {
              if (!slot) {
                const reason = `per-agent thread limit of ${options.maxAgents} reached`;
                publish({ k: 'thread-limit', gatewayId, reason });
                socket.end(encodeFrame(first.seq, { type: 'bye', reason }));
                return;
              }
              // The address the gateway reached us on, which also works when listening on all interfaces.
              socket.end(encodeFrame(first.seq, { type: 'redirect', host: socket.localAddress ?? host, port: slot.port }));
            },
            (err: unknown) => {
              const reason = `could not start a thread: ${err instanceof Error ? err.message : String(err)}`;
              publish({ k: 'thread-limit', gatewayId, reason });
              socket.end(encodeFrame(first.seq, { type: 'bye', reason }));
            },
          );
        } else if (error) {
          answered = true;
          publish({ k: 'dropped', gatewayId: '', remote, reason: `discovery: bad frame at ${protocolErrorText(error)}` });
          socket.destroy();
        }
      });
    };
    server = options.tls ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onDiscovery) : net.createServer(onDiscovery);
    server.listen(options.discoveryPort ?? 0, host);
    await once(server, 'listening');
    discovery = { host, port: (server.address() as net.AddressInfo).port };
  }

  const pollNow = (): number => {
    const { cycle, closed } = scheduler.startCycle(performance.now(), registered.keys());
    if (closed) {
      cycleResults.push(closed);
      publish({ k: 'cycle', result: closed });
    }
    const pollSlots = new Set<WorkerSlot>();
    for (const g of registered.values()) pollSlots.add(g.slot);
    for (const slot of pollSlots) command(slot, { k: 'poll', cycle, intervalMs });
    return cycle;
  };

  // Drift-free ticking: each cycle is due at start + k * interval, whatever the last one cost.
  let pollTimer: NodeJS.Timeout | null = null;
  const startPolling = (): void => {
    if (pollTimer || stopping) return;
    const origin = performance.now();
    let k = 0;
    const tick = (): void => {
      if (stopping) return;
      pollNow();
      k++;
      pollTimer = setTimeout(tick, Math.max(0, origin + k * intervalMs - performance.now()));
    };
    pollTimer = setTimeout(tick, 0);
  };
  if (options.autoPoll ?? true) startPolling();

  const ask = <A extends ShardEvent>(gatewayId: string, make: (reqId: number) => ShardCommand, timeoutMs: number, timeoutAck: (reason: string) => A): Promise<A> => {
    const g = registered.get(gatewayId);
    if (!g) return Promise.resolve(timeoutAck(`gateway ${gatewayId} is not registered`));
    const reqId = nextReqId++;
    return new Promise<A>((resolve) => {
      const timer = setTimeout(() => {
        pendingAcks.delete(reqId);
        resolve(timeoutAck(`gateway ${gatewayId} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pendingAcks.set(reqId, { resolve: (e) => resolve(e as A), timer });
      command(g.slot, make(reqId));
    });
  };

  const daemon: PmDaemon & { [terminateShard]?: (index: number) => Promise<void> } = {
    arch,
    discovery,
    threads: () => slots.filter((s) => !s.exited).length,
    registered: () => [...registered.values()].map(({ slot: _slot, ...g }) => g),
    cycles: () => [...cycleResults],
    pollProgress: () => scheduler.progress,
    latestStats: (gatewayId) => latest.get(gatewayId),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    pollNow,
    startPolling,
    async throttle(gatewayId, request, timeoutMs = 5000) {
      // Refused here, before a shard has to encode it: the wire carries finite rates, 0 = unlimited.
      for (const [name, value] of [['iopsLimit', request.iopsLimit], ['mbpsLimit', request.mbpsLimit]] as const) {
        if (!(Number.isFinite(value) && value >= 0)) {
          return { gatewayId, host: request.host, lun: request.lun, ok: false, iopsLimit: 0, mbpsLimit: 0, reason: `${name} ${value} is not a rate (a finite number, 0 for unlimited)` };
        }
      }
      const ack = await ask(
        gatewayId,
        (reqId) => ({ k: 'throttle', gatewayId, reqId, ...request }),
        timeoutMs,
        (reason): Extract<ShardEvent, { k: 'throttleAck' }> => ({ k: 'throttleAck', gatewayId, reqId: 0, ok: false, iopsLimit: 0, mbpsLimit: 0, reason }),
      );
      return { gatewayId, host: request.host, lun: request.lun, ok: ack.ok, iopsLimit: ack.iopsLimit, mbpsLimit: ack.mbpsLimit, reason: ack.reason };
    },
    async configure(gatewayId, settings, timeoutMs = 5000) {
      const ack = await ask(
        gatewayId,
        (reqId) => ({ k: 'config', gatewayId, reqId, settings }),
        timeoutMs,
        (reason): Extract<ShardEvent, { k: 'configAck' }> => ({ k: 'configAck', gatewayId, reqId: 0, ok: false, reason }),
      );
      return { ok: ack.ok, reason: ack.reason };
    },
    async stop() {
      stopping = true;
      if (pollTimer) clearTimeout(pollTimer);
      const closed = scheduler.closeCycle();
      if (closed) cycleResults.push(closed);
      server?.close();
      await agentSpawns;
      const live = slots.filter((s) => !s.exited);
      const exited = Promise.all(live.map(() => new Promise<void>((r) => stopWaiters.push(r))));
      for (const slot of live) command(slot, { k: 'stop' });
      flushOutboxes();
      // A worker that does not wind down in time is terminated; its counters are then lost.
      const timeout = new Promise<void>((r) => setTimeout(r, 5000).unref());
      await Promise.race([exited, timeout]);
      await Promise.all(live.filter((s) => !s.exited).map((s) => s.worker.terminate()));
      for (const w of pendingAcks.values()) clearTimeout(w.timer);
      return counters;
    },
  };
  // For tests only: a shard that dies without warning, as a crash would leave it.
  Object.defineProperty(daemon, terminateShard, { enumerable: false, value: async (index: number) => { await slots.filter((sl) => !sl.exited)[index]?.worker.terminate(); } });
  return daemon;
}

/** Test seam: `daemon[terminateShard](i)` kills the i-th live shard thread. */
export const terminateShard = Symbol('terminateShard');
