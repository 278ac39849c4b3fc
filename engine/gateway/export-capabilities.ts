import {
  CMD_BLOCK_STATUS, CMD_FLAG_DF, CMD_FLAG_FAST_ZERO, CMD_FLAG_FUA, CMD_FLAG_NO_HOLE, CMD_FLAG_REQ_ONE,
  CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES, EINVAL, EPERM, FLAG_READ_ONLY, FLAG_SEND_FAST_ZERO, FLAG_SEND_FUA, FLAG_SEND_TRIM,
  FLAG_SEND_WRITE_ZEROES,
} from './nbd-constants.js';

/** NBD_INFO_BLOCK_SIZE: the sizes and alignments an export wants its requests in. */
export interface BlockSizeConstraints {
  readonly minimum: number;
  readonly preferred: number;
  readonly maximum: number;
}

/** What the spec lets a server leave unsaid: no alignment, 4 KiB preferred. */
const DEFAULT_MINIMUM = 1;
const DEFAULT_PREFERRED = 4096;

/** Flags a read-only export must not advertise: each names a way to change the data. */
const WRITE_ONLY_FLAGS = FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES | FLAG_SEND_FUA | FLAG_SEND_FAST_ZERO;

/**
 * The transmission flags a client sees for an export: the backend's, less whatever a
 * read-only export cannot honour (as nbdkit -r does: flush and cache stay, they change nothing).
 */
export function exportTransmissionFlags(backendFlags: number, readOnly: boolean): number {
  const ro = readOnly || (backendFlags & FLAG_READ_ONLY) !== 0;
  return ro ? (backendFlags | FLAG_READ_ONLY) & ~WRITE_ONLY_FLAGS : backendFlags;
}

/**
 * The block sizes to advertise: the backend's constraints (an upstream's minimum must reach
 * the client, or a 512-byte-sector upstream sees unaligned writes it refuses), with the
 * maximum never above what the gateway accepts in one request.
 */
export function advertisedBlockSize(backend: BlockSizeConstraints | undefined, maxPayload: number): BlockSizeConstraints {
  const minimum = backend?.minimum ?? DEFAULT_MINIMUM;
  const preferred = Math.max(minimum, backend?.preferred ?? DEFAULT_PREFERRED);
  const maximum = Math.max(preferred, Math.min(backend?.maximum ?? maxPayload, maxPayload));
  return { minimum, preferred, maximum };
}

/**
 * Is this NBD_INFO_BLOCK_SIZE triple one the spec allows? Powers of two, minimum ≤ 64 KiB,
 * preferred ≥ 512 and ≥ minimum, maximum ≥ preferred and a multiple of the minimum or 0xffffffff (no limit).
 */
export function validBlockSize(b: BlockSizeConstraints): boolean {
  const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  return pow2(b.minimum) && b.minimum <= 64 * 1024 && pow2(b.preferred) && b.preferred >= 512 &&
    b.preferred >= b.minimum && b.maximum >= b.preferred && (b.maximum % b.minimum === 0 || b.maximum === 0xffffffff);
}

const KNOWN_FLAGS = CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_DF | CMD_FLAG_REQ_ONE | CMD_FLAG_FAST_ZERO;

/**
 * The error (0 if none) a request earns before its range is looked at, in nbdkit's order:
 * a write, trim or zero on a read-only export is EPERM whatever its flags; then unknown
 * flags, a flag on a command it does not apply to, or a flag the export did not advertise,
 * are EINVAL. (nbdkit accepts FUA on any command when the export advertises it; so do we.)
 * Positional arguments and no allocation: this runs for every I/O.
 */
export function commandFlagsErrno(type: number, flags: number, exportFlags: number, structuredReplies: boolean): number {
  if ((exportFlags & FLAG_READ_ONLY) !== 0 && (type === CMD_WRITE || type === CMD_TRIM || type === CMD_WRITE_ZEROES)) return EPERM;
  if (flags === 0) return 0;
  if ((flags & ~KNOWN_FLAGS) !== 0) return EINVAL;
  if ((flags & CMD_FLAG_FUA) !== 0 && (exportFlags & FLAG_SEND_FUA) === 0) return EINVAL;
  if ((flags & CMD_FLAG_NO_HOLE) !== 0 && type !== CMD_WRITE_ZEROES) return EINVAL;
  if ((flags & CMD_FLAG_FAST_ZERO) !== 0 && (type !== CMD_WRITE_ZEROES || (exportFlags & FLAG_SEND_FAST_ZERO) === 0)) return EINVAL;
  if ((flags & CMD_FLAG_DF) !== 0 && (type !== CMD_READ || !structuredReplies)) return EINVAL;
  if ((flags & CMD_FLAG_REQ_ONE) !== 0 && type !== CMD_BLOCK_STATUS) return EINVAL;
  return 0;
}
