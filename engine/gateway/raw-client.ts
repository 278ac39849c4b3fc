import net from 'node:net';
import { CMD_DISC, OPT_GO, REP_ACK, REQUEST_MAGIC, SIMPLE_REPLY_MAGIC, isOptionReplyError } from './nbd-constants.js';

/**
 * A deliberately small NBD client that sends exactly the bytes it is given: the tool for
 * probing servers with malformed, oversized or hostile requests (tests, the fuzzer, the
 * soak command). Real clients (fio, qemu, libnbd) cover the well-formed paths.
 */
export class RawNbdClient {
  private buffered: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
      this.wake?.();
    });
    socket.on('close', () => { this.ended = true; this.wake?.(); });
    socket.on('error', () => { this.ended = true; this.wake?.(); });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<RawNbdClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connect to ${host}:${port} timed out`)); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(new RawNbdClient(socket)); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  /** True once the peer closed the connection (or it failed). */
  get closed(): boolean {
    return this.ended;
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const until = Date.now() + timeoutMs;
    while (this.buffered.length < n) {
      if (this.ended) throw new Error(`connection closed with ${this.buffered.length} of ${n} bytes`);
      if (Date.now() > until) throw new Error(`timed out reading ${n} bytes (have ${this.buffered.length})`);
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, Math.min(50, Math.max(1, until - Date.now()))).unref(); });
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Resolves once the peer has closed, or after `timeoutMs` with false. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < until) await new Promise<void>((r) => { this.wake = r; setTimeout(r, Math.min(50, Math.max(1, until - Date.now()))).unref(); });
    return this.ended;
  }

  /** Greeting, fixed newstyle flags and NBD_OPT_GO for `name`; resolves at the ACK. */
  async go(name: string): Promise<void> {
    await this.read(18);
    this.write(Buffer.from([0, 0, 0, 3]));
    const nameBytes = Buffer.from(name);
    const data = Buffer.alloc(4 + nameBytes.length + 2);
    data.writeUInt32BE(nameBytes.length, 0);
    nameBytes.copy(data, 4);
    this.write(Buffer.concat([optionHeader(OPT_GO, data.length), data]));
    for (;;) {
      const reply = await this.read(20);
      await this.read(reply.readUInt32BE(16));
      const type = reply.readUInt32BE(12);
      if (type === REP_ACK) return;
      if (isOptionReplyError(type)) throw new Error(`GO ${name} refused: 0x${type.toString(16)}`);
    }
  }

  /** Send one request and read its simple reply; returns the errno and any read data. */
  async request(type: number, offset: number | bigint, length: number, payload?: Buffer, flags = 0): Promise<{ errno: number; data: Buffer }> {
    this.write(payload ? Buffer.concat([requestHeader(type, offset, length, 7, flags), payload]) : requestHeader(type, offset, length, 7, flags));
    const reply = await this.read(16);
    if (reply.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC) throw new Error(`reply magic 0x${reply.readUInt32BE(0).toString(16)}`);
    const errno = reply.readUInt32BE(4);
    const data = type === 0 && errno === 0 ? await this.read(length) : Buffer.alloc(0);
    return { errno, data };
  }

  disconnect(): void {
    this.write(requestHeader(CMD_DISC, 0, 0));
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function optionHeader(option: number, length: number): Buffer {
  const head = Buffer.alloc(16);
  head.write('IHAVEOPT', 0, 'latin1');
  head.writeUInt32BE(option >>> 0, 8);
  head.writeUInt32BE(length >>> 0, 12);
  return head;
}

/** A request header; `offset` may be a bigint to reach the whole 64-bit range. */
export function requestHeader(type: number, offset: number | bigint, length: number, cookie = 7, flags = 0): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(REQUEST_MAGIC, 0);
  b.writeUInt16BE(flags & 0xffff, 4);
  b.writeUInt16BE(type & 0xffff, 6);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(cookie >>> 0, 12);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length >>> 0, 24);
  return b;
}
