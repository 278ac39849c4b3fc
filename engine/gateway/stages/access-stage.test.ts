import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessLists } from '../access.js';
import { compileAttributionRule } from '../attribution.js';
import { exportTransmissionFlags } from '../export-capabilities.js';
import type { ExportDescription } from '../handshake.js';
import {
  CMD_BLOCK_STATUS, CMD_CACHE, CMD_FLAG_FUA, CMD_FLUSH, CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES, EINVAL, ENOSPC, EPERM,
  FLAG_HAS_FLAGS, FLAG_SEND_FLUSH, FLAG_SEND_FUA, FLAG_SEND_TRIM, FLAG_SEND_WRITE_ZEROES,
} from '../nbd-constants.js';
import { AccessStage, decideAccess, type AccessIo, type Refusals } from './access-stage.js';
import { RecordingStage } from './recording-stage.js';

const SIZE = 1024 * 1024;
const BACKEND_FLAGS = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES;

function grantedExport(readOnly: boolean): ExportDescription {
  return { name: 'lun0', description: '', size: SIZE, transmissionFlags: exportTransmissionFlags(BACKEND_FLAGS, readOnly) };
}

class RecordingRefusals implements Refusals<AccessIo> {
  readonly refused: { io: AccessIo; errno: number }[] = [];
  refuse(io: AccessIo, errno: number): void {
    this.refused.push({ io, errno });
  }
}

function accessStage(readOnly: boolean, metaContextId = 0) {
  const next = new RecordingStage<AccessIo>();
  const refusals = new RecordingRefusals();
  const stage = new AccessStage<AccessIo>({ export: grantedExport(readOnly), structuredReplies: metaContextId !== 0, metaContextId }, refusals, next);
  /** The errno the stage answered `io` with, or 0 when it passed `io` on. */
  const errnoOf = (io: AccessIo): number => {
    const before = { passed: next.submitted.length, refused: refusals.refused.length };
    stage.submit(io);
    const passed = next.submitted.length - before.passed;
    const refused = refusals.refused.length - before.refused;
    // Exactly one of the two, every time.
    expect(passed + refused).toBe(1);
    return refused === 1 ? refusals.refused.at(-1)!.errno : 0;
  };
  return { stage, next, refusals, errnoOf };
}

const io = (type: number, offset: number, length: number, flags = 0): AccessIo => ({ type, flags, offset, length });

describe('the access stage', () => {
  it('refuses writes, trims and zeroes of a read-only host with EPERM and lets its reads and flushes through', () => {
    const { errnoOf, next } = accessStage(true);
    expect(errnoOf(io(CMD_WRITE, 0, 4096))).toBe(EPERM);
    expect(errnoOf(io(CMD_TRIM, 0, 4096))).toBe(EPERM);
    expect(errnoOf(io(CMD_WRITE_ZEROES, 0, 4096))).toBe(EPERM);
    // EPERM before anything else, as nbdkit: even a write past the end or with a bad flag.
    expect(errnoOf(io(CMD_WRITE, SIZE, 4096, 0x8000))).toBe(EPERM);
    expect(errnoOf(io(CMD_READ, 0, 4096))).toBe(0);
    expect(errnoOf(io(CMD_FLUSH, 0, 0))).toBe(0);
    expect(next.submitted.map((r) => r.type)).toEqual([CMD_READ, CMD_FLUSH]);
  });

  it("answers nbdkit's errnos for ranges and flags: ENOSPC past the end of a write, EINVAL for reads, flushes with a range, unknown flags", () => {
    const { errnoOf } = accessStage(false);
    expect(errnoOf(io(CMD_WRITE, SIZE - 4096, 4096))).toBe(0);
    expect(errnoOf(io(CMD_WRITE, SIZE - 4095, 4096))).toBe(ENOSPC);
    expect(errnoOf(io(CMD_WRITE_ZEROES, SIZE, 1))).toBe(ENOSPC);
    expect(errnoOf(io(CMD_READ, SIZE, 1))).toBe(EINVAL);
    expect(errnoOf(io(CMD_READ, 0, 0))).toBe(EINVAL);
    expect(errnoOf(io(CMD_TRIM, 2 ** 64 - 1, 4096))).toBe(EINVAL);
    // The flush that once ended the process: a 64-bit offset on a command with no range.
    expect(errnoOf(io(CMD_FLUSH, 2 ** 64 - 1, 0))).toBe(EINVAL);
    expect(errnoOf(io(CMD_READ, 0, 4096, 0x8000))).toBe(EINVAL);
    expect(errnoOf(io(CMD_WRITE, 0, 4096, CMD_FLAG_FUA))).toBe(0);
    // The export does not advertise CACHE.
    expect(errnoOf(io(CMD_CACHE, 0, 4096))).toBe(EINVAL);
  });

  it('lets BLOCK_STATUS through only when a meta context was negotiated', () => {
    expect(accessStage(false, 0).errnoOf(io(CMD_BLOCK_STATUS, 0, 4096))).toBe(EINVAL);
    expect(accessStage(false, 1).errnoOf(io(CMD_BLOCK_STATUS, 0, 4096))).toBe(0);
  });

  it('passes on only requests inside the export, and passes every settle on (property)', () => {
    const { stage, next, errnoOf } = accessStage(false);
    const offsets = fc.oneof(fc.integer({ min: 0, max: SIZE + 8192 }), fc.constantFrom(2 ** 53, 2 ** 64 - 1, SIZE));
    fc.assert(fc.property(fc.integer({ min: 0, max: 9 }), offsets, fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 0xffff }), (type, offset, length, flags) => {
      const request = io(type, offset, length, flags);
      const errno = errnoOf(request);
      if (errno === 0 && type !== CMD_FLUSH) expect(offset + length).toBeLessThanOrEqual(SIZE);
      if (errno === 0 && type === CMD_FLUSH) expect([offset, length]).toEqual([0, 0]);
      if (errno !== 0) expect([EINVAL, ENOSPC, EPERM]).toContain(errno);
    }), { numRuns: 2000 });
    const passed = next.submitted[0]!;
    stage.settle(passed, 12.5);
    expect(next.settled).toEqual([{ io: passed, now: 12.5 }]);
  });
});

describe('access at open (identity, then the access list)', () => {
  const lists = new AccessLists([{ lun: 'gold', hosts: [{ host: 'app1', mode: 'rw' }, { host: 'report', mode: 'ro' }] }]);

  it('grants each listed host its mode, refuses an unlisted host naming it and the LUN, and leaves LUNs without a list open', () => {
    const rule = compileAttributionRule({ ranges: [] });
    const evidence = { address: '10.0.0.9', tlsIdentity: null };
    expect(decideAccess(rule, lists, 'gold', 'app1/gold', evidence)).toMatchObject({ mode: 'rw', attribution: { host: 'app1', via: 'export-name' } });
    expect(decideAccess(rule, lists, 'gold', 'report/gold', evidence)).toMatchObject({ mode: 'ro' });
    expect(decideAccess(rule, lists, 'gold', 'app9/gold', evidence)).toEqual({ refused: 'host "app9" may not open LUN "gold"' });
    expect(decideAccess(rule, lists, 'bronze', 'app9/bronze', evidence)).toMatchObject({ mode: 'rw', attribution: { host: 'app9' } });
  });

  it('takes the host from the address range, so a bronze client naming itself app1 is refused before the list is read', () => {
    const rule = compileAttributionRule({ ranges: [{ cidr: '10.0.2.0/24', host: 'bronze' }] });
    const decision = decideAccess(rule, lists, 'gold', 'app1/gold', { address: '10.0.2.7', tlsIdentity: null });
    expect(decision).toHaveProperty('refused');
    expect((decision as { refused: string }).refused).toContain('"bronze"');
    expect(decideAccess(rule, lists, 'gold', 'gold', { address: '10.0.2.7', tlsIdentity: null })).toEqual({ refused: 'host "bronze" may not open LUN "gold"' });
  });
});
