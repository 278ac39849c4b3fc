import net from 'node:net';
import {
  CMD_BLOCK_STATUS, CMD_FLAG_FAST_ZERO, CMD_FLAG_FUA, CMD_FLAG_NO_HOLE, CMD_READ, CMD_WRITE, EIO,
  FLAG_CAN_MULTI_CONN, FLAG_HAS_FLAGS, FLAG_READ_ONLY, FLAG_ROTATIONAL, FLAG_SEND_CACHE, FLAG_SEND_FAST_ZERO,
  FLAG_SEND_FLUSH, FLAG_SEND_FUA, FLAG_SEND_TRIM, FLAG_SEND_WRITE_ZEROES, REQUEST_MAGIC, SIMPLE_REPLY_MAGIC, ESHUTDOWN,
} from './nbd-constants.js';
import { OutputBatcher } from './output-batcher.js';
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
  private readonly freeSlots: number[] = [];
  inFlight = 0;
  private readonly out: OutputBatcher;
  private readonly header = Buffer.alloc(16);
  private headerFilled = 0;
  private readData: Buffer | null = null;
  private readFilled = 0;
  private readSlot = -1;
  private dead = false;

  constructor(private readonly socket: net.Socket, leftover: Buffer, private readonly onFailure: (reason: string) => void) {
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
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.slots.length;
    this.slots[slot] = io;
    this.inFlight++;
    const at = this.out.reserve(28);
    const b = this.out.buffer;
    b.writeUInt32BE(REQUEST_MAGIC, at);
    b.writeUInt16BE(io.flags & flagMask, at + 4);
    b.writeUInt16BE(io.type, at + 6);
    b.writeUInt32BE(0, at + 8);
    b.writeUInt32BE(slot, at + 12);
    b.writeUInt32BE(Math.floor(io.offset / 0x100000000), at + 16);
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

  private fail(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.out.close();
    this.socket.destroy();
    this.failAll();
    this.onFailure(reason);
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
}

const DATA_CONNECTION: NegotiationWants = { structuredReplies: false };
const BLOCK_STATUS_CONNECTION: NegotiationWants = { structuredReplies: true };

function connectOnce(target: UpstreamTarget, wants: NegotiationWants = DATA_CONNECTION): Promise<{ socket: net.Socket; info: UpstreamExport; leftover: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = target.socketPath !== undefined ? net.connect({ path: target.socketPath }) : net.connect({ host: target.host, port: target.port });
    const onError = (err: Error): void => reject(new Error(`${upstreamLocation(target)}: ${err.message}`));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      clientHandshake(socket, target.exportName, upstreamLocation(target), wants).then(({ info, leftover }) => resolve({ socket, info, leftover }), (err: Error) => {
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
 */
export async function openUpstreamBackend(options: UpstreamPoolOptions): Promise<BlockBackend> {
  const count = Math.max(1, options.connections ?? 2);
  const first = await connectOnce(options.target);
  const pool = new UpstreamPool(options, first.info, count);
  pool.adopt(0, first.socket, first.leftover);
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => connectOnce(options.target)));
  rest.forEach((c, i) => {
    if (c.info.size !== first.info.size) throw new Error(`${upstreamLocation(options.target)}: connections disagree on the export size`);
    pool.adopt(i + 1, c.socket, c.leftover);
  });
  return pool;
}

class UpstreamPool implements BlockBackend {
  readonly location: string;
  readonly size: number;
  readonly transmissionFlags: number;
  readonly maxPayload: number;
  readonly blockSize?: BlockSizeConstraints;
  readonly allocation = 'exact';
  private readonly blockStatus: UpstreamBlockStatus;
  private readonly connections: (UpstreamConnection | null)[];
  private readonly listeners: ((health: BackendHealth) => void)[] = [];
  private readonly flagMask: number;
  private closed = false;
  private down = false;

  constructor(private readonly options: UpstreamPoolOptions, info: UpstreamExport, count: number) {
    this.location = upstreamLocation(options.target);
    this.size = info.size;
    this.maxPayload = info.maxPayload;
    if (info.blockSize) this.blockSize = info.blockSize;
    // What the upstream can do, the gateway's export can do: every command is forwarded as is.
    // (DF is the gateway's own: it never splits a read. Multi-conn holds because every client
    // connection shares this pool, so one flush upstream covers what any client wrote.)
    const passOn = FLAG_READ_ONLY | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_ROTATIONAL | FLAG_SEND_TRIM |
      FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE | FLAG_SEND_FAST_ZERO;
    this.transmissionFlags = FLAG_HAS_FLAGS | (info.flags & passOn) | (options.readOnly ? FLAG_READ_ONLY : 0);
    // A flag goes upstream only if the upstream understands it (it is never advertised otherwise).
    this.flagMask = ((info.flags & FLAG_SEND_FUA) ? CMD_FLAG_FUA : 0) | ((info.flags & FLAG_SEND_WRITE_ZEROES) ? CMD_FLAG_NO_HOLE : 0) |
      ((info.flags & FLAG_SEND_FAST_ZERO) ? CMD_FLAG_FAST_ZERO : 0);
    this.blockStatus = new UpstreamBlockStatus(() => connectOnce(options.target, BLOCK_STATUS_CONNECTION), info.size);
    this.connections = new Array<UpstreamConnection | null>(count).fill(null);
  }

  adopt(index: number, socket: net.Socket, leftover: Buffer): void {
    this.connections[index] = new UpstreamConnection(socket, leftover, (reason) => this.lost(index, reason));
  }

  onHealth(listener: (health: BackendHealth) => void): void {
    this.listeners.push(listener);
  }

  submit(io: BackendIo): void {
    if (io.type === CMD_BLOCK_STATUS) { this.blockStatus.submit(io); return; }
    let best: UpstreamConnection | null = null;
    for (const c of this.connections) {
      if (c && c.alive && (best === null || c.inFlight < best.inFlight)) best = c;
    }
    if (best === null) { io.complete(this.closed ? ESHUTDOWN : EIO, null); return; }
    best.send(io, this.flagMask);
  }

  private lost(index: number, reason: string): void {
    this.connections[index] = null;
    if (this.closed) return;
    if (!this.down) {
      this.down = true;
      for (const l of this.listeners) l({ state: 'down', reason: `${this.location}: ${reason}` });
    }
    const retry = (): void => {
      if (this.closed) return;
      connectOnce(this.options.target).then((c) => {
        if (this.closed) { c.socket.destroy(); return; }
        this.adopt(index, c.socket, c.leftover);
        if (this.down && this.connections.every((x) => x !== null)) {
          this.down = false;
          for (const l of this.listeners) l({ state: 'up' });
        }
      }, () => setTimeout(retry, this.options.reconnectMs ?? 1000).unref());
    };
    setTimeout(retry, this.options.reconnectMs ?? 1000).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.blockStatus.close();
    for (const c of this.connections) c?.close();
  }
}
