import net from 'node:net';
import {
  CMD_BLOCK_STATUS, CMD_FLAG_FAST_ZERO, CMD_FLAG_FUA, CMD_FLAG_NO_HOLE, CMD_FLUSH, CMD_READ, CMD_WRITE, DEFAULT_MAX_PAYLOAD, EINVAL, EIO,
  FLAG_CAN_MULTI_CONN, FLAG_HAS_FLAGS, FLAG_READ_ONLY, FLAG_ROTATIONAL, FLAG_SEND_CACHE, FLAG_SEND_FAST_ZERO,
  FLAG_SEND_FLUSH, FLAG_SEND_FUA, FLAG_SEND_TRIM, FLAG_SEND_WRITE_ZEROES, REQUEST_MAGIC, SIMPLE_REPLY_MAGIC, ESHUTDOWN,
} from './nbd-constants.js';
import { OutputBatcher } from './output-batcher.js';
import { DEFAULT_UPSTREAM_TIMEOUT_MS } from './limits.js';
import type { BackendHealth, BackendIo, BlockBackend } from './backend.js';
import type { BlockSizeConstraints } from './export-capabilities.js';
import { clientHandshake, type NegotiationWants, type UpstreamExport } from './upstream-negotiation.js';
import { UpstreamBlockStatus } from './upstream-block-status.js';

export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
  readonly exportName: string;
  /** A Unix socket path instead of host:port (nbd+unix://), for an upstream on the same machine. */
  readonly socketPath?: string;
}

export function upstreamLocation(target: UpstreamTarget): string {
  if (target.socketPath !== undefined) return `nbd+unix:///${target.exportName}?socket=${target.socketPath}`;
  return `nbd://${target.host}:${target.port}/${target.exportName}`;
}

/**
 * One transmission-phase connection to the upstream server. Cookies are slot numbers,
 * so a reply finds its I/O by array index.
 */
class UpstreamConnection {
  private readonly slots: (BackendIo | null)[] = [];
  /** When each slot's request was sent (performance.now()), for the request timeout. */
  private readonly sentAt: number[] = [];
  private readonly freeSlots: number[] = [];
  inFlight = 0;
  private readonly out: OutputBatcher;
  private readonly header = Buffer.alloc(16);
  private headerFilled = 0;
  private readData: Buffer | null = null;
  private readFilled = 0;
  private readSlot = -1;
  private dead = false;

  constructor(private readonly socket: net.Socket, leftover: Buffer, private readonly onFailure: (reason: string, timedOut: boolean) => void) {
    socket.setNoDelay(true);
    this.out = new OutputBatcher(socket);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(`upstream connection error: ${err.message}`));
    socket.on('close', () => this.fail('upstream connection closed'));
    if (leftover.length > 0) this.onData(leftover);
  }

  get alive(): boolean {
    return !this.dead;
  }

  send(io: BackendIo, flagMask: number): void {
    if (this.dead) { io.complete(EIO, null); return; }
    // The gateway range-checks requests before they get here; this keeps a bad one from
    // throwing inside the encoder (a RangeError there once ended the process).
    const offsetHi = Math.floor(io.offset / 0x100000000);
    if (!(offsetHi >= 0 && offsetHi <= 0xffffffff && io.length >= 0 && io.length <= 0xffffffff)) { io.complete(EINVAL, null); return; }
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots.length;
    this.slots[slot] = io;
    this.sentAt[slot] = performance.now();
    this.inFlight++;
    const at = this.out.reserve(28);
    const b = this.out.buffer;
    b.writeUInt32BE(REQUEST_MAGIC, at);
    b.writeUInt16BE(io.flags & flagMask, at + 4);
    b.writeUInt16BE(io.type, at + 6);
    b.writeUInt32BE(0, at + 8);
    b.writeUInt32BE(slot, at + 12);
    b.writeUInt32BE(offsetHi, at + 16);
    b.writeUInt32BE(io.offset >>> 0, at + 20);
    b.writeUInt32BE(io.length, at + 24);
    if (io.type === CMD_WRITE && io.payload) this.out.append(io.payload);
  }

  close(): void {
    this.dead = true;
    this.out.close();
    this.socket.destroy();
    this.failAll();
  }

  /** Milliseconds the oldest outstanding request has waited (0 when none). */
  oldestWaitMs(now: number): number {
    if (this.inFlight === 0) return 0;
    let oldest = now;
    for (let slot = 0; slot < this.slots.length; slot++) if (this.slots[slot] && this.sentAt[slot]! < oldest) oldest = this.sentAt[slot]!;
    return now - oldest;
  }

  /**
   * The upstream stopped answering: fail everything outstanding with EIO and drop the
   * connection (a late reply must not meet a reused cookie), to be re-dialled.
   */
  timeOut(reason: string): void {
    this.fail(reason, true);
  }

  private onData(chunk: Buffer): void {
    let at = 0;
    const end = chunk.length;
    while (at < end && !this.dead) {
      if (this.readData !== null) {
        const n = Math.min(this.readData.length - this.readFilled, end - at);
        chunk.copy(this.readData, this.readFilled, at, at + n);
        this.readFilled += n;
        at += n;
        if (this.readFilled === this.readData.length) {
          const data = this.readData;
          this.readData = null;
          this.finish(this.readSlot, 0, data);
        }
        continue;
      }
      let source: Buffer;
      let base: number;
      if (this.headerFilled === 0 && end - at >= 16) {
        source = chunk;
        base = at;
        at += 16;
      } else {
        const n = Math.min(16 - this.headerFilled, end - at);
        chunk.copy(this.header, this.headerFilled, at, at + n);
        this.headerFilled += n;
        at += n;
        if (this.headerFilled < 16) break;
        this.headerFilled = 0;
        source = this.header;
        base = 0;
      }
      if (source.readUInt32BE(base) !== SIMPLE_REPLY_MAGIC) { this.fail('upstream sent a reply with a bad magic'); return; }
      const errno = source.readUInt32BE(base + 4);
      const slot = source.readUInt32BE(base + 12);
      const io = this.slots[slot];
      if (source.readUInt32BE(base + 8) !== 0 || !io) { this.fail(`upstream replied to unknown cookie ${slot}`); return; }
      if (io.type !== CMD_READ || errno !== 0 || io.length === 0) {
        this.finish(slot, errno, null);
        continue;
      }
      if (end - at >= io.length) {
        const data = chunk.subarray(at, at + io.length);
        at += io.length;
        this.finish(slot, 0, data);
        continue;
      }
      this.readData = Buffer.allocUnsafe(io.length);
      this.readFilled = 0;
      this.readSlot = slot;
    }
  }

  private finish(slot: number, errno: number, data: Buffer | null): void {
    const io = this.slots[slot]!;
    this.slots[slot] = null;
    this.freeSlots.push(slot);
    this.inFlight--;
    io.complete(errno, data);
  }

  private fail(reason: string, timedOut = false): void {
    if (this.dead) return;
    this.dead = true;
    this.out.close();
    this.socket.destroy();
    this.failAll();
    this.onFailure(reason, timedOut);
  }

  private failAll(): void {
    for (let slot = 0; slot < this.slots.length; slot++) {
      const io = this.slots[slot];
      if (io) {
        this.slots[slot] = null;
        this.inFlight--;
        io.complete(EIO, null);
      }
    }
  }
}

export interface UpstreamPoolOptions {
  readonly target: UpstreamTarget;
  /** Upstream connections shared by all clients of this LUN. */
  readonly connections?: number;
  readonly readOnly?: boolean;
  /** Delay before reconnecting a failed connection. */
  readonly reconnectMs?: number;
  /**
   * A request the upstream has not answered within this many milliseconds fails with EIO,
   * its connection is dropped and re-dialled, and the LUN is reported degraded. Also bounds
   * each connection attempt. Default DEFAULT_UPSTREAM_TIMEOUT_MS.
   */
  readonly requestTimeoutMs?: number;
}

export { DEFAULT_UPSTREAM_TIMEOUT_MS };

const DATA_CONNECTION: NegotiationWants = { structuredReplies: false };
const BLOCK_STATUS_CONNECTION: NegotiationWants = { structuredReplies: true };

function connectOnce(target: UpstreamTarget, timeoutMs: number, wants: NegotiationWants = DATA_CONNECTION): Promise<{ socket: net.Socket; info: UpstreamExport; leftover: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = target.socketPath !== undefined ? net.connect({ path: target.socketPath }) : net.connect({ host: target.host, port: target.port });
    // A stopped server still completes the TCP connect (the kernel accepts), then never greets.
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${upstreamLocation(target)}: no handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    const onError = (err: Error): void => { clearTimeout(timer); reject(new Error(`${upstreamLocation(target)}: ${err.message}`)); };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      clientHandshake(socket, target.exportName, upstreamLocation(target), wants).then(({ info, leftover }) => { clearTimeout(timer); resolve({ socket, info, leftover }); }, (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
    });
  });
}

/**
 * A LUN forwarded to an upstream NBD server over a small pool of connections; each
 * I/O goes to the connection with the fewest in flight. A failed connection fails its
 * in-flight I/O with EIO, reports the backend down, and is re-dialled in the background.
 * An upstream that cannot be reached at start gives a pool that is down (and not `ready`:
 * its size is unknown) and keeps dialling; it never makes the gateway exit.
 */
export async function openUpstreamBackend(options: UpstreamPoolOptions): Promise<BlockBackend> {
  const pool = new UpstreamPool(options, Math.max(1, options.connections ?? 2));
  await pool.start();
  return pool;
}

/** A flush sent on every upstream connection, done when all are; the first error wins. */
class FlushFanOut implements BackendIo {
  readonly type = CMD_FLUSH;
  readonly offset = 0;
  readonly length = 0;
  readonly payload = null;
  private remaining: number;
  private errno = 0;

  constructor(private readonly io: BackendIo, parts: number) {
    this.remaining = parts;
  }

  get flags(): number {
    return this.io.flags;
  }

  complete(errno: number): void {
    if (errno !== 0 && this.errno === 0) this.errno = errno;
    if (--this.remaining === 0) this.io.complete(this.errno, null);
  }
}

class UpstreamPool implements BlockBackend {
  readonly location: string;
  size = 0;
  transmissionFlags = FLAG_HAS_FLAGS;
  maxPayload = DEFAULT_MAX_PAYLOAD;
  blockSize?: BlockSizeConstraints;
  readonly allocation = 'exact';
  private info: UpstreamExport | null = null;
  /** Made once the upstream has answered (its extents are checked against the export size). */
  private blockStatus: UpstreamBlockStatus | null = null;
  private readonly connections: (UpstreamConnection | null)[];
  private readonly listeners: ((health: BackendHealth) => void)[] = [];
  private flagMask = 0;
  private multiConn = false;
  private closed = false;
  private health: BackendHealth = { state: 'up' };
  private readonly timeoutMs: number;
  private readonly watchdog: NodeJS.Timeout;

  constructor(private readonly options: UpstreamPoolOptions, count: number) {
    this.location = upstreamLocation(options.target);
    this.connections = new Array<UpstreamConnection | null>(count).fill(null);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new Error(`${this.location}: the request timeout must be positive (got ${this.timeoutMs})`);
    this.watchdog = setInterval(() => this.checkTimeouts(), Math.max(10, Math.min(1000, this.timeoutMs / 4)));
    this.watchdog.unref();
  }

  /** False until the upstream has answered once (its size and flags are unknown until then). */
  get ready(): boolean {
    return this.info !== null;
  }

  /** Dial every connection; those that fail keep retrying in the background. */
  async start(): Promise<void> {
    const attempts = await Promise.allSettled(this.connections.map(() => connectOnce(this.options.target, this.timeoutMs)));
    attempts.forEach((attempt, index) => {
      const problem = attempt.status === 'fulfilled' ? this.accept(index, attempt.value) : (attempt.reason as Error).message;
      if (problem !== null) this.lost(index, problem, false);
    });
  }

  /** Take a dialled connection into slot `index`; returns why not, or null. */
  private accept(index: number, c: { socket: net.Socket; info: UpstreamExport; leftover: Buffer }): string | null {
    if (this.closed) { c.socket.destroy(); return null; }
    if (this.info === null) {
      this.info = c.info;
      this.size = c.info.size;
      this.maxPayload = c.info.maxPayload;
      if (c.info.blockSize) this.blockSize = c.info.blockSize;
      // What the upstream can do, the gateway's export can do: every command is forwarded as is.
      // (DF is the gateway's own: it never splits a read. Multi-conn is passed on because every
      // client connection shares this pool, and flushes fan out when the upstream lacks it.)
      const passOn = FLAG_READ_ONLY | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_ROTATIONAL | FLAG_SEND_TRIM |
        FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO;
      this.transmissionFlags = FLAG_HAS_FLAGS | (c.info.flags & passOn) | (this.options.readOnly ? FLAG_READ_ONLY : 0);
      // A flag goes upstream only if the upstream understands it (it is never advertised otherwise).
      this.flagMask = ((c.info.flags & FLAG_SEND_FUA) ? CMD_FLAG_FUA : 0) | ((c.info.flags & FLAG_SEND_WRITE_ZEROES) ? CMD_FLAG_NO_HOLE : 0) |
        ((c.info.flags & FLAG_SEND_FAST_ZERO) ? CMD_FLAG_FAST_ZERO : 0);
      const target = this.options.target;
      this.blockStatus = new UpstreamBlockStatus(() => connectOnce(target, this.timeoutMs, BLOCK_STATUS_CONNECTION), c.info.size);
      this.multiConn = (c.info.flags & FLAG_CAN_MULTI_CONN) !== 0;
    } else if (c.info.size !== this.info.size) {
      c.socket.destroy();
      return `${this.location}: connections disagree on the export size (${c.info.size} vs ${this.info.size})`;
    }
    this.connections[index] = new UpstreamConnection(c.socket, c.leftover, (reason, timedOut) => this.lost(index, reason, timedOut));
    return null;
  }

  onHealth(listener: (health: BackendHealth) => void): void {
    this.listeners.push(listener);
    // A listener that arrives after a failure (the upstream was down at start) still hears it.
    if (this.health.state !== 'up') listener(this.health);
  }

  submit(io: BackendIo): void {
    if (io.type === CMD_BLOCK_STATUS) {
      if (this.blockStatus) this.blockStatus.submit(io);
      else io.complete(EIO, null);
      return;
    }
    let best: UpstreamConnection | null = null;
    let live = 0;
    for (const c of this.connections) {
      if (!c || !c.alive) continue;
      live++;
      if (best === null || c.inFlight < best.inFlight) best = c;
    }
    if (best === null) { io.complete(this.closed ? ESHUTDOWN : EIO, null); return; }
    if (io.type === CMD_FLUSH && live > 1 && !this.multiConn) {
      // Without multi-conn an upstream flush covers only writes on its own connection, and
      // the writes this flush must cover may have gone over any of them.
      const fan = new FlushFanOut(io, live);
      for (const c of this.connections) if (c && c.alive) c.send(fan, this.flagMask);
      return;
    }
    best.send(io, this.flagMask);
  }

  private checkTimeouts(): void {
    const now = performance.now();
    this.connections.forEach((c) => {
      if (c && c.alive && c.oldestWaitMs(now) > this.timeoutMs) c.timeOut(`a request got no reply within ${this.timeoutMs} ms`);
    });
  }

  private report(health: BackendHealth): void {
    this.health = health;
    for (const l of this.listeners) l(health);
  }

  private lost(index: number, reason: string, timedOut: boolean): void {
    this.connections[index] = null;
    if (this.closed) return;
    if (this.health.state === 'up') this.report({ state: timedOut ? 'degraded' : 'down', reason: `${this.location}: ${reason}` });
    const retryMs = this.options.reconnectMs ?? 1000;
    const retry = (): void => {
      if (this.closed) return;
      connectOnce(this.options.target, this.timeoutMs).then((c) => {
        const problem = this.accept(index, c);
        if (problem !== null) { setTimeout(retry, retryMs).unref(); return; }
        if (this.health.state !== 'up' && this.connections.every((x) => x !== null)) this.report({ state: 'up' });
      }, () => setTimeout(retry, retryMs).unref());
    };
    setTimeout(retry, retryMs).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    this.blockStatus?.close();
    for (const c of this.connections) c?.close();
  }
}
