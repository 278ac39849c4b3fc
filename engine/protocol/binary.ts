/**
 * Bounds-checked binary writer and reader for frame payloads. The reader never throws:
 * it records the first problem with the absolute stream offset so the decoder can stay total.
 */

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Strings up to this many units take the byte-by-byte path both ways. */
const SHORT_STRING = 32;

export class PayloadWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(value: number): this {
    if (!(value >= 0 && value <= 0xff)) throw new RangeError(`${value} does not fit in a byte`);
    this.ensure(1);
    this.buf[this.pos++] = value;
    return this;
  }

  u16(value: number): this {
    if (!(value >= 0 && value <= 0xffff)) throw new RangeError(`${value} does not fit in 16 bits`);
    this.ensure(2);
    const b = this.buf;
    b[this.pos] = value >>> 8;
    b[this.pos + 1] = value;
    this.pos += 2;
    return this;
  }

  u32(value: number): this {
    if (!(value >= 0 && value <= 0xffffffff)) throw new RangeError(`${value} does not fit in 32 bits`);
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = value >>> 24;
    b[p + 1] = value >>> 16;
    b[p + 2] = value >>> 8;
    b[p + 3] = value;
    this.pos += 4;
    return this;
  }

  f64(value: number): this {
    if (!Number.isFinite(value)) throw new RangeError(`cannot encode ${value}: numbers on the wire are finite`);
    this.ensure(8);
    this.buf.writeDoubleBE(value, this.pos);
    this.pos += 8;
    return this;
  }

  str(value: string): this {
    // Worst case 3 bytes per UTF-16 unit; write in place and patch the length.
    this.ensure(2 + value.length * 3);
    const b = this.buf;
    const at = this.pos + 2;
    // Ids, host and LUN names are short and ASCII: copying them byte by byte costs half of
    // crossing into Buffer.write; anything else takes the UTF-8 encoder.
    if (value.length <= SHORT_STRING) {
      let i = 0;
      for (; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c > 0x7f) break;
        b[at + i] = c;
      }
      if (i === value.length) {
        b[this.pos] = i >>> 8;
        b[this.pos + 1] = i;
        this.pos = at + i;
        return this;
      }
    }
    const n = b.write(value, at, 'utf8');
    if (n > 0xffff) throw new RangeError(`string of ${n} bytes is longer than 65535`);
    b.writeUInt16BE(n, this.pos);
    this.pos += 2 + n;
    return this;
  }

  bytes(value: Uint8Array): this {
    if (value.length > 0xffff) throw new RangeError(`byte string of ${value.length} bytes is longer than 65535`);
    this.u16(value.length);
    return this.raw(value);
  }

  count(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`list of ${n} items is longer than 65535`);
    return this.u16(n);
  }

  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view, valid until the next write). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** The underlying buffer, for patching a header in place. */
  get buffer(): Buffer {
    return this.buf;
  }

  reset(): void {
    this.pos = 0;
  }
}

export class PayloadReader {
  private pos: number;
  private end: number;
  private readonly view: DataView;
  private readonly bytesView: Buffer;
  /** The first problem found, with the absolute stream offset of the offending byte. */
  problem: { offset: number; message: string } | null = null;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    end: number,
    private readonly streamBase: number,
  ) {
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.bytesView = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** The next payload in the same buffer: one reader serves every frame of a chunk. */
  reset(start: number, end: number): void {
    this.pos = start;
    this.end = end;
    this.problem = null;
  }

  get offset(): number {
    return this.streamBase + this.pos;
  }

  /** Position inside the buffer, for `fail(message, at)`. */
  get position(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string, at = this.pos): void {
    if (!this.problem) this.problem = { offset: this.streamBase + at, message };
  }

  private need(n: number, what: string): boolean {
    if (this.problem) return false;
    if (this.end - this.pos < n) {
      this.fail(`${what} needs ${n} bytes but the payload has ${this.end - this.pos} left`);
      return false;
    }
    return true;
  }

  u8(what: string): number {
    if (!this.need(1, what)) return 0;
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    if (!this.need(2, what)) return 0;
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    if (!this.need(4, what)) return 0;
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) >>> 0) + (b[p + 1]! << 16) + (b[p + 2]! << 8) + b[p + 3]!;
  }

  f64(what: string): number {
    if (!this.need(8, what)) return 0;
    const at = this.pos;
    this.pos += 8;
    const v = this.view.getFloat64(at, false);
    if (!Number.isFinite(v)) {
      this.fail(`${what} is not a finite number`, at);
      return 0;
    }
    return v;
  }

  bool(what: string): boolean {
    const at = this.pos;
    const v = this.u8(what);
    if (v > 1) this.fail(`${what} must be 0 or 1, got ${v}`, at);
    return v === 1;
  }

  str(what: string): string {
    const len = this.u16(`length of ${what}`);
    if (!this.need(len, what)) return '';
    const at = this.pos;
    this.pos += len;
    if (len === 0) return '';
    const b = this.buf;
    if (len <= SHORT_STRING) {
      // Short ASCII (ids, host and LUN names): building the string here beats a call into Buffer.
      let text = '';
      let i = at;
      for (; i < at + len; i++) {
        const c = b[i]!;
        if (c > 0x7f) break;
        text += String.fromCharCode(c);
      }
      if (i === at + len) return text;
    }
    let ascii = true;
    for (let i = at; i < at + len; i++) {
      if (this.buf[i]! > 0x7f) { ascii = false; break; }
    }
    if (ascii) return this.bytesView.toString('latin1', at, at + len);
    try {
      return strictUtf8.decode(this.buf.subarray(at, at + len));
    } catch {
      this.fail(`${what} is not valid UTF-8`, at);
      return '';
    }
  }

  bytes(what: string): Uint8Array {
    const len = this.u16(`length of ${what}`);
    if (!this.need(len, what)) return new Uint8Array(0);
    const out = new Uint8Array(len);
    out.set(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  /** A list length, refused at once when even minimal items could not fit in what is left. */
  count(what: string, minItemBytes: number): number {
    const at = this.pos;
    const n = this.u16(`count of ${what}`);
    if (this.problem) return 0;
    if (n * minItemBytes > this.end - this.pos) {
      this.fail(`${n} ${what} cannot fit in the ${this.end - this.pos} bytes left`, at);
      return 0;
    }
    return n;
  }

  done(): void {
    if (!this.problem && this.pos !== this.end) this.fail(`${this.end - this.pos} unexpected trailing bytes`);
  }
}
