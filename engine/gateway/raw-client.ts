import net from 'node:net';
import {
  CMD_DISC, IHAVEOPT_HI, IHAVEOPT_LO, OPTION_REPLY_MAGIC_HI, OPT_GO, REP_ACK, REP_INFO, REP_SERVER, REQUEST_MAGIC, SIMPLE_REPLY_MAGIC,
} from './nbd-constants.js';

export interface RawOptionReply {
  readonly type: number;
  readonly data: Buffer;
}

/**
 * A deliberately small NBD client that sends exactly the bytes it is given: the tool for
 * probing servers (the gateway, nbdkit) the way a hostile or broken client would (tests, the
 * fuzzer, the soak command). Real clients (fio, qemu, libnbd) cover the well-formed paths.
 * Every read is bounded in time.
 */
export class RawNbdClient {
  private buffered: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;
  /** Resolves when the peer closed the connection (or it failed). */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = this.buffered.length === 0 ? d : Buffer.concat([this.buffered, d]);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => { this.ended = true; this.wake?.(); resolve(); }));
    socket.on('error', () => { this.ended = true; this.wake?.(); });
  }

  /** Connects to 127.0.0.1:`port`, optionally from `localAddress` (to appear as another host). */
  static connect(port: number, localAddress?: string, timeoutMs = 10_000): Promise<RawNbdClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error(`connect to 127.0.0.1:${port} timed out`)); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(new RawNbdClient(socket)); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
  }

  /** True once the peer closed the connection (or it failed). */
  get isClosed(): boolean {
    return this.ended;
  }

  write(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  async read(n: number, timeoutMs = 10_000): Promise<Buffer> {
    const until = Date.now() + timeoutMs;
    while (this.buffered.length < n) {
      if (this.ended) throw new Error(`connection closed with ${this.buffered.length} of ${n} bytes read`);
      if (Date.now() > until) throw new Error(`timed out reading ${n} bytes (have ${this.buffered.length})`);
      await this.pause(until);
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Resolves once the peer has closed, or after `timeoutMs` with false. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < until) await this.pause(until);
    return this.ended;
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

  /** NBD_OPT_GO (after `start`); resolves to the final reply type (1 = ACK) and the export's transmission flags. */
  async go(name: string): Promise<{ type: number; flags: number; text: string }> {
    const replies = await this.option(OPT_GO, goData(name));
    const info = replies.find((r) => r.type === REP_INFO && r.data.readUInt16BE(0) === 0);
    const last = replies[replies.length - 1]!;
    return { type: last.type, flags: info ? info.data.readUInt16BE(10) : 0, text: last.data.toString('utf8') };
  }

  /** Greeting, fixed newstyle flags and NBD_OPT_GO for `name`; resolves at the ACK, rejects on a refusal. */
  async open(name: string): Promise<void> {
    await this.start();
    const { type } = await this.go(name);
    if (type !== REP_ACK) throw new Error(`GO ${name} refused: 0x${type.toString(16)}`);
  }

  /** Send one request and read its simple reply; returns the errno and any read data. */
  async request(type: number, offset: number | bigint, length: number, payload?: Buffer, flags = 0): Promise<{ errno: number; data: Buffer }> {
    const header = requestHeader(type, offset, length, 7, flags);
    this.write(payload ? Buffer.concat([header, payload]) : header);
    const reply = await this.read(16);
    if (reply.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC) throw new Error(`reply magic 0x${reply.readUInt32BE(0).toString(16)}`);
    const errno = reply.readUInt32BE(4);
    const data = type === 0 && errno === 0 ? Buffer.from(await this.read(length)) : Buffer.alloc(0);
    return { errno, data };
  }

  /** One simple-reply command without flags (the identity and TLS tests' form of `request`). */
  command(type: number, offset: number, length: number, payload?: Buffer): Promise<{ errno: number; data: Buffer }> {
    return this.request(type, offset, length, payload);
  }

  disconnect(): void {
    this.write(requestHeader(CMD_DISC, 0, 0));
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Wait for data, close, or 50 ms (never past `until`): reads poll so their deadline holds. */
  private pause(until: number): Promise<void> {
    return new Promise<void>((r) => {
      const timer = setTimeout(r, Math.min(50, Math.max(1, until - Date.now())));
      timer.unref();
      this.wake = () => { clearTimeout(timer); r(); };
    });
  }
}

export function optionHeader(code: number, length: number): Buffer {
  const head = Buffer.alloc(16);
  head.writeUInt32BE(IHAVEOPT_HI, 0);
  head.writeUInt32BE(IHAVEOPT_LO, 4);
  head.writeUInt32BE(code >>> 0, 8);
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
