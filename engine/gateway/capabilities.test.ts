import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HandshakeSession, type ExportCatalog, type ExportDescription, type HandshakeStep } from './handshake.js';
import { advertisedBlockSize, commandFlagsErrno, exportTransmissionFlags, validBlockSize } from './export-capabilities.js';
import { matchMetaContexts, parseMetaContextRequest } from './meta-context.js';
import { checkUpstreamExtents } from './block-status.js';
import {
  CMD_BLOCK_STATUS, CMD_CACHE, CMD_FLAG_DF, CMD_FLAG_FAST_ZERO, CMD_FLAG_FUA, CMD_FLAG_NO_HOLE, CMD_FLAG_REQ_ONE,
  CMD_FLUSH, CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES, EINVAL, EPERM, FLAG_CAN_MULTI_CONN, FLAG_HAS_FLAGS,
  FLAG_READ_ONLY, FLAG_SEND_CACHE, FLAG_SEND_DF, FLAG_SEND_FAST_ZERO, FLAG_SEND_FLUSH, FLAG_SEND_FUA, FLAG_SEND_TRIM,
  FLAG_SEND_WRITE_ZEROES, INFO_BLOCK_SIZE, INFO_EXPORT, OPT_GO, OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT,
  OPT_STRUCTURED_REPLY, REP_ACK, REP_ERR_INVALID, REP_INFO, REP_META_CONTEXT,
} from './nbd-constants.js';

const ALL_WRITE_FLAGS = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES |
  FLAG_SEND_FAST_ZERO | FLAG_CAN_MULTI_CONN | FLAG_SEND_CACHE;

const exportsList: ExportDescription[] = [
  { name: 'lun0', description: '', size: 1 << 20, transmissionFlags: ALL_WRITE_FLAGS, blockSize: { minimum: 512, preferred: 4096, maximum: 0xffffffff } },
  { name: 'lun1', description: '', size: 1 << 20, transmissionFlags: FLAG_HAS_FLAGS },
];
const catalog: ExportCatalog = { find: (n) => exportsList.find((e) => e.name === n), list: () => exportsList };

/** One client option: IHAVEOPT, code, length, data. */
function clientOption(code: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(16);
  head.write('IHAVEOPT', 0, 'latin1');
  head.writeUInt32BE(code, 8);
  head.writeUInt32BE(data.length, 12);
  return Buffer.concat([head, data]);
}

function metaRequest(exportName: string, queries: string[]): Buffer {
  const parts = [Buffer.alloc(4), Buffer.from(exportName), Buffer.alloc(4)];
  parts[0]!.writeUInt32BE(Buffer.byteLength(exportName));
  parts[2]!.writeUInt32BE(queries.length);
  for (const q of queries) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(Buffer.byteLength(q));
    parts.push(len, Buffer.from(q));
  }
  return Buffer.concat(parts);
}

function go(exportName: string): Buffer {
  const b = Buffer.alloc(4 + exportName.length + 2);
  b.writeUInt32BE(exportName.length);
  b.write(exportName, 4);
  return clientOption(OPT_GO, b);
}

/** Run a whole client side through a session; the replies as [option, type, data] and the final step. */
function negotiate(...options: Buffer[]): { replies: [number, number, Buffer][]; step: HandshakeStep } {
  const session = new HandshakeSession(catalog, { maxPayload: 32 << 20 });
  const r = session.feed(Buffer.concat([Buffer.from([0, 0, 0, 3]), ...options]));
  const bytes = Buffer.concat(r.output);
  const replies: [number, number, Buffer][] = [];
  for (let at = 0; at + 20 <= bytes.length; at += 20 + bytes.readUInt32BE(at + 16)) {
    replies.push([bytes.readUInt32BE(at + 8), bytes.readUInt32BE(at + 12), bytes.subarray(at + 20, at + 20 + bytes.readUInt32BE(at + 16))]);
  }
  return { replies, step: r.step };
}

describe('structured replies and meta contexts in the handshake', () => {
  it('acks NBD_OPT_STRUCTURED_REPLY once, refuses it again or with data, and GO then advertises DF', () => {
    const { replies, step } = negotiate(clientOption(OPT_STRUCTURED_REPLY, Buffer.from('x')), clientOption(OPT_STRUCTURED_REPLY), clientOption(OPT_STRUCTURED_REPLY), go('lun0'));
    expect(replies.slice(0, 3).map((r) => r[1] >>> 0)).toEqual([REP_ERR_INVALID, REP_ACK, REP_ERR_INVALID]);
    const info = replies.find((r) => r[0] === OPT_GO && r[1] === REP_INFO && r[2].readUInt16BE(0) === INFO_EXPORT)!;
    expect(info[2].readUInt16BE(10) & FLAG_SEND_DF).toBe(FLAG_SEND_DF);
    expect(step.kind === 'transmission' && step.structuredReplies).toBe(true);
    expect(step.kind === 'transmission' && step.metaContextId).toBe(0);
  });

  it('refuses meta context options before structured replies; lists base:allocation for an empty LIST and for "base:"', () => {
    const { replies } = negotiate(
      clientOption(OPT_LIST_META_CONTEXT, metaRequest('lun0', [])),
      clientOption(OPT_STRUCTURED_REPLY),
      clientOption(OPT_LIST_META_CONTEXT, metaRequest('lun0', [])),
      clientOption(OPT_LIST_META_CONTEXT, metaRequest('lun0', ['base:'])),
      clientOption(OPT_LIST_META_CONTEXT, metaRequest('lun0', ['qemu:dirty-bitmap:x'])),
    );
    expect(replies.map((r) => [r[0], r[1] >>> 0])).toEqual([
      [OPT_LIST_META_CONTEXT, REP_ERR_INVALID], [OPT_STRUCTURED_REPLY, REP_ACK],
      [OPT_LIST_META_CONTEXT, REP_META_CONTEXT], [OPT_LIST_META_CONTEXT, REP_ACK],
      [OPT_LIST_META_CONTEXT, REP_META_CONTEXT], [OPT_LIST_META_CONTEXT, REP_ACK],
      [OPT_LIST_META_CONTEXT, REP_ACK],
    ]);
    expect(replies[2]![2].toString('utf8', 4)).toBe('base:allocation');
  });

  it('SET base:allocation then GO on the same export gives BLOCK_STATUS a context id; GO on another export drops it', () => {
    const same = negotiate(clientOption(OPT_STRUCTURED_REPLY), clientOption(OPT_SET_META_CONTEXT, metaRequest('lun0', ['base:allocation'])), go('lun0'));
    const set = same.replies.find((r) => r[0] === OPT_SET_META_CONTEXT && r[1] === REP_META_CONTEXT)!;
    const id = set[2].readUInt32BE(0);
    expect(id).not.toBe(0);
    expect(same.step.kind === 'transmission' && same.step.metaContextId).toBe(id);
    const other = negotiate(clientOption(OPT_STRUCTURED_REPLY), clientOption(OPT_SET_META_CONTEXT, metaRequest('lun0', ['base:allocation'])), go('lun1'));
    expect(other.step.kind === 'transmission' && other.step.metaContextId).toBe(0);
  });

  it('advertises the export\'s own minimum and preferred block size, the maximum capped at the payload limit', () => {
    const { replies } = negotiate(go('lun0'));
    const block = replies.find((r) => r[1] === REP_INFO && r[2].readUInt16BE(0) === INFO_BLOCK_SIZE)!;
    expect([block[2].readUInt32BE(2), block[2].readUInt32BE(6), block[2].readUInt32BE(10)]).toEqual([512, 4096, 32 << 20]);
  });

  it('never throws on arbitrary meta context option data, and answers every option', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT), (data, code) => {
      const { replies } = negotiate(clientOption(OPT_STRUCTURED_REPLY), clientOption(code, Buffer.from(data)));
      expect(replies.at(-1)![0]).toBe(code);
    }), { numRuns: 2000 });
  });

  it('parses what it is given back: any export name and queries round-trip', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 8 }), (name, queries) => {
      expect(parseMetaContextRequest(metaRequest(name, queries))).toEqual({ exportName: name, queries });
    }));
    expect(matchMetaContexts([], false)).toEqual([]);
    expect(matchMetaContexts(['base:'], false)).toEqual([]);
  });
});

describe('what an export advertises and accepts', () => {
  it('a read-only export advertises no TRIM, WRITE_ZEROES, FUA or FAST_ZERO, and keeps flush, cache and multi-conn', () => {
    const ro = exportTransmissionFlags(ALL_WRITE_FLAGS, true);
    expect(ro & (FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES | FLAG_SEND_FUA | FLAG_SEND_FAST_ZERO)).toBe(0);
    expect(ro & (FLAG_READ_ONLY | FLAG_SEND_FLUSH | FLAG_SEND_CACHE | FLAG_CAN_MULTI_CONN)).toBe(FLAG_READ_ONLY | FLAG_SEND_FLUSH | FLAG_SEND_CACHE | FLAG_CAN_MULTI_CONN);
    expect(exportTransmissionFlags(ALL_WRITE_FLAGS | FLAG_READ_ONLY, false)).toBe(ro);
    expect(exportTransmissionFlags(ALL_WRITE_FLAGS, false)).toBe(ALL_WRITE_FLAGS);
  });

  it('any command flag outside the protocol\'s five is EINVAL on every command', () => {
    const commands = [CMD_READ, CMD_WRITE, CMD_FLUSH, CMD_TRIM, CMD_CACHE, CMD_WRITE_ZEROES, CMD_BLOCK_STATUS];
    fc.assert(fc.property(fc.constantFrom(...commands), fc.integer({ min: 1, max: 0xffff }).filter((f) => (f & ~0x1f) !== 0), fc.boolean(), (type, flags, structured) => {
      expect(commandFlagsErrno(type, flags, ALL_WRITE_FLAGS, structured)).toBe(EINVAL);
    }));
  });

  it('each known flag only where nbdkit takes it, and writes to a read-only export are EPERM before any flag check', () => {
    const flagsOn = (type: number, flag: number, exportFlags = ALL_WRITE_FLAGS, structured = true): number => commandFlagsErrno(type, flag, exportFlags, structured);
    expect([flagsOn(CMD_WRITE, CMD_FLAG_FUA), flagsOn(CMD_READ, CMD_FLAG_FUA), flagsOn(CMD_WRITE, CMD_FLAG_FUA, FLAG_HAS_FLAGS)]).toEqual([0, 0, EINVAL]);
    expect([flagsOn(CMD_WRITE_ZEROES, CMD_FLAG_NO_HOLE), flagsOn(CMD_WRITE, CMD_FLAG_NO_HOLE)]).toEqual([0, EINVAL]);
    expect([flagsOn(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO), flagsOn(CMD_WRITE_ZEROES, CMD_FLAG_FAST_ZERO, FLAG_HAS_FLAGS | FLAG_SEND_WRITE_ZEROES)]).toEqual([0, EINVAL]);
    expect([flagsOn(CMD_READ, CMD_FLAG_DF), flagsOn(CMD_READ, CMD_FLAG_DF, ALL_WRITE_FLAGS, false), flagsOn(CMD_WRITE, CMD_FLAG_DF)]).toEqual([0, EINVAL, EINVAL]);
    expect([flagsOn(CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE), flagsOn(CMD_READ, CMD_FLAG_REQ_ONE)]).toEqual([0, EINVAL]);
    const ro = exportTransmissionFlags(ALL_WRITE_FLAGS, true);
    expect([CMD_WRITE, CMD_TRIM, CMD_WRITE_ZEROES].map((t) => commandFlagsErrno(t, 0x8000, ro, true))).toEqual([EPERM, EPERM, EPERM]);
    expect(commandFlagsErrno(CMD_FLUSH, 0, ro, true)).toBe(0);
  });

  it('block sizes: the backend\'s minimum and preferred pass, the maximum never exceeds the payload cap, and the result is valid', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 9, max: 20 }), fc.integer({ min: 0, max: 8 }), (minExp, prefExp, extra) => {
      const minimum = 2 ** minExp;
      const preferred = Math.max(minimum, 2 ** prefExp);
      const b = advertisedBlockSize({ minimum, preferred, maximum: preferred * 2 ** extra }, 1 << 20);
      expect(b.minimum).toBe(minimum);
      expect(b.maximum).toBeLessThanOrEqual(Math.max(1 << 20, preferred));
      expect(validBlockSize(b)).toBe(true);
    }));
    expect(advertisedBlockSize(undefined, 32 << 20)).toEqual({ minimum: 1, preferred: 4096, maximum: 32 << 20 });
    expect(validBlockSize({ minimum: 512, preferred: 4096, maximum: 0xffffffff })).toBe(true);
    expect(validBlockSize({ minimum: 3, preferred: 4096, maximum: 8192 })).toBe(false);
  });
});

describe('block status descriptors from an upstream', () => {
  const descriptors = (pairs: [number, number][]): Buffer => {
    const b = Buffer.alloc(8 * pairs.length);
    pairs.forEach(([len, flags], i) => { b.writeUInt32BE(len, 8 * i); b.writeUInt32BE(flags, 8 * i + 4); });
    return b;
  };
  const total = (b: Buffer): number => { let t = 0; for (let i = 0; i < b.length; i += 8) t += b.readUInt32BE(i); return t; };

  it('never reach past the export, never hold an empty extent, and with REQ_ONE are one extent within the request', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 0, max: 3 })), { minLength: 0, maxLength: 12 }),
      fc.integer({ min: 0, max: (4 << 20) - 1 }), fc.integer({ min: 1, max: 4 << 20 }), fc.boolean(),
      (pairs, offset, length, reqOne) => {
        const size = 4 << 20;
        const out = checkUpstreamExtents(descriptors(pairs), offset, length, size, reqOne);
        if (typeof out === 'string') return;
        expect(out.length).toBeGreaterThan(0);
        for (let i = 0; i < out.length; i += 8) expect(out.readUInt32BE(i)).toBeGreaterThan(0);
        expect(offset + total(out)).toBeLessThanOrEqual(size);
        if (reqOne) {
          expect(out.length).toBe(8);
          expect(total(out)).toBeLessThanOrEqual(length);
        }
      },
    ), { numRuns: 3000 });
  });

  it('refuses a ragged or empty reply', () => {
    expect(typeof checkUpstreamExtents(Buffer.alloc(0), 0, 512, 4096, false)).toBe('string');
    expect(typeof checkUpstreamExtents(Buffer.alloc(12), 0, 512, 4096, false)).toBe('string');
    expect(typeof checkUpstreamExtents(descriptors([[0, 0]]), 0, 512, 4096, false)).toBe('string');
  });
});
