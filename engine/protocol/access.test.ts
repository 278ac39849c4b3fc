import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ACCESS_MAX_GRANTS, ACCESS_MAX_HOSTS_PER_LUN, ACCESS_MAX_LUNS, decodeAll, encodeFrame, FRAME_HEADER_BYTES, type AccessListWire } from './index.js';

/** An access frame around a hand-built payload, as a hostile or broken peer could send it. */
function frame(payload: Buffer): Buffer {
  const header = Buffer.from([0x48, 0x52, 1, 17, 0, 0, 0, 3, 0, 0, 0, 0]);
  header.writeUInt32BE(payload.length, 8);
  return Buffer.concat([header, payload]);
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };

describe('the access control message', () => {
  it('round-trips lists with modes, including prototype names', () => {
    const luns: AccessListWire[] = [
      { lun: 'lun0', hosts: [{ host: 'gold', mode: 'rw' }, { host: 'bronze', mode: 'ro' }] },
      { lun: '__proto__', hosts: [{ host: 'constructor', mode: 'ro' }, { host: '*', mode: 'rw' }] },
      { lun: 'closed', hosts: [] },
    ];
    const { frames, error } = decodeAll(encodeFrame(9, { type: 'access', luns }));
    expect(error).toBeNull();
    expect(frames[0]!.message).toEqual({ type: 'access', luns });
  });

  it('refuses, naming the byte offset, a bad mode, a duplicate, a slash, a control character and a count beyond its bound', () => {
    const at = (payload: Buffer): { offset: number; message: string } => {
      const { error } = decodeAll(frame(payload));
      expect(error).not.toBeNull();
      return { offset: error!.offset, message: error!.message };
    };
    const badMode = at(Buffer.concat([u16(1), str('lun0'), u16(1), str('a'), Buffer.from([2])]));
    expect(badMode).toEqual({ offset: FRAME_HEADER_BYTES + 2 + 6 + 2 + 3, message: expect.stringContaining('mode 2 is not 0 (rw) or 1 (ro)') });
    const twice = at(Buffer.concat([u16(1), str('lun0'), u16(2), str('a'), Buffer.from([0]), str('a'), Buffer.from([1])]));
    expect(twice.offset).toBe(FRAME_HEADER_BYTES + 2 + 6 + 2 + 4);
    expect(twice.message).toContain('host "a" listed twice');
    expect(at(Buffer.concat([u16(2), str('lun0'), u16(0), str('lun0'), u16(0)])).message).toContain('LUN "lun0" listed twice');
    expect(at(Buffer.concat([u16(1), str('gold/lun0'), u16(0)])).message).toContain('contains "/"');
    expect(at(Buffer.concat([u16(1), str('lun0'), u16(1), str('a\nb'), Buffer.from([0])])).message).toContain('control character');
    expect(at(Buffer.concat([u16(1), str(''), u16(0), Buffer.from([0])])).message).toContain('empty LUN name');
    // Counts are checked against the bounds and against the bytes actually there, before any allocation.
    const tooMany = Buffer.concat([u16(ACCESS_MAX_LUNS + 1), Buffer.concat(Array.from({ length: ACCESS_MAX_LUNS + 1 }, (_, i) => Buffer.concat([str(`l${i}`), u16(0)])))]);
    expect(at(tooMany)).toEqual({ offset: FRAME_HEADER_BYTES, message: expect.stringContaining(`at most ${ACCESS_MAX_LUNS}`) });
    expect(at(Buffer.concat([u16(0xffff)])).message).toContain('cannot fit');
    const hosts = Array.from({ length: ACCESS_MAX_HOSTS_PER_LUN + 1 }, (_, i) => Buffer.concat([str(`h${i}`), Buffer.from([0])]));
    expect(at(Buffer.concat([u16(1), str('lun0'), u16(hosts.length), ...hosts])).message).toContain(`at most ${ACCESS_MAX_HOSTS_PER_LUN}`);
    const perLun = Array.from({ length: 1000 }, (_, i) => Buffer.concat([str(`h${i}`), Buffer.from([1])]));
    const lists = Array.from({ length: 9 }, (_, i) => Buffer.concat([str(`lun${i}`), u16(1000), ...perLun]));
    expect(at(Buffer.concat([u16(9), ...lists])).message).toContain(`more than ${ACCESS_MAX_GRANTS} hosts`);
  });

  it('the sender refuses what the wire must not carry, with a RangeError rather than a bad frame', () => {
    expect(() => encodeFrame(1, { type: 'access', luns: [{ lun: 'a/b', hosts: [] }] })).toThrow(RangeError);
    expect(() => encodeFrame(1, { type: 'access', luns: [{ lun: 'a', hosts: [{ host: 'x', mode: 'rw' }, { host: 'x', mode: 'ro' }] }] })).toThrow(/twice/);
  });

  it('fuzz: random and mutated payloads never throw; each is decoded whole or refused at an offset inside it', () => {
    const valid = encodeFrame(3, { type: 'access', luns: [{ lun: 'lun0', hosts: [{ host: 'gold', mode: 'rw' }, { host: 'bronze', mode: 'ro' }] }, { lun: 'lun1', hosts: [] }] });
    const check = (input: Buffer): void => {
      const { frames, error } = decodeAll(input);
      if (error) {
        expect(error.offset).toBeGreaterThanOrEqual(0);
        expect(error.offset).toBeLessThanOrEqual(input.length);
        expect(error.message.length).toBeGreaterThan(0);
      } else {
        expect(frames).toHaveLength(1);
        const m = frames[0]!.message;
        if (m.type !== 'access') throw new Error(`decoded ${m.type}`);
        // Whatever was accepted holds only sound names, each once, and re-encodes to the same bytes.
        expect(encodeFrame(3, m).equals(input)).toBe(true);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 160 }), (payload) => check(frame(Buffer.from(payload)))), { numRuns: 10000 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(), (flips, cut) => {
      const b = Buffer.from(valid);
      for (const [where, value] of flips) b[FRAME_HEADER_BYTES + (where % (b.length - FRAME_HEADER_BYTES))] = value;
      check(b);
      const truncated = Buffer.from(b.subarray(0, FRAME_HEADER_BYTES + (cut % (b.length - FRAME_HEADER_BYTES))));
      truncated.writeUInt32BE(truncated.length - FRAME_HEADER_BYTES, 8);
      check(truncated);
    }), { numRuns: 10000 });
  });
});
