import net from 'node:net';
import { IHAVEOPT_HI, IHAVEOPT_LO, OPTION_REPLY_MAGIC_HI, OPT_GO, REP_INFO, REP_SERVER, REQUEST_MAGIC } from './nbd-constants.js';

export interface RawOptionReply {
  readonly type: number;
  readonly data: Buffer;
}

/**
 * A bare NBD client that writes whatever bytes it is told, for probing servers (the gateway,
 * nbdkit) the way a hostile or broken client would. Every read is bounded in time.
 */
export class RawNbdClient {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => { this.buffered = Buffer.concat([this.buffered, d]); this.wake?.(); });
    this.closed = new Promise((resolve) => socket.on('close', () => { this.ended = true; this.wake?.(); resolve(); }));
    socket.on('error', () => {});
  }

  static connect(port: number, localAddress?: string): Promise<RawNbdClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      socket.once('connect', () => resolve(new RawNbdClient(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const until = Date.now() + timeoutMs;
    while (this.buffered.length < n) {
      if (this.ended) throw new Error(`connection closed with ${this.buffered.length} of ${n} bytes read`);
      if (Date.now() > until) throw new Error(`no ${n} bytes within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 50);
        this.wake = () => { clearTimeout(timer); r(); };
      });
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Read the greeting and send fixed-newstyle + no-zeroes client flags. */
  async start(): Promise<void> {
    await this.read(18);
    this.write(Buffer.from([0, 0, 0, 3]));
  }

  /** Send one option; collect its replies up to the final one (ACK or an error). */
  async option(code: number, data: Buffer = Buffer.alloc(0)): Promise<RawOptionReply[]> {
    this.write(Buffer.concat([optionHeader(code, data.length), data]));
    const replies: RawOptionReply[] = [];
    for (;;) {
      const head = await this.read(20);
      if (head.readUInt32BE(0) !== OPTION_REPLY_MAGIC_HI) throw new Error('not an option reply');
      const reply = { type: head.readUInt32BE(12), data: await this.read(head.readUInt32BE(16)) };
      replies.push(reply);
      if (reply.type !== REP_INFO && reply.type !== REP_SERVER) return replies;
    }
  }

  /** NBD_OPT_GO; resolves to the final reply type (1 = ACK) and the export's transmission flags. */
  async go(name: string): Promise<{ type: number; flags: number; text: string }> {
    const replies = await this.option(OPT_GO, goData(name));
    const info = replies.find((r) => r.type === REP_INFO && r.data.readUInt16BE(0) === 0);
    const last = replies[replies.length - 1]!;
    return { type: last.type, flags: info ? info.data.readUInt16BE(10) : 0, text: last.data.toString('utf8') };
  }

  /** One simple-reply command; resolves to its errno and any read data. */
  async command(type: number, offset: number, length: number, payload?: Buffer): Promise<{ errno: number; data: Buffer }> {
    const h = Buffer.alloc(28);
    h.writeUInt32BE(REQUEST_MAGIC, 0);
    h.writeUInt16BE(type, 6);
    h.writeUInt32BE(Math.floor(offset / 2 ** 32), 16);
    h.writeUInt32BE(offset >>> 0, 20);
    h.writeUInt32BE(length, 24);
    this.write(payload ? Buffer.concat([h, payload]) : h);
    const reply = await this.read(16);
    const errno = reply.readUInt32BE(4);
    return { errno, data: type === 0 && errno === 0 ? Buffer.from(await this.read(length)) : Buffer.alloc(0) };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function optionHeader(code: number, length: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(IHAVEOPT_HI, 0);
  head.writeUInt32BE(IHAVEOPT_LO, 4);
  head.writeUInt32BE(code, 8);
  head.writeUInt32BE(length >>> 0, 12);
  return head;
}

/** The data of NBD_OPT_INFO / NBD_OPT_GO: name, then information requests. */
export function goData(name: string, infos: readonly number[] = []): Buffer {
  const n = Buffer.from(name);
  const b = Buffer.alloc(4 + n.length + 2 + 2 * infos.length);
  b.writeUInt32BE(n.length, 0);
  n.copy(b, 4);
  b.writeUInt16BE(infos.length, 4 + n.length);
  infos.forEach((t, i) => b.writeUInt16BE(t, 6 + n.length + 2 * i));
  return b;
}
