import net from 'node:net';
import tls from 'node:tls';
import {
  encodeFrame,
  FrameDecoder,
  gatewayIdProblem,
  implausibleStats,
  newAuthNonce,
  protocolErrorText,
  SequenceCounter,
  StatsBatchWriter,
  verifyAuthMac,
  type ControlMessage,
  type DecodedFrame,
  type LunInfo,
  type StatsEntry,
} from '../protocol/index.js';
import type { ShardCommand, ShardConfig, ShardEvent } from './mailbox.js';
import { TokenBucket } from './rate-limit.js';

type Pending =
  | { kind: 'poll'; cycle: number }
  | { kind: 'throttle'; reqId: number }
  | { kind: 'config'; reqId: number };

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 5000;
/** Hello and auth are small: a peer that has not authenticated gets no larger buffer than this. */
const HANDSHAKE_MAX_PAYLOAD_BYTES = 4096;
/** An inventory names at most this many LUNs, and as many hosts. */
export const MAX_INVENTORY_ITEMS = 4096;
/** Rate-limit reports and full-table notices go out at most this often. */
const REPORT_EVERY_MS = 1000;

interface Inventory {
  luns: LunInfo[];
  hosts: string[];
}

function inventoryProblem(inv: Inventory): string | null {
  if (inv.luns.length > MAX_INVENTORY_ITEMS) return `register names ${inv.luns.length} LUNs; at most ${MAX_INVENTORY_ITEMS}`;
  if (inv.hosts.length > MAX_INVENTORY_ITEMS) return `register names ${inv.hosts.length} hosts; at most ${MAX_INVENTORY_ITEMS}`;
  return null;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * One gateway connection inside a shard: handshake (hello, challenge, auth, register), then
 * requests tied to replies by sequence number. Writes go through the shard's outbox.
 */
class Session {
  state: 'hello' | 'auth' | 'register' | 'registered' | 'closed' = 'hello';
  gatewayId = '';
  readonly remote: string;
  private readonly decoder: FrameDecoder;
  private readonly seq = new SequenceCounter();
  private nonce: Uint8Array = new Uint8Array(0);
  readonly pending = new Map<number, Pending>();
  unansweredPolls = 0;
  outq: Buffer[] = [];
  /** Lock-step mode: requests wait here while one is in flight. */
  readonly waiting: { frame: (seq: number) => Buffer; pending: Pending }[] = [];
  private readonly handshakeTimer: NodeJS.Timeout;
  /** Unsolicited messages of a registered gateway, bounded per gateway. */
  private alerts: TokenBucket | null = null;
  alertsDropped = 0;
  inventoriesMerged = 0;
  private lastInventoryAt = -Infinity;
  private pendingInventory: Inventory | null = null;
  private inventoryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly socket: net.Socket,
    private readonly shard: Shard,
    readonly dialedAs: string | null,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.decoder = new FrameDecoder({ maxPayloadBytes: Math.min(HANDSHAKE_MAX_PAYLOAD_BYTES, shard.config.maxPayloadBytes) });
    socket.setNoDelay(true);
    // Whatever a peer sends, a failure in handling it ends this connection, never the shard.
    socket.on('data', (chunk: Buffer) => {
      try {
        this.onData(chunk);
      } catch (err) {
        this.drop(`could not handle its frames: ${messageOf(err)}`);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.onClose());
    this.handshakeTimer = setTimeout(() => {
      if (this.state !== 'registered') this.drop(`no registration within ${shard.config.handshakeTimeoutMs} ms`);
    }, shard.config.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    const { frames, error } = this.decoder.push(chunk);
    this.shard.framesIn += frames.length;
    for (const f of frames) {
      this.onFrame(f);
      if ((this.state as Session['state']) === 'closed') return;
    }
    if (error) this.drop(`bad frame at ${protocolErrorText(error)}`);
  }

  private onFrame(frame: DecodedFrame): void {
    const m = frame.message;
    switch (this.state) {
      case 'hello': {
        if (m.type !== 'hello') return this.drop(`expected hello, got ${m.type}`);
        // Checked before the id is used for anything, even in a refusal.
        const problem = gatewayIdProblem(m.gatewayId);
        if (problem !== null) return this.drop(`hello: ${problem}`);
        if (this.dialedAs !== null && m.gatewayId !== this.dialedAs) return this.refuse(m.gatewayId, `dialled ${this.dialedAs} but it says it is ${m.gatewayId}`);
        this.gatewayId = m.gatewayId;
        this.nonce = newAuthNonce();
        this.state = 'auth';
        this.send(frame.seq, { type: 'challenge', nonce: this.nonce });
        return;
      }
      case 'auth': {
        if (m.type !== 'auth') return this.drop(`expected auth, got ${m.type}`);
        const secret = this.shard.secretOf(this.gatewayId);
        if (secret === undefined) return this.refuse(this.gatewayId, 'unknown gateway (no secret configured)');
        if (!verifyAuthMac(secret, this.nonce, this.gatewayId, m.mac)) return this.refuse(this.gatewayId, 'authentication failed (wrong HMAC)');
        this.state = 'register';
        // Authenticated: its inventory and statistics may now be as large as the daemon allows.
        this.decoder.setMaxPayloadBytes(this.shard.config.maxPayloadBytes);
        this.send(frame.seq, { type: 'authResult', ok: true, reason: '' });
        return;
      }
      case 'register': {
        if (m.type !== 'register') return this.drop(`expected register, got ${m.type}`);
        if (m.gatewayId !== this.gatewayId) return this.refuse(this.gatewayId, `authenticated as ${this.gatewayId} but registers as ${m.gatewayId.slice(0, 100)}`);
        const tooBig = inventoryProblem(m);
        if (tooBig !== null) return this.drop(tooBig);
        clearTimeout(this.handshakeTimer);
        this.state = 'registered';
        const { alertsPerSecond, alertBurst } = this.shard.config;
        this.alerts = new TokenBucket(alertsPerSecond, alertBurst, performance.now());
        this.lastInventoryAt = performance.now();
        this.shard.adopt(this);
        this.send(frame.seq, { type: 'registered', pollIntervalMs: this.shard.config.pollIntervalMs });
        this.shard.emit({ kind: 'registered', gatewayId: this.gatewayId, luns: m.luns, hosts: m.hosts, remote: this.remote, update: false });
        return;
      }
      case 'registered':
        if (m.type === 'register') {
          // An inventory update: new hosts or LUNs since registration. Not answered.
          if (m.gatewayId !== this.gatewayId) return this.drop(`registered as ${this.gatewayId} but updates ${m.gatewayId.slice(0, 100)}`);
          const tooBig = inventoryProblem(m);
          if (tooBig !== null) return this.drop(tooBig);
          this.updateInventory({ luns: m.luns, hosts: m.hosts });
          return;
        }
        return this.onReply(frame);
      case 'closed':
        return;
    }
  }

  private onReply(frame: DecodedFrame): void {
    const m = frame.message;
    if (m.type === 'alert') {
      if (this.alerts?.take(performance.now())) {
        this.shard.emit({ kind: 'alert', gatewayId: this.gatewayId, severity: m.severity, code: m.code, text: m.text, host: m.host, lun: m.lun });
      } else {
        this.alertsDropped++;
        this.shard.overRate(this);
      }
      return;
    }
    if (m.type === 'bye') return this.drop(`gateway said bye: ${m.reason}`, false);
    const pending = this.pending.get(frame.seq);
    if (!pending) return; // a reply to a request we gave up on
    this.pending.delete(frame.seq);
    if (pending.kind === 'poll' && m.type === 'stats') {
      const lie = implausibleStats(m.entries);
      if (lie !== null) return this.drop(`stats reply (seq ${frame.seq}) cannot be true: ${lie}`);
      this.unansweredPolls = 0;
      this.shard.emitReply(this.gatewayId, pending.cycle, m.intervalMs, m.entries);
    } else if (pending.kind === 'throttle' && m.type === 'throttleAck') {
      this.shard.emit({ kind: 'throttleAck', gatewayId: this.gatewayId, reqId: pending.reqId, ok: m.ok, iopsLimit: m.iopsLimit, mbpsLimit: m.mbpsLimit, reason: m.reason });
    } else if (pending.kind === 'config' && m.type === 'configAck') {
      this.shard.emit({ kind: 'configAck', gatewayId: this.gatewayId, reqId: pending.reqId, ok: m.ok, reason: m.reason });
    } else {
      return this.drop(`seq ${frame.seq}: ${m.type} does not answer a ${pending.kind}`);
    }
    if (this.shard.config.lockStep) this.sendNextWaiting();
  }

  /**
   * Each update carries the whole inventory, so updates closer together than the interval are
   * merged: the latest goes out when the interval is up, and nothing a gateway said is lost.
   */
  private updateInventory(inventory: Inventory): void {
    if (this.inventoryTimer) {
      this.pendingInventory = inventory;
      this.inventoriesMerged++;
      this.shard.overRate(this);
      return;
    }
    const wait = this.lastInventoryAt + this.shard.config.inventoryIntervalMs - performance.now();
    if (wait <= 0) {
      this.emitInventory(inventory);
      return;
    }
    this.pendingInventory = inventory;
    this.inventoryTimer = setTimeout(() => {
      this.inventoryTimer = null;
      const next = this.pendingInventory;
      this.pendingInventory = null;
      if (next && this.state === 'registered') this.emitInventory(next);
    }, wait);
    this.inventoryTimer.unref();
  }

  private emitInventory(inventory: Inventory): void {
    this.lastInventoryAt = performance.now();
    this.shard.emit({ kind: 'registered', gatewayId: this.gatewayId, luns: inventory.luns, hosts: inventory.hosts, remote: this.remote, update: true });
  }

  /** Sends a request now, or in lock-step mode after the one in flight is answered. */
  request(frame: (seq: number) => Buffer, pending: Pending): void {
    if (this.shard.config.lockStep && this.pending.size > 0) {
      this.waiting.push({ frame, pending });
      return;
    }
    const seq = this.seq.next();
    this.pending.set(seq, pending);
    this.shard.queue(this, frame(seq));
  }

  private sendNextWaiting(): void {
    const next = this.waiting.shift();
    if (next) this.request(next.frame, next.pending);
  }

  /** A poll for a new cycle: unanswered older polls count towards the stall limit. */
  poll(cycle: number, frame: (seq: number) => Buffer): void {
    for (const [seq, p] of this.pending) {
      if (p.kind === 'poll') {
        this.pending.delete(seq);
        this.unansweredPolls++;
      }
    }
    if (this.shard.config.lockStep) {
      for (let i = this.waiting.length - 1; i >= 0; i--) if (this.waiting[i]!.pending.kind === 'poll') this.waiting.splice(i, 1);
      if (this.pending.size === 0) this.sendNextWaiting();
    }
    if (this.unansweredPolls >= this.shard.config.stallPolls) {
      return this.drop(`stalled: ${this.unansweredPolls} polls in a row unanswered`);
    }
    this.request(frame, { kind: 'poll', cycle });
  }

  send(seq: number, message: ControlMessage): void {
    this.shard.queue(this, encodeFrame(seq, message));
  }

  private refuse(gatewayId: string, reason: string): void {
    this.shard.emit({ kind: 'refused', gatewayId, remote: this.remote, reason });
    this.send(0, { type: 'authResult', ok: false, reason });
    this.shard.flushSession(this);
    this.close();
  }

  drop(reason: string, report = true): void {
    if (this.state === 'closed') return;
    if (report) this.shard.emit({ kind: 'dropped', gatewayId: this.gatewayId, remote: this.remote, reason });
    this.close();
  }

  close(): void {
    if (this.state === 'closed') return;
    this.ended();
    // destroy, not end: a peer that does not read must not hold our side open.
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.state !== 'closed') this.ended();
  }

  private ended(): void {
    const wasRegistered = this.state === 'registered';
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    if (this.inventoryTimer) clearTimeout(this.inventoryTimer);
    this.inventoryTimer = null;
    this.pendingInventory = null;
    this.shard.forgetHandshake(this);
    if (wasRegistered) this.shard.release(this);
  }
}

/**
 * A shard: one worker thread owning a subset of gateway connections. Outbound: commands from
 * the mailbox are encoded and queued per gateway, and each gateway's frames of one tick leave in
 * one corked write. Inbound: event-driven reads, decode, and one batched post per tick.
 */
export class Shard {
  framesIn = 0;
  framesOut = 0;
  writes = 0;
  bytesOut = 0;
  private readonly sessions = new Map<string, Session>();
  /** Connections not yet registered: the only state a shard keeps for unauthenticated peers, and bounded. */
  private readonly handshakes = new Set<Session>();
  private handshakesRefused = 0;
  private handshakesFullReported = -Infinity;
  /** Registered gateways over a rate since the last report. */
  private readonly overRateSessions = new Set<Session>();
  private rateReportTimer: NodeJS.Timeout | null = null;
  private readonly outbox = new Set<Session>();
  private events: ShardEvent[] = [];
  /** Poll replies not yet posted, and the buffers the next post hands over. */
  private readonly replies = new StatsBatchWriter();
  private transfer: ArrayBuffer[] = [];
  private flushScheduled = false;
  private readonly dials = new Map<string, { host: string; port: number; backoffMs: number; timer: NodeJS.Timeout | null; session: Session | null }>();
  private stopped = false;
  private readonly pollTemplate: Buffer;
  private cycle = 0;
  private awaitingReplies = 0;
  private coalesceTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly config: ShardConfig,
    private readonly post: (events: ShardEvent[], transfer: ArrayBuffer[]) => void,
  ) {
    this.pollTemplate = encodeFrame(0, { type: 'poll', intervalMs: config.pollIntervalMs });
  }

  secretOf(gatewayId: string): string | undefined {
    return this.config.secrets.get(gatewayId) ?? this.config.secret ?? undefined;
  }

  accept(socket: net.Socket): void {
    socket.on('error', () => {});
    if (this.stopped) {
      socket.destroy();
      return;
    }
    if (this.handshakes.size >= this.config.maxHandshakes) {
      socket.destroy();
      this.handshakeTableFull();
      return;
    }
    try {
      this.handshakes.add(new Session(socket, this, null));
    } catch {
      socket.destroy();
    }
  }

  forgetHandshake(session: Session): void {
    this.handshakes.delete(session);
  }

  private handshakeTableFull(): void {
    this.handshakesRefused++;
    const now = performance.now();
    if (now - this.handshakesFullReported < REPORT_EVERY_MS) return;
    this.handshakesFullReported = now;
    this.emit({ kind: 'handshakes-full', refused: this.handshakesRefused, limit: this.config.maxHandshakes });
    this.handshakesRefused = 0;
  }

  /** Notes a gateway over its rate; its counts are reported within a second, once. */
  overRate(session: Session): void {
    this.overRateSessions.add(session);
    if (this.rateReportTimer) return;
    this.rateReportTimer = setTimeout(() => {
      this.rateReportTimer = null;
      for (const s of this.overRateSessions) {
        this.emit({ kind: 'rate-limited', gatewayId: s.gatewayId, alertsDropped: s.alertsDropped, inventoriesMerged: s.inventoriesMerged });
        s.alertsDropped = 0;
        s.inventoriesMerged = 0;
      }
      this.overRateSessions.clear();
    }, REPORT_EVERY_MS);
    this.rateReportTimer.unref();
  }

  adopt(session: Session): void {
    this.handshakes.delete(session);
    const previous = this.sessions.get(session.gatewayId);
    // A gateway that reconnects replaces its old connection.
    if (previous && previous !== session) {
      this.sessions.delete(session.gatewayId);
      previous.close();
    }
    this.sessions.set(session.gatewayId, session);
    const dial = this.dials.get(session.gatewayId);
    if (dial) dial.backoffMs = BACKOFF_MIN_MS;
  }

  release(session: Session): void {
    if (this.sessions.get(session.gatewayId) === session) {
      this.sessions.delete(session.gatewayId);
      this.emit({ kind: 'unregistered', gatewayId: session.gatewayId, reason: 'connection closed' });
    }
  }

  emit(event: ShardEvent): void {
    // Replies received before this event are posted before it: the core sees them in order.
    this.closeReplies();
    this.events.push(event);
    this.scheduleFlush();
  }

  private closeReplies(): void {
    const batch = this.replies.take();
    if (batch) {
      this.events.push({ kind: 'stats', batch });
      this.transfer.push(batch.payload.buffer as ArrayBuffer);
    }
  }

  /**
   * Poll replies trickle in one socket at a time; posting each at once would wake the core's
   * thread once per gateway. They are held until the cycle's last expected reply arrives or
   * the coalescing window ends, whichever is first: one post per batch, not per reply.
   */
  emitReply(gatewayId: string, cycle: number, intervalMs: number, entries: readonly StatsEntry[]): void {
    this.replies.add(gatewayId, cycle, intervalMs, entries);
    if (cycle === this.cycle) this.awaitingReplies--;
    if (this.awaitingReplies <= 0 || this.config.inboundCoalesceMs <= 0) {
      this.scheduleFlush();
      return;
    }
    if (!this.coalesceTimer) {
      this.coalesceTimer = setTimeout(() => {
        this.coalesceTimer = null;
        this.scheduleFlush();
      }, this.config.inboundCoalesceMs);
    }
  }

  queue(session: Session, frame: Buffer): void {
    session.outq.push(frame);
    this.outbox.add(session);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  flushSession(session: Session): void {
    const socket = session.socket;
    const frames = session.outq;
    session.outq = [];
    this.outbox.delete(session);
    if (frames.length === 0 || socket.destroyed) return;
    this.framesOut += frames.length;
    if (this.config.lockStep) {
      // The baseline: every message is its own write.
      for (const f of frames) {
        socket.write(f);
        this.writes++;
        this.bytesOut += f.length;
      }
    } else if (frames.length === 1) {
      socket.write(frames[0]!);
      this.writes++;
      this.bytesOut += frames[0]!.length;
    } else {
      socket.cork();
      for (const f of frames) {
        socket.write(f);
        this.bytesOut += f.length;
      }
      socket.uncork();
      this.writes++;
    }
    if (socket.writableLength > this.config.maxQueuedBytes) session.drop(`not reading: ${socket.writableLength} bytes queued`);
  }

  flush(): void {
    this.flushScheduled = false;
    if (this.coalesceTimer) {
      clearTimeout(this.coalesceTimer);
      this.coalesceTimer = null;
    }
    for (const session of [...this.outbox]) this.flushSession(session);
    this.closeReplies();
    if (this.events.length > 0) {
      const events = this.events;
      const transfer = this.transfer;
      this.events = [];
      this.transfer = [];
      this.post(events, transfer);
    }
  }

  handle(commands: readonly ShardCommand[]): void {
    for (const c of commands) {
      // One command that cannot be carried out (a cap the wire cannot encode) must not take the
      // shard, and every gateway it serves, down with it: it fails alone, and says why.
      try {
        this.command(c);
      } catch (err) {
        const reason = `could not send ${c.kind}: ${err instanceof Error ? err.message : String(err)}`;
        if (c.kind === 'throttle') this.emit({ kind: 'throttleAck', gatewayId: c.gatewayId, reqId: c.reqId, ok: false, iopsLimit: c.iopsLimit, mbpsLimit: c.mbpsLimit, reason });
        else if (c.kind === 'config' || c.kind === 'access') this.emit({ kind: 'configAck', gatewayId: c.gatewayId, reqId: c.reqId, ok: false, reason });
        else this.emit({ kind: 'dropped', gatewayId: 'gatewayId' in c ? c.gatewayId : '', remote: '', reason });
      }
    }
    this.flush();
  }

  private command(c: ShardCommand): void {
    switch (c.kind) {
      case 'poll': {
        const template = this.pollTemplate;
        const frame = (seq: number): Buffer => {
          const b = Buffer.allocUnsafe(template.length);
          template.copy(b);
          b.writeUInt32BE(seq, 4);
          return b;
        };
        this.cycle = c.cycle;
        this.awaitingReplies = this.sessions.size;
        for (const s of [...this.sessions.values()]) s.poll(c.cycle, frame);
        return;
      }
      case 'throttle': {
        const s = this.sessions.get(c.gatewayId);
        if (!s) {
          this.emit({ kind: 'throttleAck', gatewayId: c.gatewayId, reqId: c.reqId, ok: false, iopsLimit: 0, mbpsLimit: 0, reason: `gateway ${c.gatewayId} is not connected to this shard` });
          return;
        }
        s.request((seq) => encodeFrame(seq, { type: 'throttle', host: c.host, lun: c.lun, iopsLimit: c.iopsLimit, mbpsLimit: c.mbpsLimit }), { kind: 'throttle', reqId: c.reqId });
        return;
      }
      case 'config': {
        const s = this.sessions.get(c.gatewayId);
        if (!s) {
          this.emit({ kind: 'configAck', gatewayId: c.gatewayId, reqId: c.reqId, ok: false, reason: `gateway ${c.gatewayId} is not connected to this shard` });
          return;
        }
        s.request((seq) => encodeFrame(seq, { type: 'config', settings: c.settings }), { kind: 'config', reqId: c.reqId });
        return;
      }
      case 'access': {
        const s = this.sessions.get(c.gatewayId);
        if (!s) {
          this.emit({ kind: 'configAck', gatewayId: c.gatewayId, reqId: c.reqId, ok: false, reason: `gateway ${c.gatewayId} is not connected to this shard` });
          return;
        }
        // Encoded here, so a list the wire cannot carry fails this command alone (see handle).
        const frame = encodeFrame(0, { type: 'access', luns: c.luns });
        s.request((seq) => { const b = Buffer.from(frame); b.writeUInt32BE(seq, 4); return b; }, { kind: 'config', reqId: c.reqId });
        return;
      }
      case 'dial':
        this.dials.set(c.gatewayId, { host: c.host, port: c.port, backoffMs: BACKOFF_MIN_MS, timer: null, session: null });
        this.dial(c.gatewayId);
        return;
      case 'disconnect':
        this.sessions.get(c.gatewayId)?.drop(c.reason, false);
        return;
      case 'stop':
        this.stop();
        return;
    }
  }

  /** Dial-out: connect, and on loss reconnect with doubling, jittered backoff. */
  private dial(gatewayId: string): void {
    const d = this.dials.get(gatewayId);
    if (!d || this.stopped) return;
    const t = this.config.tls;
    const socket = t ? tls.connect({ host: d.host, port: d.port, ca: t.ca, servername: net.isIP(d.host) ? undefined : d.host }) : net.connect({ host: d.host, port: d.port });
    const session = new Session(socket, this, gatewayId);
    d.session = session;
    socket.once('close', () => {
      if (this.stopped || d.session !== session) return;
      const delay = d.backoffMs * (0.5 + Math.random() * 0.5);
      d.backoffMs = Math.min(BACKOFF_MAX_MS, d.backoffMs * 2);
      d.timer = setTimeout(() => {
        d.timer = null;
        this.dial(gatewayId);
      }, delay);
    });
  }

  counters(): ShardEvent {
    return { kind: 'counters', framesIn: this.framesIn, framesOut: this.framesOut, writes: this.writes, bytesOut: this.bytesOut };
  }

  stop(): void {
    this.stopped = true;
    for (const d of this.dials.values()) if (d.timer) clearTimeout(d.timer);
    if (this.coalesceTimer) clearTimeout(this.coalesceTimer);
    if (this.rateReportTimer) clearTimeout(this.rateReportTimer);
    for (const s of [...this.sessions.values()]) s.close();
    for (const s of [...this.handshakes]) s.close();
    for (const d of this.dials.values()) d.session?.close();
  }
}
