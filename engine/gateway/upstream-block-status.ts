import type net from 'node:net';
import type { BackendIo } from './backend.js';
import { allDataExtents, checkUpstreamExtents } from './block-status.js';
import {
  CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE, EIO, ESHUTDOWN, REPLY_FLAG_DONE, REPLY_TYPE_BLOCK_STATUS, REPLY_TYPE_NONE,
  REQUEST_MAGIC, SIMPLE_REPLY_MAGIC, STRUCTURED_REPLY_HEADER_BYTES, STRUCTURED_REPLY_MAGIC,
} from './nbd-constants.js';
import type { UpstreamExport } from './upstream-negotiation.js';

/** A dialled upstream connection, handshake done. */
export interface DialledUpstream {
  readonly socket: net.Socket;
  readonly info: UpstreamExport;
  readonly leftover: Buffer;
}

/** Block-status requests in flight on this connection; more fail with EIO (clients send a few at a time). */
const MAX_IN_FLIGHT = 256;
/** A chunk larger than this is not a block-status reply we asked for: the upstream is broken. */
const MAX_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Forwards NBD_CMD_BLOCK_STATUS to an upstream on a connection of its own, the one that
 * negotiates structured replies and base:allocation. The data connections keep simple
 * replies, so reads and writes pay nothing for it. Dialled on first use and again after a
 * failure; an upstream without base:allocation gets every extent reported as data.
 */
export class UpstreamBlockStatus {
  private connection: Promise<ExtentsConnection> | null = null;
  private closed = false;

  constructor(private readonly dial: () => Promise<DialledUpstream>, private readonly exportSize: number) {}

  submit(io: BackendIo): void {
    if (this.closed) { io.complete(ESHUTDOWN, null); return; }
    if (this.connection === null) {
      this.connection = this.dial().then((d) => new ExtentsConnection(d, this.exportSize, () => { this.connection = null; }));
      this.connection.catch(() => { this.connection = null; });
    }
    this.connection.then((c) => c.send(io), () => io.complete(EIO, null));
  }

  close(): void {
    this.closed = true;
    this.connection?.then((c) => c.close(), () => {});
    this.connection = null;
  }
}

/** Reply state of one forwarded request: the descriptors seen so far, or an error. */
interface Pending {
  readonly io: BackendIo;
  extents: Buffer | null;
  errno: number;
}

class ExtentsConnection {
  private readonly pending = new Map<number, Pending>();
  private nextCookie = 1;
  private input: Buffer = Buffer.alloc(0);
  private dead = false;
  private readonly socket: net.Socket;
  private readonly contextId: number | null;

  constructor(dialled: DialledUpstream, private readonly exportSize: number, private readonly onGone: () => void) {
    this.socket = dialled.socket;
    this.contextId = dialled.info.structuredReplies ? dialled.info.allocationContextId : null;
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', () => this.fail());
    this.socket.on('close', () => this.fail());
    if (dialled.leftover.length > 0) this.onData(dialled.leftover);
  }

  send(io: BackendIo): void {
    if (this.contextId === null) { io.complete(0, allDataExtents(io.length)); return; }
    if (this.dead || this.pending.size >= MAX_IN_FLIGHT) { io.complete(EIO, null); return; }
    const cookie = this.nextCookie;
    this.nextCookie = this.nextCookie >= 0xffffffff ? 1 : this.nextCookie + 1;
    this.pending.set(cookie, { io, extents: null, errno: 0 });
    const b = Buffer.alloc(28);
    b.writeUInt32BE(REQUEST_MAGIC, 0);
    b.writeUInt16BE(io.flags & CMD_FLAG_REQ_ONE, 4);
    b.writeUInt16BE(CMD_BLOCK_STATUS, 6);
    b.writeUInt32BE(0, 8);
    b.writeUInt32BE(cookie, 12);
    b.writeUInt32BE(Math.floor(io.offset / 0x100000000), 16);
    b.writeUInt32BE(io.offset >>> 0, 20);
    b.writeUInt32BE(io.length, 24);
    this.socket.write(b);
  }

  close(): void {
    this.fail();
  }

  private onData(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
    while (!this.dead) {
      const consumed = this.parseOne(this.input);
      if (consumed === 0) return;
      this.input = this.input.subarray(consumed);
    }
  }

  /** Handle one reply or chunk at the start of `b`; returns the bytes it used (0: need more). */
  private parseOne(b: Buffer): number {
    if (b.length < 4) return 0;
    const magic = b.readUInt32BE(0);
    if (magic === SIMPLE_REPLY_MAGIC) {
      if (b.length < 16) return 0;
      const p = this.take(b.readUInt32BE(8), b.readUInt32BE(12));
      // A simple reply to BLOCK_STATUS can only carry an error.
      if (p) p.io.complete(b.readUInt32BE(4) || EIO, null);
      return 16;
    }
    if (magic !== STRUCTURED_REPLY_MAGIC) { this.fail(); return 0; }
    if (b.length < STRUCTURED_REPLY_HEADER_BYTES) return 0;
    const flags = b.readUInt16BE(4);
    const type = b.readUInt16BE(6);
    const cookieHi = b.readUInt32BE(8);
    const cookieLo = b.readUInt32BE(12);
    const length = b.readUInt32BE(16);
    if (length > MAX_CHUNK_BYTES) { this.fail(); return 0; }
    if (b.length < STRUCTURED_REPLY_HEADER_BYTES + length) return 0;
    const payload = b.subarray(STRUCTURED_REPLY_HEADER_BYTES, STRUCTURED_REPLY_HEADER_BYTES + length);
    const p = cookieHi === 0 ? this.pending.get(cookieLo) : undefined;
    if (!p) { this.fail(); return 0; }
    if ((type & 0x8000) !== 0) {
      // ERROR and ERROR_OFFSET both start with the error number.
      p.errno = length >= 4 ? payload.readUInt32BE(0) || EIO : EIO;
    } else if (type === REPLY_TYPE_BLOCK_STATUS) {
      if (length >= 4 && payload.readUInt32BE(0) === this.contextId && p.extents === null) p.extents = Buffer.from(payload.subarray(4));
    } else if (type !== REPLY_TYPE_NONE) {
      p.errno = EIO; // OFFSET_DATA or OFFSET_HOLE answer reads, which this connection never sends
    }
    if ((flags & REPLY_FLAG_DONE) !== 0) this.settle(cookieLo, p);
    return STRUCTURED_REPLY_HEADER_BYTES + length;
  }

  private settle(cookie: number, p: Pending): void {
    this.pending.delete(cookie);
    if (p.errno !== 0 || p.extents === null) { p.io.complete(p.errno || EIO, null); return; }
    const checked = checkUpstreamExtents(p.extents, p.io.offset, p.io.length, this.exportSize, (p.io.flags & CMD_FLAG_REQ_ONE) !== 0);
    if (typeof checked === 'string') p.io.complete(EIO, null);
    else p.io.complete(0, checked);
  }

  private take(cookieHi: number, cookieLo: number): Pending | undefined {
    const p = cookieHi === 0 ? this.pending.get(cookieLo) : undefined;
    if (p) this.pending.delete(cookieLo);
    return p;
  }

  private fail(): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    for (const p of this.pending.values()) p.io.complete(EIO, null);
    this.pending.clear();
    this.onGone();
  }
}
