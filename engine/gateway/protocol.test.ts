import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeSession, RequestParser, type ExportCatalog, type ExportDescription, type RequestSink } from './index.js';
import { goData, optionHeader } from './raw-client.js';

const exportsList: ExportDescription[] = [
  { name: 'lun0', description: 'first', size: 1 << 20, transmissionFlags: 1 | 4 },
  { name: 'big', description: '', size: 5 * 2 ** 40, transmissionFlags: 1 | 2 },
];
const catalog: ExportCatalog = {
  find: (n) => exportsList.find((e) => e.name === (n.includes('/') ? n.slice(n.indexOf('/') + 1) : n) || (n === '' && e === exportsList[0])),
  list: () => exportsList,
};

function option(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([optionHeader(code, data.length), data]);
}

interface OptionReply { option: number; type: number; data: Buffer }

function parseReplies(bytes: Buffer): OptionReply[] {
  const out: OptionReply[] = [];
  let at = 0;
  while (at + 20 <= bytes.length) {
    expect(bytes.readUInt32BE(at)).toBe(0x3e889);
    expect(bytes.readUInt32BE(at + 4)).toBe(0x045565a9);
    const length = bytes.readUInt32BE(at + 16);
    out.push({ option: bytes.readUInt32BE(at + 8), type: bytes.readUInt32BE(at + 12), data: bytes.subarray(at + 20, at + 20 + length) });
    at += 20 + length;
  }
  expect(at).toBe(bytes.length);
  return out;
}

/** Feed `input` in the given chunk sizes; collect everything the server says. */
function drive(input: Buffer, cuts: number[] = []) {
  const session = new HandshakeSession(catalog, { maxPayload: 32 << 20 });
  const output: Buffer[] = [];
  let step = session.feed(Buffer.alloc(0)).step;
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < input.length).sort((a, b) => a - b), input.length]) {
    if (step.kind !== 'negotiating') break;
    const r = session.feed(input.subarray(at, cut));
    output.push(...r.output);
    step = r.step;
    at = cut;
  }
  return { output: Buffer.concat(output), step };
}

const flags = Buffer.from([0, 0, 0, 3]);

describe('NBD handshake', () => {
  it('greets with NBDMAGIC, IHAVEOPT and fixed-newstyle + no-zeroes flags', () => {
    const g = new HandshakeSession(catalog, { maxPayload: 1024 }).greeting();
    expect(g.toString('latin1', 0, 16)).toBe('NBDMAGICIHAVEOPT');
    expect(g.readUInt16BE(16)).toBe(3);
  });

  it('lists exports, answers unknown options with ERR_UNSUP and goes on, then enters transmission on GO', () => {
    const input = Buffer.concat([flags, option(3), option(42, Buffer.from('xyz')), option(11), option(6, goData('nope')), option(7, goData('host1/big', [1])), Buffer.from('after')]);
    const { output, step } = drive(input);
    const replies = parseReplies(output);
    expect(replies.map((r) => [r.option, r.type >>> 0])).toEqual([
      [3, 2], [3, 2], [3, 1],
      [42, 0x80000001], [11, 0x80000001],
      [6, 0x80000006],
      [7, 3], [7, 3], [7, 3], [7, 1],
    ]);
    expect(replies[0]!.data.readUInt32BE(0)).toBe(4);
    expect(replies[0]!.data.toString('utf8', 4, 8)).toBe('lun0');
    const exportInfo = replies[6]!.data;
    expect(exportInfo.readUInt16BE(0)).toBe(0);
    expect(exportInfo.readUInt32BE(2) * 2 ** 32 + exportInfo.readUInt32BE(6)).toBe(5 * 2 ** 40);
    expect(exportInfo.readUInt16BE(10)).toBe(3);
    expect(step.kind).toBe('transmission');
    if (step.kind === 'transmission') {
      expect(step.requestedName).toBe('host1/big');
      expect(step.leftover.toString()).toBe('after');
    }
  });

  it('answers EXPORT_NAME with size, flags and (without NO_ZEROES) 124 zero bytes', () => {
    const { output, step } = drive(Buffer.concat([Buffer.from([0, 0, 0, 1]), option(1, Buffer.from('lun0'))]));
    expect(output.length).toBe(134);
    expect(output.readUInt32BE(4)).toBe(1 << 20);
    expect(output.readUInt16BE(8)).toBe(5);
    expect(step.kind).toBe('transmission');
  });

  it('closes on an unknown export name, an unknown client flag, a bad magic; acks ABORT', () => {
    expect(drive(Buffer.concat([flags, option(1, Buffer.from('missing'))])).step.kind).toBe('closed');
    expect(drive(Buffer.from([0, 0, 0, 8])).step).toMatchObject({ kind: 'closed', reason: expect.stringContaining('byte 0') });
    expect(drive(Buffer.concat([flags, Buffer.from('NOTMAGIC'), Buffer.alloc(8)])).step).toMatchObject({ kind: 'closed', reason: expect.stringContaining('byte 4') });
    const abort = drive(Buffer.concat([flags, option(2)]));
    expect(abort.step).toMatchObject({ kind: 'closed', graceful: true });
    expect(parseReplies(abort.output)[0]!.type).toBe(1);
  });

  it('answers STARTTLS by its mode, refuses options before TLS under require, and disconnects on an option too long to skip', () => {
    const session = (tls: 'off' | 'on' | 'require') => new HandshakeSession(catalog, { maxPayload: 1 << 20, tls, maxOptionBytes: 1024, maxDiscardBytes: 4096 });
    const off = session('off').feed(Buffer.concat([flags, option(5)]));
    expect(parseReplies(Buffer.concat(off.output)).map((r) => r.type >>> 0)).toEqual([0x80000001]);
    const required = session('require');
    const before = required.feed(Buffer.concat([flags, option(3), option(7, goData('lun0')), option(5)]));
    expect(parseReplies(Buffer.concat(before.output)).map((r) => r.type >>> 0)).toEqual([0x80000005, 0x80000005, 1]);
    expect(before.step.kind).toBe('starttls');
    required.tlsStarted();
    const after = required.feed(Buffer.concat([option(5), option(7, goData('lun0'))]));
    expect(parseReplies(Buffer.concat(after.output)).map((r) => r.type >>> 0)).toEqual([0x80000003, 3, 3, 1]);
    expect(after.step.kind).toBe('transmission');
    // Bytes after STARTTLS, before its reply, are not TLS: the session ends.
    expect(session('on').feed(Buffer.concat([flags, option(5), Buffer.from('early')])).step.kind).toBe('closed');
    expect(session('require').feed(Buffer.concat([flags, option(1, Buffer.from('lun0'))])).step.kind).toBe('closed');
    // 2 KiB: over maxOptionBytes, skipped with TOO_BIG; 8 KiB: over maxDiscardBytes, closed at once.
    const skipped = session('off').feed(Buffer.concat([flags, option(99, Buffer.alloc(2048))]));
    expect(parseReplies(Buffer.concat(skipped.output)).map((r) => r.type >>> 0)).toEqual([0x80000009]);
    const head = option(99);
    head.writeUInt32BE(8192, 12);
    expect(session('off').feed(Buffer.concat([flags, head])).step).toMatchObject({ kind: 'closed', reason: expect.stringContaining('8192 bytes is over the 4096-byte limit') });
  });

  it('rejects malformed INFO/GO data with ERR_INVALID and keeps negotiating', () => {
    const bad = goData('lun0');
    bad.writeUInt32BE(400, 0); // name length past the data
    const { output, step } = drive(Buffer.concat([flags, option(7, bad), option(7, Buffer.alloc(2)), option(3, Buffer.from('x'))]));
    expect(parseReplies(output).map((r) => r.type >>> 0)).toEqual([0x80000003, 0x80000003, 0x80000003]);
    expect(step.kind).toBe('negotiating');
  });

  it('says the same thing however the bytes are split (property)', () => {
    const input = Buffer.concat([flags, option(3), option(99, Buffer.alloc(10)), option(6, goData('lun0', [3])), option(7, goData('lun0'))]);
    const whole = drive(input);
    fc.assert(fc.property(fc.array(fc.nat({ max: input.length }), { maxLength: 12 }), (cuts) => {
      const split = drive(input, cuts);
      expect(split.output.equals(whole.output)).toBe(true);
      expect(split.step.kind).toBe(whole.step.kind);
    }), { numRuns: 300 });
  });

  it('never throws on random or mutated input and never answers after closing (fuzz)', () => {
    const valid = Buffer.concat([flags, option(3), option(6, goData('lun0', [0, 1, 2, 3])), option(7, goData('lun0'))]);
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.array(fc.nat({ max: valid.length }), { maxLength: 5 }))
      .map(([edits, cuts]) => {
        const b = Buffer.from(valid);
        for (const [i, v] of edits) b[i] = v;
        return { bytes: b, cuts };
      });
    const random = fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat({ max: 300 }), { maxLength: 5 })).map(([u, cuts]) => ({ bytes: Buffer.from(u), cuts }));
    fc.assert(fc.property(fc.oneof(mutated, random), ({ bytes, cuts }) => {
      const { output, step } = drive(bytes, cuts);
      expect(['negotiating', 'transmission', 'closed']).toContain(step.kind);
      // Whatever was said before the end is well-formed option replies (or an EXPORT_NAME answer).
      if (step.kind !== 'transmission') parseReplies(output);
    }), { numRuns: 2000 });
  });
});

interface Seen { kind: 'request' | 'oversized'; type: number; flags: number; cookie: string; offset: number; length: number; payload?: string }

class Collect implements RequestSink {
  seen: Seen[] = [];
  malformed: string | null = null;
  onRequest(flags: number, type: number, hi: number, lo: number, offset: number, length: number, payload: Buffer | null): void {
    this.seen.push({ kind: 'request', type, flags, cookie: `${hi}:${lo}`, offset, length, ...(payload ? { payload: payload.toString('hex') } : {}) });
  }
  onOversized(flags: number, type: number, hi: number, lo: number, offset: number, length: number): void {
    this.seen.push({ kind: 'oversized', type, flags, cookie: `${hi}:${lo}`, offset, length });
  }
  onMalformed(reason: string): void {
    this.malformed = reason;
  }
}

const MAX = 4096;
const requestArb = fc.record({
  type: fc.constantFrom(0, 1, 2, 3, 4, 6, 7, 200),
  flags: fc.integer({ min: 0, max: 0xffff }),
  hi: fc.nat({ max: 0xffffffff }),
  lo: fc.nat({ max: 0xffffffff }),
  offset: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  length: fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: MAX + 1, max: 2 * MAX })),
  seed: fc.integer({ min: 0, max: 255 }),
});

function encode(r: { type: number; flags: number; hi: number; lo: number; offset: number; length: number; seed: number }): { bytes: Buffer; expected: Seen } {
  const h = Buffer.alloc(28);
  h.writeUInt32BE(0x25609513, 0);
  h.writeUInt16BE(r.flags, 4);
  h.writeUInt16BE(r.type, 6);
  h.writeUInt32BE(r.hi, 8);
  h.writeUInt32BE(r.lo, 12);
  h.writeUInt32BE(Math.floor(r.offset / 2 ** 32), 16);
  h.writeUInt32BE(r.offset >>> 0, 20);
  h.writeUInt32BE(r.length, 24);
  const isWrite = r.type === 1;
  const payload = isWrite ? Buffer.alloc(r.length, r.seed) : Buffer.alloc(0);
  const over = (r.type === 0 || isWrite) && r.length > MAX;
  const base = { type: r.type, flags: r.flags, cookie: `${r.hi}:${r.lo}`, offset: r.offset, length: r.length };
  const expected: Seen = over ? { kind: 'oversized', ...base } : { kind: 'request', ...base, ...(isWrite ? { payload: payload.toString('hex') } : {}) };
  return { bytes: Buffer.concat([h, payload]), expected };
}

function feedSplit(parser: RequestParser, sink: RequestSink, bytes: Buffer, cuts: number[]): void {
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    parser.feed(bytes.subarray(at, cut), sink);
    at = cut;
  }
}

describe('NBD request framing', () => {
  it('yields every request, with its payload, however the stream is split (property)', () => {
    fc.assert(fc.property(fc.array(requestArb, { maxLength: 12 }), fc.array(fc.nat({ max: 200_000 }), { maxLength: 20 }), (requests, cuts) => {
      const encoded = requests.map(encode);
      const stream = Buffer.concat(encoded.map((e) => e.bytes));
      const sink = new Collect();
      const parser = new RequestParser(MAX);
      feedSplit(parser, sink, stream, cuts.map((c) => c % (stream.length + 1)));
      expect(sink.malformed).toBeNull();
      expect(sink.seen).toEqual(encoded.map((e) => e.expected));
      expect(parser.idle).toBe(true);
    }), { numRuns: 400 });
  });

  it('skips an oversized write up to twice the maximum payload, and declares a longer one malformed at once without waiting for its data', () => {
    const header = (length: number): Buffer => encode({ type: 1, flags: 0, hi: 0, lo: 3, offset: 0, length: 0, seed: 0 }).bytes.fill(0, 24).subarray(0, 24);
    const withLength = (length: number): Buffer => { const h = Buffer.alloc(28); header(length).copy(h); h.writeUInt32BE(length, 24); return h; };
    const skipped = new Collect();
    const p1 = new RequestParser(MAX);
    p1.feed(Buffer.concat([withLength(2 * MAX), Buffer.alloc(2 * MAX)]), skipped);
    expect(skipped.seen.map((x) => x.kind)).toEqual(['oversized']);
    expect(skipped.malformed).toBeNull();
    const refused = new Collect();
    const p2 = new RequestParser(MAX);
    p2.feed(withLength(0xffffffff), refused);
    expect(refused.seen).toEqual([]);
    expect(refused.malformed).toMatch(/^byte 0: write of 4294967295 bytes is over twice the 4096-byte maximum payload; disconnecting/);
    expect(p2.malformed).toBe(true);
  });

  it('stops at the first bad magic, naming its byte offset, and never throws on mutated or random streams (fuzz)', () => {
    const good = encode({ type: 1, flags: 0, hi: 0, lo: 1, offset: 0, length: 8, seed: 7 }).bytes;
    const sink = new Collect();
    const p = new RequestParser(MAX);
    p.feed(Buffer.concat([good, Buffer.from('garbage-garbage-garbage-garbage')]), sink);
    expect(sink.seen.length).toBe(1);
    expect(sink.malformed).toContain(`byte ${good.length}`);
    expect(p.malformed).toBe(true);

    fc.assert(fc.property(
      fc.array(requestArb, { minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.array(fc.nat({ max: 50_000 }), { maxLength: 8 }),
      (requests, edits, tail, cuts) => {
        const stream = Buffer.concat([...requests.map((r) => encode(r).bytes), Buffer.from(tail)]);
        for (const [i, v] of edits) stream[i % stream.length] = v;
        const sink = new Collect();
        const parser = new RequestParser(MAX);
        feedSplit(parser, sink, stream, cuts);
        // Nothing is reported after the stream was declared malformed.
        if (sink.malformed !== null) expect(parser.malformed).toBe(true);
        expect(sink.seen.length).toBeLessThanOrEqual(requests.length + Math.ceil(tail.length / 28));
      },
    ), { numRuns: 1000 });
  });
});
