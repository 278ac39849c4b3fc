import type { OutputBatcher } from './output-batcher.js';
import {
  REPLY_FLAG_DONE, REPLY_TYPE_BLOCK_STATUS, REPLY_TYPE_ERROR, REPLY_TYPE_OFFSET_DATA,
  STRUCTURED_REPLY_HEADER_BYTES, STRUCTURED_REPLY_MAGIC,
} from './nbd-constants.js';

/** Reads up to this size are copied into the output slab; larger ones are written by reference. */
const INLINE_DATA = 64 * 1024;

function writeChunkHeader(b: Buffer, at: number, type: number, cookieHi: number, cookieLo: number, length: number): void {
  b.writeUInt32BE(STRUCTURED_REPLY_MAGIC, at);
  b.writeUInt16BE(REPLY_FLAG_DONE, at + 4);
  b.writeUInt16BE(type, at + 6);
  b.writeUInt32BE(cookieHi, at + 8);
  b.writeUInt32BE(cookieLo, at + 12);
  b.writeUInt32BE(length, at + 16);
}

function writeOffset(b: Buffer, at: number, offset: number): void {
  b.writeUInt32BE(Math.floor(offset / 0x100000000), at);
  b.writeUInt32BE(offset >>> 0, at + 4);
}

/**
 * A successful read as one OFFSET_DATA chunk flagged DONE: the whole read, never split
 * (so NBD_CMD_FLAG_DF holds). Same cost as a simple reply: 28 header bytes, no allocation.
 */
export function writeReadChunk(out: OutputBatcher, cookieHi: number, cookieLo: number, offset: number, data: Buffer, credit = 0): void {
  const inline = data.length <= INLINE_DATA;
  const head = STRUCTURED_REPLY_HEADER_BYTES + 8;
  const at = out.reserve(inline ? head + data.length : head);
  const b = out.buffer;
  writeChunkHeader(b, at, REPLY_TYPE_OFFSET_DATA, cookieHi, cookieLo, 8 + data.length);
  writeOffset(b, at + STRUCTURED_REPLY_HEADER_BYTES, offset);
  // `credit` comes back through the batcher once these bytes are written (the gateway's byte budget).
  if (inline) { data.copy(b, at + head); out.credit(credit); } else out.append(data, credit);
}

/** A failed read or block status: one ERROR chunk (errno, no message) flagged DONE. */
export function writeErrorChunk(out: OutputBatcher, cookieHi: number, cookieLo: number, errno: number): void {
  const at = out.reserve(STRUCTURED_REPLY_HEADER_BYTES + 6);
  const b = out.buffer;
  writeChunkHeader(b, at, REPLY_TYPE_ERROR, cookieHi, cookieLo, 6);
  b.writeUInt32BE(errno, at + STRUCTURED_REPLY_HEADER_BYTES);
  b.writeUInt16BE(0, at + STRUCTURED_REPLY_HEADER_BYTES + 4);
}

/** A BLOCK_STATUS answer: context id, then the backend's (length, flags) descriptors as they are. */
export function writeBlockStatusChunk(out: OutputBatcher, cookieHi: number, cookieLo: number, contextId: number, extents: Buffer): void {
  const at = out.reserve(STRUCTURED_REPLY_HEADER_BYTES + 4 + extents.length);
  const b = out.buffer;
  writeChunkHeader(b, at, REPLY_TYPE_BLOCK_STATUS, cookieHi, cookieLo, 4 + extents.length);
  b.writeUInt32BE(contextId, at + STRUCTURED_REPLY_HEADER_BYTES);
  extents.copy(b, at + STRUCTURED_REPLY_HEADER_BYTES + 4);
}
