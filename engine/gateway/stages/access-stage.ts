import type { AccessLists, AccessMode } from '../access.js';
import type { Attribution, CompiledRule, Evidence } from '../attribution.js';
import type { ExportDescription } from '../handshake.js';
import { commandFlagsErrno } from '../export-capabilities.js';
import { CMD_BLOCK_STATUS, CMD_CACHE, CMD_FLUSH, CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES, EINVAL, ENOSPC, EPERM, FLAG_READ_ONLY, FLAG_SEND_CACHE } from '../nbd-constants.js';
import type { DataStage } from './stage.js';

/** Who a client is for an export name, and what it may do with the LUN. */
export type AccessDecision =
  | { readonly attribution: Attribution; readonly mode: AccessMode }
  | { readonly refused: string };

/**
 * At open: the identity the evidence proves (or the export name declares), then the LUN's
 * access list for that host (access.ts).
 */
export function decideAccess(rule: CompiledRule, access: AccessLists, lun: string, requested: string, evidence: Evidence): AccessDecision {
  const resolution = rule.resolve(requested, evidence);
  if (!resolution.ok) return { refused: resolution.reason };
  const host = resolution.attribution.host;
  const mode = access.modeFor(lun, host);
  if (mode === null) return { refused: `host "${host}" may not open LUN "${lun}"` };
  return { attribution: resolution.attribution, mode };
}

/** What the access stage reads of a request. */
export interface AccessIo {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly length: number;
}

/** Where requests the access stage refuses go: answered with `errno`, never reaching the stages behind it. */
export interface Refusals<I> {
  refuse(io: I, errno: number): void;
}

/** What the handshake settled for this connection. */
export interface Negotiated {
  /** The export as this client was given it (read-only for hosts with read-only access). */
  readonly export: ExportDescription;
  readonly structuredReplies: boolean;
  /** 0: no BLOCK_STATUS context negotiated. */
  readonly metaContextId: number;
}

/**
 * In transmission: each request against the export as granted (read-only hosts get EPERM for
 * writes), its flags and its range, with nbdkit's errnos. A refused request is not passed on.
 */
export class AccessStage<I extends AccessIo> implements DataStage<I> {
  constructor(private readonly granted: Negotiated, private readonly refusals: Refusals<I>, private readonly next: DataStage<I>) {}

  submit(io: I): void {
    const granted = this.granted;
    const errno = commandFlagsErrno(io.type, io.flags, granted.export.transmissionFlags, granted.structuredReplies)
      || checkRequest(granted.export, io.type, io.offset, io.length, granted.metaContextId);
    if (errno !== 0) this.refusals.refuse(io, errno);
    else this.next.submit(io);
  }

  settle(io: I, now: number): void {
    this.next.settle(io, now);
  }
}

/**
 * The errno a request gets before it reaches the backend (0: none), as nbdkit answers:
 * every read, write, trim and write-zeroes needs a non-empty range inside the export,
 * checked without overflow (`offset` is exact below 2^53; anything larger is past every
 * export, so the comparison is still right); a flush carries no range at all.
 * `metaContextId` 0 means no BLOCK_STATUS context was negotiated.
 */
export function checkRequest(lun: ExportDescription, type: number, offset: number, length: number, metaContextId = 0): number {
  const readOnly = (lun.transmissionFlags & FLAG_READ_ONLY) !== 0;
  const inRange = length > 0 && offset <= lun.size && length <= lun.size - offset;
  switch (type) {
    case CMD_READ: return inRange ? 0 : EINVAL;
    case CMD_WRITE:
    case CMD_WRITE_ZEROES: return readOnly ? EPERM : inRange ? 0 : ENOSPC;
    case CMD_TRIM: return readOnly ? EPERM : inRange ? 0 : EINVAL;
    case CMD_FLUSH: return offset === 0 && length === 0 ? 0 : EINVAL;
    case CMD_CACHE: return (lun.transmissionFlags & FLAG_SEND_CACHE) !== 0 && inRange ? 0 : EINVAL;
    case CMD_BLOCK_STATUS: return metaContextId !== 0 && inRange ? 0 : EINVAL;
    default: return EINVAL;
  }
}
