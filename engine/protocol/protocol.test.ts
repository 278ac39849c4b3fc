import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AUTH_NONCE_BYTES,
  computeAuthMac,
  decodeAll,
  decodeChunk,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  initialDecoderState,
  newAuthNonce,
  SequenceCounter,
  verifyAuthMac,
  implausibleStats,
  readStatsBatch,
  StatsBatchWriter,
  STATS_BOUNDS,
  type ControlMessage,
  type StatsEntry,
} from './index.js';

// Up to 80 units: both sides copy short ASCII strings byte by byte (up to 32 units) and hand
// longer or non-ASCII ones to the UTF-8 codec; both paths must round-trip.
const str = fc.oneof(fc.string({ maxLength: 80, unit: 'binary' }), fc.string({ maxLength: 80 }));
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = fc.uint8Array({ maxLength: 40 });

const statsEntry = fc.record({ host: str, lun: str, iops: num, mbps: num, latencyP50Us: num, latencyP95Us: num, latencyP99Us: num, queueDepth: num });

/** Access lists carry names checked on both sides: no "/", no control characters, each once. */
const accessName = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[/\u0000-\u001f\u007f]/.test(s) && s !== '*');
const accessListsArb = fc.uniqueArray(fc.record({
  lun: accessName,
  hosts: fc.uniqueArray(fc.record({ host: fc.oneof(accessName, fc.constant('*')), mode: fc.constantFrom('rw' as const, 'ro' as const) }), { selector: (g) => g.host, maxLength: 4 }),
}), { selector: (l) => l.lun, maxLength: 4 });

const message: fc.Arbitrary<ControlMessage> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), gatewayId: str, software: str }),
  fc.record({ type: fc.constant('challenge' as const), nonce: bytes }),
  fc.record({ type: fc.constant('auth' as const), mac: bytes }),
  fc.record({ type: fc.constant('authResult' as const), ok: fc.boolean(), reason: str }),
  fc.record({
    type: fc.constant('register' as const),
    gatewayId: str,
    luns: fc.array(fc.record({ lunId: str, sizeBytes: num }), { maxLength: 4 }),
    hosts: fc.array(str, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('registered' as const), pollIntervalMs: u32 }),
  fc.record({ type: fc.constant('redirect' as const), host: str, port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ type: fc.constant('poll' as const), intervalMs: u32 }),
  fc.record({
    type: fc.constant('stats' as const),
    intervalMs: u32,
    entries: fc.array(statsEntry, { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('throttle' as const), host: str, lun: str, iopsLimit: num, mbpsLimit: num }),
  fc.record({ type: fc.constant('throttleAck' as const), ok: fc.boolean(), host: str, lun: str, iopsLimit: num, mbpsLimit: num, reason: str }),
  fc.record({ type: fc.constant('config' as const), settings: fc.array(fc.record({ key: str, value: str }), { maxLength: 4 }) }),
  fc.record({ type: fc.constant('configAck' as const), ok: fc.boolean(), reason: str }),
  fc.record({
    type: fc.constant('alert' as const),
    severity: fc.constantFrom('info' as const, 'warning' as const, 'critical' as const),
    code: str,
    text: str,
    host: str,
    lun: str,
  }),
  fc.record({ type: fc.constant('bye' as const), reason: str }),
  fc.record({ type: fc.constant('error' as const), code: str, text: str }),
  fc.record({ type: fc.constant('access' as const), luns: accessListsArb }),
);
const frameArb = fc.record({ seq: u32, message });

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.length)));
}

/** Decoding is total and canonical: what it accepts re-encodes to exactly the bytes it consumed. */
function checkDecode(input: Uint8Array, maxPayloadBytes = 1 << 20): void {
  const { frames, error } = decodeAll(input, { maxPayloadBytes });
  let expectedOffset = 0;
  for (const f of frames) {
    if (f.offset !== expectedOffset) throw new Error(`frame at ${f.offset}, expected ${expectedOffset}`);
    const again = encodeFrame(f.seq, f.message);
    if (again.length !== f.size || Buffer.compare(again, input.subarray(f.offset, f.offset + f.size)) !== 0) {
      throw new Error(`frame at ${f.offset} does not re-encode to its bytes`);
    }
    expectedOffset += f.size;
  }
  if (error) {
    if (!(error.offset >= expectedOffset && error.offset <= input.length)) throw new Error(`error offset ${error.offset} outside [${expectedOffset}, ${input.length}]`);
    if (error.message.length === 0) throw new Error('empty error message');
  } else if (expectedOffset !== input.length) {
    throw new Error('bytes left over without an error');
  }
}

describe('frame codec', () => {
  it('round-trips every message type with its sequence number', () => {
    fc.assert(
      fc.property(frameArb, ({ seq, message: m }) => {
        const { frames, error } = decodeAll(encodeFrame(seq, m));
        expect(error).toBeNull();
        expect(frames).toHaveLength(1);
        expect(frames[0]!.seq).toBe(seq);
        expect(frames[0]!.message).toEqual(m);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the same frames however the stream is split into chunks', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (list, cutSeeds) => {
        const stream = concat(list.map((f) => encodeFrame(f.seq, f.message)));
        const cuts = [...new Set(cutSeeds.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder();
        const got = [];
        let prev = 0;
        for (const cut of [...cuts, stream.length]) {
          const step = decoder.push(stream.subarray(prev, cut));
          expect(step.error).toBeNull();
          got.push(...step.frames);
          prev = cut;
        }
        expect(decoder.buffered).toBe(0);
        expect(got.map((f) => ({ seq: f.seq, message: f.message }))).toEqual(list);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on random bytes, and names a byte offset inside the input when it refuses', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (input) => checkDecode(input)), { numRuns: 20000 });
    // Random bytes behind a valid header reach the payload decoders too.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 17 }), fc.uint8Array({ maxLength: 120 }), (type, payload) => {
        const header = Buffer.from([0x48, 0x52, 1, type, 0, 0, 0, 7, 0, 0, 0, 0]);
        header.writeUInt32BE(payload.length, 8);
        checkDecode(concat([header, payload]));
      }),
      { numRuns: 50000 },
    );
  });

  it('survives a million mutated valid streams (flips, truncations, insertions, splices)', () => {
    // A seeded generator keeps the run reproducible; fast-check's overhead per case would make a
    // million cases too slow, so the mutations are applied directly to a pool of valid streams.
    const pool = fc.sample(fc.array(frameArb, { minLength: 1, maxLength: 4 }), { numRuns: 400, seed: 42 }).map((list) =>
      concat(list.map((f) => encodeFrame(f.seq, f.message))),
    );
    let state = 0x9e3779b9;
    const rand = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const started = Date.now();
    let cases = 0;
    let refused = 0;
    while (cases < 1_000_000 && Date.now() - started < 55_000) {
      const src = pool[rand(pool.length)]!;
      const buf = Buffer.from(src);
      let input: Uint8Array = buf;
      switch (rand(5)) {
        case 0:
          for (let k = 1 + rand(3); k > 0; k--) buf[rand(buf.length)] = rand(256);
          break;
        case 1:
          buf[rand(buf.length)]! ^= 1 << rand(8);
          break;
        case 2:
          input = buf.subarray(0, rand(buf.length));
          break;
        case 3: {
          const at = rand(buf.length + 1);
          input = concat([buf.subarray(0, at), Buffer.from([rand(256), rand(256)]), buf.subarray(at)]);
          break;
        }
        default: {
          const other = pool[rand(pool.length)]!;
          input = concat([buf.subarray(0, rand(buf.length)), other.subarray(rand(other.length))]);
        }
      }
      if (decodeAll(input).error) refused++;
      checkDecode(input);
      cases++;
    }
    expect(cases).toBe(1_000_000);
    expect(refused).toBeGreaterThan(0);
  });

  it('refuses an oversize frame from its header, before any payload is buffered', () => {
    const header = Buffer.from([0x48, 0x52, 1, 9, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff]);
    const decoder = new FrameDecoder({ maxPayloadBytes: 4096 });
    const step = decoder.push(header);
    expect(step.error?.offset).toBe(8);
    expect(step.error?.message).toMatch(/exceeds the limit of 4096/);
    expect(decoder.buffered).toBe(0);
    // The decoder stays failed: later bytes are not interpreted.
    expect(decoder.push(encodeFrame(1, { type: 'bye', reason: '' })).frames).toHaveLength(0);
  });

  it('names the offset of garbage that follows good frames', () => {
    const good = encodeFrame(5, { type: 'poll', intervalMs: 1000 });
    const stream = concat([good, good, Buffer.from('GET / HTTP/1.1\r\n')]);
    const { frames, error } = decodeAll(stream);
    expect(frames.map((f) => f.seq)).toEqual([5, 5]);
    expect(error?.offset).toBe(2 * good.length);
    expect(error?.message).toMatch(/bad magic/);
  });

  it('refuses garbage at once, without waiting for a whole header', () => {
    const step = decodeChunk(initialDecoderState, Buffer.from([0x48, 0x00]));
    expect(step.error?.offset).toBe(1);
  });

  it('refuses a payload with trailing bytes and names the offset', () => {
    const poll = encodeFrame(1, { type: 'poll', intervalMs: 1000 });
    const bad = Buffer.from(concat([poll, Buffer.from([0])]));
    bad.writeUInt32BE(5, 8);
    const { error } = decodeAll(bad);
    expect(error?.offset).toBe(FRAME_HEADER_BYTES + 4);
    expect(error?.message).toMatch(/trailing/);
  });
});

describe('challenge authentication', () => {
  it('accepts the right secret and refuses a wrong secret, another gateway id or another nonce', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.string(), fc.string(), (secret, other, id, otherId) => {
        const nonce = newAuthNonce();
        const mac = computeAuthMac(secret, nonce, id);
        expect(verifyAuthMac(secret, nonce, id, mac)).toBe(true);
        if (other !== secret) expect(verifyAuthMac(other, nonce, id, mac)).toBe(false);
        if (otherId !== id) expect(verifyAuthMac(secret, nonce, otherId, mac)).toBe(false);
        expect(verifyAuthMac(secret, newAuthNonce(), id, mac)).toBe(false);
        expect(verifyAuthMac(secret, nonce, id, mac.subarray(0, 31))).toBe(false);
      }),
      { numRuns: 300 },
    );
    expect(newAuthNonce()).toHaveLength(AUTH_NONCE_BYTES);
  });
});

describe('sequence numbers', () => {
  it('never hands out 0 and wraps after 2^32-1', () => {
    const counter = new SequenceCounter();
    expect(counter.next()).toBe(1);
    (counter as unknown as { last: number }).last = 0xffffffff;
    expect(counter.next()).toBe(1);
  });
});

describe('plausibility of statistics', () => {
  const within = (max: number) => fc.double({ min: 0, max, noNaN: true });
  const entry = fc.record({ iops: within(STATS_BOUNDS.iops), mbps: within(STATS_BOUNDS.mbps), queueDepth: within(STATS_BOUNDS.queueDepth),
    latencies: fc.array(within(STATS_BOUNDS.latencyUs), { minLength: 3, maxLength: 3 }) });
  const replies = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ minLength: 1, maxLength: 8 }), entry), { maxLength: 12, selector: ([h, l]) => `${h}\u0000${l}` })
    .map((list) => list.map(([host, lun, e]): StatsEntry => {
      const [p50, p95, p99] = [...e.latencies].sort((a, b) => a - b) as [number, number, number];
      return { host, lun, iops: e.iops, mbps: e.mbps, queueDepth: e.queueDepth, latencyP50Us: p50, latencyP95Us: p95, latencyP99Us: p99 };
    }));

  it('accepts every reply a real gateway could send', () => {
    fc.assert(fc.property(replies, (entries) => implausibleStats(entries) === null), { numRuns: 2000 });
  });

  it('refuses one impossible figure anywhere, naming the entry and the field', () => {
    const field = fc.constantFrom('iops', 'mbps', 'latencyP50Us', 'latencyP95Us', 'latencyP99Us', 'queueDepth');
    const impossible = fc.oneof(fc.double({ max: -Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }), fc.constant(1e12), fc.constant(1e300));
    fc.assert(fc.property(replies.filter((r) => r.length > 0), fc.nat(), field, impossible, (entries, at, name, value) => {
      const i = at % entries.length;
      const lying = entries.map((e, j) => (j === i ? { ...e, [name]: value } : e));
      const why = implausibleStats(lying);
      return why !== null && why.startsWith(`entries[${i}]`);
    }), { numRuns: 2000 });
  });

  it('refuses percentiles out of order and a host/LUN pair reported twice', () => {
    const e: StatsEntry = { host: 'h', lun: 'l', iops: 10, mbps: 1, latencyP50Us: 500, latencyP95Us: 400, latencyP99Us: 900, queueDepth: 1 };
    expect(implausibleStats([e])).toMatch(/entries\[0\] \(host h, LUN l\) has its latency percentiles out of order/);
    const ok = { ...e, latencyP95Us: 600 };
    expect(implausibleStats([ok, { ...ok, iops: 3 }])).toMatch(/entries\[1\] reports host h on LUN l a second time/);
  });
});

describe('stats batches between a shard and the core', () => {
  const replies = fc.array(fc.record({ gatewayId: str, cycle: u32, intervalMs: u32, entries: fc.array(statsEntry, { maxLength: 6 }) }), { maxLength: 40 });

  it('carries every reply, in order, through one buffer of its own', () => {
    fc.assert(fc.property(replies, (list) => {
      const writer = new StatsBatchWriter();
      for (const r of list) writer.add(r.gatewayId, r.cycle, r.intervalMs, r.entries);
      const batch = writer.take();
      if (list.length === 0) return batch === null;
      // The payload owns its whole ArrayBuffer, so transferring it hands over nothing else.
      expect(batch!.payload.byteOffset).toBe(0);
      expect(batch!.payload.buffer.byteLength).toBe(batch!.payload.length);
      const back: typeof list = [];
      readStatsBatch(batch!, (gatewayId, cycle, entries, intervalMs) => back.push({ gatewayId, cycle, intervalMs, entries }));
      expect(back).toEqual(list);
      return writer.take() === null;
    }), { numRuns: 500 });
  });

  it('refuses a batch whose bounds or bytes were damaged with the reply and gateway named, and nothing else', () => {
    fc.assert(fc.property(replies.filter((l) => l.length > 0), fc.nat(), fc.integer({ min: -64, max: 64 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (list, at, shift, byteAt, value) => {
      const writer = new StatsBatchWriter();
      for (const r of list) writer.add(r.gatewayId, r.cycle, r.intervalMs, r.entries);
      const batch = writer.take()!;
      const ends = [...batch.ends];
      ends[at % ends.length] = ends[at % ends.length]! + shift;
      const payload = batch.payload.slice();
      if (payload.length > 0) payload[byteAt % payload.length] = value;
      try {
        readStatsBatch({ ...batch, ends, payload }, () => {});
      } catch (err) {
        expect((err as Error).message).toMatch(/^stats batch reply \d+ \(gateway /);
      }
    }), { numRuns: 2000 });
  });
});
