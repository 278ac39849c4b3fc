import { PayloadReader, PayloadWriter } from './binary.js';
import { messageCodes, messageTypeOfCode, readPayload, writePayload, type ControlMessage } from './messages.js';

/**
 * Frame layout (big-endian), 12-byte header then payload:
 *   0  magic   'H' 'R'
 *   2  version u8   (PROTOCOL_VERSION)
 *   3  type    u8   (messageCodes)
 *   4  seq     u32  (ties a reply to its request)
 *   8  length  u32  (payload bytes)
 */
export const FRAME_MAGIC_0 = 0x48;
export const FRAME_MAGIC_1 = 0x52;
export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 12;
/** Default limit: a stats reply for thousands of host/LUN pairs fits easily; anything larger is refused. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;
export const MAX_SEQ = 0xffffffff;

export interface DecodedFrame {
  seq: number;
  message: ControlMessage;
  /** Stream offset of the frame's first byte. */
  offset: number;
  /** Whole frame size in bytes (header + payload). */
  size: number;
}

/** A frame the decoder refuses; the stream cannot be trusted after it. */
export interface ProtocolError {
  kind: 'protocol-error';
  offset: number;
  message: string;
}

export function protocolErrorText(e: ProtocolError): string {
  return `byte ${e.offset}: ${e.message}`;
}

export function encodeFrame(seq: number, message: ControlMessage): Buffer {
  const w = new PayloadWriter(64);
  appendFrame(w, seq, message);
  return w.finish();
}

/**
 * Concatenation: several frames encoded back to back into one buffer, so a burst to one
 * gateway leaves in one write.
 */
export function encodeFrames(frames: readonly { seq: number; message: ControlMessage }[]): Buffer {
  const w = new PayloadWriter(64 * Math.max(1, frames.length));
  for (const f of frames) appendFrame(w, f.seq, f.message);
  return w.finish();
}

function appendFrame(w: PayloadWriter, seq: number, message: ControlMessage): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`sequence number ${seq} is outside 0..${MAX_SEQ}`);
  const start = w.length;
  // Reserve the header and fill it once the payload length is known.
  w.u16((FRAME_MAGIC_0 << 8) | FRAME_MAGIC_1).u16((PROTOCOL_VERSION << 8) | messageCodes[message.type]).u32(seq).u32(0);
  writePayload(w, message);
  w.buffer.writeUInt32BE(w.length - start - FRAME_HEADER_BYTES, start + 8);
}

export interface DecoderLimits {
  maxPayloadBytes: number;
}

/** What the decoder keeps between chunks: unconsumed bytes and where they sit in the stream. */
export interface DecoderState {
  readonly pending: Uint8Array;
  readonly streamOffset: number;
  readonly error: ProtocolError | null;
}

export const initialDecoderState: DecoderState = { pending: new Uint8Array(0), streamOffset: 0, error: null };

export interface DecodeStep {
  state: DecoderState;
  frames: DecodedFrame[];
  error: ProtocolError | null;
}

function fail(offset: number, message: string): ProtocolError {
  return { kind: 'protocol-error', offset, message };
}

/**
 * Pure and total: any bytes give frames, and at most one error naming the stream offset.
 * Frames before the error are returned; after an error the state stays failed.
 * A header announcing more than the limit is refused before any of its payload is buffered.
 */
export function decodeChunk(state: DecoderState, chunk: Uint8Array, limits: DecoderLimits = { maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES }): DecodeStep {
  if (state.error) return { state, frames: [], error: state.error };
  let buf: Uint8Array;
  if (state.pending.length === 0) buf = chunk;
  else if (chunk.length === 0) buf = state.pending;
  else {
    buf = new Uint8Array(state.pending.length + chunk.length);
    buf.set(state.pending, 0);
    buf.set(chunk, state.pending.length);
  }
  const base = state.streamOffset;
  const frames: DecodedFrame[] = [];
  let pos = 0;
  let error: ProtocolError | null = null;
  let reader: PayloadReader | null = null;
  while (pos < buf.length) {
    const avail = buf.length - pos;
    // Check each header byte as soon as it arrives, so garbage is refused without waiting for more.
    if (buf[pos] !== FRAME_MAGIC_0 || (avail > 1 && buf[pos + 1] !== FRAME_MAGIC_1)) {
      const at = buf[pos] !== FRAME_MAGIC_0 ? pos : pos + 1;
      error = fail(base + at, `bad magic byte 0x${buf[at]!.toString(16).padStart(2, '0')} (frames start with "HR")`);
      break;
    }
    if (avail > 2 && buf[pos + 2] !== PROTOCOL_VERSION) {
      error = fail(base + pos + 2, `unsupported protocol version ${buf[pos + 2]} (this side speaks ${PROTOCOL_VERSION})`);
      break;
    }
    if (avail > 3 && messageTypeOfCode(buf[pos + 3]!) === undefined) {
      error = fail(base + pos + 3, `unknown message type ${buf[pos + 3]}`);
      break;
    }
    if (avail < FRAME_HEADER_BYTES) break;
    const length = ((buf[pos + 8]! << 24) >>> 0) + (buf[pos + 9]! << 16) + (buf[pos + 10]! << 8) + buf[pos + 11]!;
    if (length > limits.maxPayloadBytes) {
      error = fail(base + pos + 8, `frame payload of ${length} bytes exceeds the limit of ${limits.maxPayloadBytes}`);
      break;
    }
    if (avail < FRAME_HEADER_BYTES + length) break;
    const type = messageTypeOfCode(buf[pos + 3]!)!;
    const seq = ((buf[pos + 4]! << 24) >>> 0) + (buf[pos + 5]! << 16) + (buf[pos + 6]! << 8) + buf[pos + 7]!;
    const start = pos + FRAME_HEADER_BYTES;
    if (reader) reader.reset(start, start + length);
    else reader = new PayloadReader(buf, start, start + length, base);
    const message = readPayload(reader, type);
    reader.done();
    if (reader.problem) {
      error = fail(reader.problem.offset, `${type} frame (seq ${seq}): ${reader.problem.message}`);
      break;
    }
    frames.push({ seq, message, offset: base + pos, size: FRAME_HEADER_BYTES + length });
    pos = start + length;
  }
  if (error) return { state: { pending: new Uint8Array(0), streamOffset: base + pos, error }, frames, error };
  // Copy the tail so the caller's chunk can be reused and large buffers are not pinned.
  const pending = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
  return { state: { pending, streamOffset: base + pos, error: null }, frames, error: null };
}

/** A convenience holder for one connection's decoder state. */
export class FrameDecoder {
  private state: DecoderState = initialDecoderState;
  private limits: DecoderLimits;

  constructor(limits: DecoderLimits = { maxPayloadBytes: DEFAULT_MAX_PAYLOAD_BYTES }) {
    this.limits = { ...limits };
  }

  /** A connection that has authenticated may be allowed larger frames than one that has not. */
  setMaxPayloadBytes(maxPayloadBytes: number): void {
    this.limits = { ...this.limits, maxPayloadBytes };
  }

  push(chunk: Uint8Array): { frames: DecodedFrame[]; error: ProtocolError | null } {
    const step = decodeChunk(this.state, chunk, this.limits);
    this.state = step.state;
    return { frames: step.frames, error: step.error };
  }

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.state.pending.length;
  }

  get consumed(): number {
    return this.state.streamOffset;
  }
}

/** Decode exactly one whole buffer (tests, tools): frames, plus an error if bytes are bad or left over. */
export function decodeAll(bytes: Uint8Array, limits?: DecoderLimits): { frames: DecodedFrame[]; error: ProtocolError | null } {
  const step = decodeChunk(initialDecoderState, bytes, limits);
  if (step.error) return { frames: step.frames, error: step.error };
  if (step.state.pending.length > 0) {
    return { frames: step.frames, error: fail(step.state.streamOffset, `stream ends inside a frame (${step.state.pending.length} bytes of it)`) };
  }
  return { frames: step.frames, error: null };
}
