import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendIo } from './backend.js';
import { UpstreamBlockStatus } from './upstream-block-status.js';
import {
  CMD_BLOCK_STATUS, EIO, REPLY_FLAG_DONE, REPLY_TYPE_BLOCK_STATUS, REPLY_TYPE_ERROR, REPLY_TYPE_NONE,
  STRUCTURED_REPLY_MAGIC,
} from './nbd-constants.js';

const CONTEXT = 7;
const SIZE = 1 << 30;

/** One structured reply chunk as an upstream sends it. */
function chunk(cookie: number, type: number, done: boolean, payload: Buffer): Buffer {
  const b = Buffer.alloc(20 + payload.length);
  b.writeUInt32BE(STRUCTURED_REPLY_MAGIC, 0);
  b.writeUInt16BE(done ? REPLY_FLAG_DONE : 0, 4);
  b.writeUInt16BE(type, 6);
  b.writeUInt32BE(cookie, 12);
  b.writeUInt32BE(payload.length, 16);
  payload.copy(b, 20);
  return b;
}

function statusPayload(context: number, lengths: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * lengths.length);
  b.writeUInt32BE(context, 0);
  lengths.forEach((l, i) => { b.writeUInt32BE(l, 4 + 8 * i); b.writeUInt32BE(i % 2 === 0 ? 0 : 3, 8 + 8 * i); });
  return b;
}

/**
 * A fake upstream past its handshake: for each BLOCK_STATUS request it answers with the
 * scripted chunks, written in the scripted splits.
 */
class FakeUpstream {
  private server = net.createServer((s) => this.accept(s));
  port = 0;
  script: (cookie: number, offset: number, length: number) => Buffer = () => Buffer.alloc(0);
  cuts: number[] = [];
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  private accept(s: net.Socket): void {
    let pending = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 28) {
        expect(pending.readUInt16BE(6)).toBe(CMD_BLOCK_STATUS);
        const reply = this.script(pending.readUInt32BE(12), pending.readUInt32BE(20), pending.readUInt32BE(24));
        pending = pending.subarray(28);
        let at = 0;
        for (const cut of [...this.cuts, reply.length]) {
          const end = Math.min(reply.length, at + Math.max(1, cut));
          if (end > at) s.write(reply.subarray(at, end));
          at = end;
        }
      }
    });
    s.on('error', () => {});
  }
  async close(): Promise<void> { await new Promise<void>((r) => this.server.close(() => r())); }
}

function ask(status: UpstreamBlockStatus, offset: number, length: number): Promise<{ errno: number; lengths: number[] }> {
  return new Promise((resolve) => {
    const io: BackendIo = {
      type: CMD_BLOCK_STATUS, flags: 0, offset, length, payload: null,
      complete: (errno, data) => {
        const lengths: number[] = [];
        if (data) for (let i = 0; i < data.length; i += 8) lengths.push(data.readUInt32BE(i));
        resolve({ errno, lengths });
      },
    };
    status.submit(io);
  });
}

describe('forwarding BLOCK_STATUS to an upstream over structured replies', () => {
  const upstream = new FakeUpstream();
  let status: UpstreamBlockStatus;
  beforeAll(async () => {
    await upstream.listen();
    status = new UpstreamBlockStatus(async () => {
      const socket = net.connect(upstream.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      return { socket, info: { size: SIZE, flags: 1, maxPayload: 1 << 20, structuredReplies: true, allocationContextId: CONTEXT }, leftover: Buffer.alloc(0) };
    }, SIZE);
  });
  afterAll(async () => { status.close(); await upstream.close(); });

  it('takes the descriptors of our context however the chunks are split, ignoring other contexts, until DONE', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 1 << 20 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }),
      fc.boolean(),
      async (lengths, cuts, separateDone) => {
        upstream.cuts = cuts;
        upstream.script = (cookie) => Buffer.concat([
          chunk(cookie, REPLY_TYPE_BLOCK_STATUS, false, statusPayload(CONTEXT + 1, [4096])),
          chunk(cookie, REPLY_TYPE_BLOCK_STATUS, !separateDone, statusPayload(CONTEXT, lengths)),
          ...(separateDone ? [chunk(cookie, REPLY_TYPE_NONE, true, Buffer.alloc(0))] : []),
        ]);
        const got = await ask(status, 0, 4096);
        expect(got).toEqual({ errno: 0, lengths });
      },
    ), { numRuns: 60 });
  });

  it('passes an upstream error chunk on as its errno, and a reply without descriptors as EIO', async () => {
    upstream.cuts = [];
    upstream.script = (cookie) => {
      const p = Buffer.alloc(6);
      p.writeUInt32BE(28, 0);
      return chunk(cookie, REPLY_TYPE_ERROR, true, p);
    };
    expect((await ask(status, 0, 4096)).errno).toBe(28);
    upstream.script = (cookie) => chunk(cookie, REPLY_TYPE_NONE, true, Buffer.alloc(0));
    expect((await ask(status, 0, 4096)).errno).toBe(EIO);
  });

  it('fails the request with EIO on a garbled reply, then dials again and serves the next one', async () => {
    upstream.cuts = [];
    upstream.script = () => Buffer.from('garbage that is no NBD reply at all');
    expect((await ask(status, 0, 4096)).errno).toBe(EIO);
    upstream.script = (cookie) => chunk(cookie, REPLY_TYPE_BLOCK_STATUS, true, statusPayload(CONTEXT, [8192]));
    expect(await ask(status, 0, 4096)).toEqual({ errno: 0, lengths: [8192] });
  });
});
