import type net from 'node:net';
import {
  DEFAULT_MAX_PAYLOAD, FLAG_C_FIXED_NEWSTYLE, FLAG_C_NO_ZEROES, FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES,
  IHAVEOPT_HI, IHAVEOPT_LO, INFO_BLOCK_SIZE, INFO_EXPORT, NBDMAGIC_HI, NBDMAGIC_LO,
  OPTION_REPLY_MAGIC_HI, OPTION_REPLY_MAGIC_LO, OPT_EXPORT_NAME, OPT_GO, OPT_SET_META_CONTEXT,
  OPT_STRUCTURED_REPLY, REP_ACK, REP_ERR_UNSUP, REP_INFO, REP_META_CONTEXT, isOptionReplyError,
} from './nbd-constants.js';
import { validBlockSize, type BlockSizeConstraints } from './export-capabilities.js';
import { BASE_ALLOCATION } from './meta-context.js';

/** What the upstream server said about its export during the handshake. */
export interface UpstreamExport {
  readonly size: number;
  readonly flags: number;
  readonly maxPayload: number;
  /** Its NBD_INFO_BLOCK_SIZE, when it sent a valid one. */
  readonly blockSize?: BlockSizeConstraints;
  /** Structured replies were negotiated (asked for only on the connection that forwards BLOCK_STATUS). */
  readonly structuredReplies: boolean;
  /** The upstream's id for base:allocation, or null when it offers none. */
  readonly allocationContextId: number | null;
}

export interface NegotiationWants {
  /** Ask for structured replies and base:allocation (the block-status connection only). */
  readonly structuredReplies: boolean;
}

/** Option replies longer than this end the handshake: no upstream needs more, and it bounds memory. */
const MAX_OPTION_REPLY = 65536;

class HandshakeReader {
  private chunks: Buffer = Buffer.alloc(0);
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer): void => {
    this.chunks = this.chunks.length === 0 ? chunk : Buffer.concat([this.chunks, chunk]);
    this.wake();
  };
  private readonly onEnd = (): void => this.fail(new Error('connection closed during the handshake'));
  private readonly onError = (err: Error): void => this.fail(err);

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.wake();
    });
  }

  /** Stop listening and return bytes that arrived past the handshake. */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    return this.chunks;
  }

  private fail(err: Error): void {
    this.failure = err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.chunks.length >= w.n) {
      this.waiter = null;
      const out = this.chunks.subarray(0, w.n);
      this.chunks = this.chunks.subarray(w.n);
      w.resolve(out);
    } else if (this.failure) {
      this.waiter = null;
      w.reject(this.failure);
    }
  }
}

interface OptionReply {
  readonly type: number;
  readonly body: Buffer;
}

async function readOptionReply(reader: HandshakeReader, where: string): Promise<OptionReply> {
  const head = await reader.read(20);
  if (head.readUInt32BE(0) !== OPTION_REPLY_MAGIC_HI || head.readUInt32BE(4) !== OPTION_REPLY_MAGIC_LO) throw new Error(`${where}: bad option reply magic`);
  const type = head.readUInt32BE(12);
  const length = head.readUInt32BE(16);
  if (length > MAX_OPTION_REPLY) throw new Error(`${where}: option reply of ${length} bytes`);
  return { type, body: await reader.read(length) };
}

function refusal(where: string, what: string, reply: OptionReply): Error {
  return new Error(`${where}: the server refused ${what} (reply 0x${reply.type.toString(16)}${reply.body.length ? `: ${reply.body.toString('utf8')}` : ''})`);
}

/** NBD_OPT_STRUCTURED_REPLY then NBD_OPT_SET_META_CONTEXT base:allocation; either may be refused. */
async function negotiateStructured(socket: net.Socket, reader: HandshakeReader, name: Buffer, where: string): Promise<{ structured: boolean; contextId: number | null }> {
  socket.write(option(OPT_STRUCTURED_REPLY, Buffer.alloc(0)));
  const ack = await readOptionReply(reader, where);
  if (ack.type !== REP_ACK) return { structured: false, contextId: null };
  const query = Buffer.from(BASE_ALLOCATION, 'utf8');
  const data = Buffer.alloc(4 + name.length + 4 + 4 + query.length);
  data.writeUInt32BE(name.length, 0);
  name.copy(data, 4);
  data.writeUInt32BE(1, 4 + name.length);
  data.writeUInt32BE(query.length, 8 + name.length);
  query.copy(data, 12 + name.length);
  socket.write(option(OPT_SET_META_CONTEXT, data));
  let contextId: number | null = null;
  for (;;) {
    const reply = await readOptionReply(reader, where);
    if (reply.type === REP_ACK || isOptionReplyError(reply.type)) break;
    if (reply.type === REP_META_CONTEXT && reply.body.length >= 4 && reply.body.toString('utf8', 4) === BASE_ALLOCATION) contextId = reply.body.readUInt32BE(0);
  }
  return { structured: true, contextId };
}

function parseBlockSize(body: Buffer): BlockSizeConstraints | undefined {
  const b = { minimum: body.readUInt32BE(2), preferred: body.readUInt32BE(6), maximum: body.readUInt32BE(10) };
  // A triple the spec forbids is ignored rather than passed on to clients.
  return validBlockSize(b) ? b : undefined;
}

/**
 * Fixed-newstyle client handshake: NBD_OPT_GO asking for NBD_INFO_BLOCK_SIZE, falling back
 * to NBD_OPT_EXPORT_NAME. `where` names the upstream in errors.
 */
export async function clientHandshake(socket: net.Socket, exportName: string, where: string, wants: NegotiationWants): Promise<{ info: UpstreamExport; leftover: Buffer }> {
  const reader = new HandshakeReader(socket);
  const greeting = await reader.read(18);
  if (greeting.readUInt32BE(0) !== NBDMAGIC_HI || greeting.readUInt32BE(4) !== NBDMAGIC_LO) throw new Error(`${where}: not an NBD server (no NBDMAGIC)`);
  if (greeting.readUInt32BE(8) !== IHAVEOPT_HI || greeting.readUInt32BE(12) !== IHAVEOPT_LO) throw new Error(`${where}: oldstyle NBD servers are not supported`);
  const serverFlags = greeting.readUInt16BE(16);
  const noZeroes = (serverFlags & FLAG_NO_ZEROES) !== 0;
  const fixed = (serverFlags & FLAG_FIXED_NEWSTYLE) !== 0;
  const clientFlags = Buffer.alloc(4);
  clientFlags.writeUInt32BE((fixed ? FLAG_C_FIXED_NEWSTYLE : 0) | (noZeroes ? FLAG_C_NO_ZEROES : 0));
  socket.write(clientFlags);
  const name = Buffer.from(exportName, 'utf8');
  let size = -1;
  let flags = 0;
  let maxPayload = DEFAULT_MAX_PAYLOAD;
  let blockSize: BlockSizeConstraints | undefined;
  const structured = fixed && wants.structuredReplies ? await negotiateStructured(socket, reader, name, where) : { structured: false, contextId: null };
  if (fixed) {
    const data = Buffer.alloc(4 + name.length + 2 + 2);
    data.writeUInt32BE(name.length, 0);
    name.copy(data, 4);
    data.writeUInt16BE(1, 4 + name.length);
    data.writeUInt16BE(INFO_BLOCK_SIZE, 6 + name.length);
    socket.write(option(OPT_GO, data));
    for (;;) {
      const reply = await readOptionReply(reader, where);
      const body = reply.body;
      if (reply.type === REP_ACK) break;
      if (reply.type === REP_INFO && body.length >= 2) {
        const infoType = body.readUInt16BE(0);
        if (infoType === INFO_EXPORT && body.length >= 12) {
          size = body.readUInt32BE(2) * 0x100000000 + body.readUInt32BE(6);
          flags = body.readUInt16BE(10);
        } else if (infoType === INFO_BLOCK_SIZE && body.length >= 14) {
          blockSize = parseBlockSize(body);
          maxPayload = Math.min(DEFAULT_MAX_PAYLOAD, body.readUInt32BE(10));
        }
        continue;
      }
      if (reply.type === REP_ERR_UNSUP) { size = -2; break; }
      if (isOptionReplyError(reply.type)) throw refusal(where, 'the export', reply);
    }
  }
  if (size < 0) {
    socket.write(option(OPT_EXPORT_NAME, name));
    const reply = await reader.read(noZeroes ? 10 : 134);
    size = reply.readUInt32BE(0) * 0x100000000 + reply.readUInt32BE(4);
    flags = reply.readUInt16BE(8);
  }
  const info: UpstreamExport = {
    size, flags, maxPayload, ...(blockSize ? { blockSize } : {}),
    structuredReplies: structured.structured, allocationContextId: structured.contextId,
  };
  return { info, leftover: reader.detach() };
}

function option(code: number, data: Buffer): Buffer {
  const out = Buffer.alloc(16 + data.length);
  out.writeUInt32BE(IHAVEOPT_HI, 0);
  out.writeUInt32BE(IHAVEOPT_LO, 4);
  out.writeUInt32BE(code, 8);
  out.writeUInt32BE(data.length, 16 - 4);
  data.copy(out, 16);
  return out;
}
