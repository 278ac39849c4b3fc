import { CMD_READ, CMD_WRITE, REQUEST_HEADER_BYTES, REQUEST_MAGIC } from './nbd-constants.js';

/**
 * Receives the requests a client sends in the transmission phase. Positional arguments
 * rather than a request object: this runs for every I/O and must not allocate.
 */
export interface RequestSink {
  /** `payload` is the write data (a view into the received bytes when it arrived whole), else null. */
  onRequest(flags: number, type: number, cookieHi: number, cookieLo: number, offset: number, length: number, payload: Buffer | null): void;
  /** A read or write longer than the maximum payload; a write's data has already been skipped. */
  onOversized(flags: number, type: number, cookieHi: number, cookieLo: number, offset: number, length: number): void;
  /** The stream cannot be framed any more; the connection must close. */
  onMalformed(reason: string): void;
}

/**
 * Incremental framing of NBD requests: feed it whatever the socket delivered, in any
 * split, and it calls the sink once per complete request. Pure apart from the sink.
 */
export class RequestParser {
  private readonly header = Buffer.alloc(REQUEST_HEADER_BYTES);
  private headerFilled = 0;
  private payload: Buffer | null = null;
  private payloadFilled = 0;
  private skipRemaining = 0;
  private dead = false;
  /** Bytes of the transmission phase in complete headers and payloads, for messages naming the place. */
  private position = 0;
  // The request whose payload is being gathered or skipped.
  private flags = 0;
  private type = 0;
  private cookieHi = 0;
  private cookieLo = 0;
  private offset = 0;
  private length = 0;

  /**
   * `maxSkip`: the longest oversized write whose data is read and discarded (answered EINVAL)
   * rather than ending the connection. nbdkit skips up to twice its maximum and disconnects
   * beyond, so a header claiming 4 GiB of data costs the server nothing; so does this.
   */
  constructor(private readonly maxPayload: number, private readonly maxSkip = 2 * maxPayload) {}

  get malformed(): boolean {
    return this.dead;
  }

  /** True between requests: nothing partial is buffered. */
  get idle(): boolean {
    return this.headerFilled === 0 && this.payload === null && this.skipRemaining === 0;
  }

  feed(chunk: Buffer, sink: RequestSink): void {
    let at = 0;
    const end = chunk.length;
    while (at < end && !this.dead) {
      if (this.skipRemaining > 0) {
        const n = Math.min(this.skipRemaining, end - at);
        at += n;
        this.skipRemaining -= n;
        this.position += n;
        if (this.skipRemaining === 0) sink.onOversized(this.flags, this.type, this.cookieHi, this.cookieLo, this.offset, this.length);
        continue;
      }
      if (this.payload !== null) {
        const n = Math.min(this.payload.length - this.payloadFilled, end - at);
        chunk.copy(this.payload, this.payloadFilled, at, at + n);
        this.payloadFilled += n;
        at += n;
        this.position += n;
        if (this.payloadFilled === this.payload.length) {
          const payload = this.payload;
          this.payload = null;
          sink.onRequest(this.flags, this.type, this.cookieHi, this.cookieLo, this.offset, this.length, payload);
        }
        continue;
      }
      let source: Buffer;
      let base: number;
      if (this.headerFilled === 0 && end - at >= REQUEST_HEADER_BYTES) {
        // Fast path: the whole header is in this chunk; read it in place.
        source = chunk;
        base = at;
        at += REQUEST_HEADER_BYTES;
      } else {
        const n = Math.min(REQUEST_HEADER_BYTES - this.headerFilled, end - at);
        chunk.copy(this.header, this.headerFilled, at, at + n);
        this.headerFilled += n;
        at += n;
        if (this.headerFilled < REQUEST_HEADER_BYTES) break;
        this.headerFilled = 0;
        source = this.header;
        base = 0;
      }
      const magic = source.readUInt32BE(base);
      if (magic !== REQUEST_MAGIC) {
        this.dead = true;
        sink.onMalformed(`byte ${this.position}: request magic 0x${magic.toString(16).padStart(8, '0')} is not 0x25609513`);
        return;
      }
      this.position += REQUEST_HEADER_BYTES;
      const flags = source.readUInt16BE(base + 4);
      const type = source.readUInt16BE(base + 6);
      const cookieHi = source.readUInt32BE(base + 8);
      const cookieLo = source.readUInt32BE(base + 12);
      const offset = source.readUInt32BE(base + 16) * 0x100000000 + source.readUInt32BE(base + 20);
      const length = source.readUInt32BE(base + 24);
      if (type !== CMD_WRITE) {
        if (type === CMD_READ && length > this.maxPayload) sink.onOversized(flags, type, cookieHi, cookieLo, offset, length);
        else sink.onRequest(flags, type, cookieHi, cookieLo, offset, length, null);
        continue;
      }
      if (length > this.maxPayload) {
        if (length > this.maxSkip) {
          this.dead = true;
          sink.onMalformed(`byte ${this.position - REQUEST_HEADER_BYTES}: write of ${length} bytes is over twice the ${this.maxPayload}-byte maximum payload; disconnecting rather than discarding it`);
          return;
        }
        this.remember(flags, type, cookieHi, cookieLo, offset, length);
        this.skipRemaining = length;
        continue;
      }
      if (end - at >= length) {
        // The payload arrived whole: hand out a view, no copy.
        const payload = chunk.subarray(at, at + length);
        at += length;
        this.position += length;
        sink.onRequest(flags, type, cookieHi, cookieLo, offset, length, payload);
        continue;
      }
      this.remember(flags, type, cookieHi, cookieLo, offset, length);
      this.payload = Buffer.allocUnsafe(length);
      this.payloadFilled = 0;
    }
  }

  private remember(flags: number, type: number, cookieHi: number, cookieLo: number, offset: number, length: number): void {
    this.flags = flags;
    this.type = type;
    this.cookieHi = cookieHi;
    this.cookieLo = cookieLo;
    this.offset = offset;
    this.length = length;
  }
}
