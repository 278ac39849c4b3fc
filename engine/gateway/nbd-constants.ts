/**
 * Numbers from the NBD protocol (NetworkBlockDevice/nbd doc/proto.md). Kept in one
 * place so the handshake, the request parser, the server and the upstream client agree.
 */

export const NBDMAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
/** IHAVEOPT split into 32-bit halves so the hot paths never touch BigInt. */
export const IHAVEOPT_HI = 0x49484156;
export const IHAVEOPT_LO = 0x454f5054;
export const NBDMAGIC_HI = 0x4e42444d;
export const NBDMAGIC_LO = 0x41474943;
export const OPTION_REPLY_MAGIC_HI = 0x0003e889;
export const OPTION_REPLY_MAGIC_LO = 0x045565a9;

export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

// Handshake flags (server) and client flags.
export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;
export const FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_C_NO_ZEROES = 1 << 1;

// Transmission flags.
export const FLAG_HAS_FLAGS = 1 << 0;
export const FLAG_READ_ONLY = 1 << 1;
export const FLAG_SEND_FLUSH = 1 << 2;
export const FLAG_SEND_FUA = 1 << 3;
export const FLAG_ROTATIONAL = 1 << 4;
export const FLAG_SEND_TRIM = 1 << 5;
export const FLAG_SEND_WRITE_ZEROES = 1 << 6;
export const FLAG_SEND_DF = 1 << 7;
export const FLAG_CAN_MULTI_CONN = 1 << 8;
export const FLAG_SEND_CACHE = 1 << 10;
export const FLAG_SEND_FAST_ZERO = 1 << 11;

// Options.
export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_LIST = 3;
export const OPT_STARTTLS = 5;
export const OPT_INFO = 6;
export const OPT_GO = 7;
export const OPT_STRUCTURED_REPLY = 8;
export const OPT_LIST_META_CONTEXT = 9;
export const OPT_SET_META_CONTEXT = 10;

// Option reply types.
export const REP_ACK = 1;
export const REP_SERVER = 2;
export const REP_INFO = 3;
export const REP_META_CONTEXT = 4;
const REP_FLAG_ERROR = 0x80000000;
export const REP_ERR_UNSUP = (REP_FLAG_ERROR | 1) >>> 0;
export const REP_ERR_POLICY = (REP_FLAG_ERROR | 2) >>> 0;
export const REP_ERR_INVALID = (REP_FLAG_ERROR | 3) >>> 0;
export const REP_ERR_UNKNOWN = (REP_FLAG_ERROR | 6) >>> 0;
export const REP_ERR_TOO_BIG = (REP_FLAG_ERROR | 9) >>> 0;

/** TLS is required before this option (nbd proto.md). */
export const REP_ERR_TLS_REQD = (REP_FLAG_ERROR | 5) >>> 0;

export function isOptionReplyError(type: number): boolean {
  return (type & REP_FLAG_ERROR) !== 0;
}

// NBD_INFO types carried in NBD_REP_INFO.
export const INFO_EXPORT = 0;
export const INFO_NAME = 1;
export const INFO_DESCRIPTION = 2;
export const INFO_BLOCK_SIZE = 3;

// Commands and command flags.
export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;
export const CMD_TRIM = 4;
export const CMD_CACHE = 5;
export const CMD_WRITE_ZEROES = 6;
export const CMD_BLOCK_STATUS = 7;

export const CMD_FLAG_FUA = 1 << 0;
export const CMD_FLAG_NO_HOLE = 1 << 1;
export const CMD_FLAG_DF = 1 << 2;
export const CMD_FLAG_REQ_ONE = 1 << 3;
export const CMD_FLAG_FAST_ZERO = 1 << 4;

// Structured reply chunks (NBD_OPT_STRUCTURED_REPLY).
export const REPLY_FLAG_DONE = 1 << 0;
export const REPLY_TYPE_NONE = 0;
export const REPLY_TYPE_OFFSET_DATA = 1;
export const REPLY_TYPE_OFFSET_HOLE = 2;
export const REPLY_TYPE_BLOCK_STATUS = 5;
export const REPLY_TYPE_ERROR = (1 << 15) + 1;
export const REPLY_TYPE_ERROR_OFFSET = (1 << 15) + 2;
export const STRUCTURED_REPLY_HEADER_BYTES = 20;

// base:allocation extent flags.
export const STATE_HOLE = 1 << 0;
export const STATE_ZERO = 1 << 1;

// Error values carried in replies (the protocol's own numbering, equal to Linux errno).
export const EPERM = 1;
export const EIO = 5;
export const ENOMEM = 12;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EOVERFLOW = 75;
export const ENOTSUP = 95;
export const ESHUTDOWN = 108;

/** Largest payload (read reply or write data) the gateway accepts: the conventional 32 MiB. */
export const DEFAULT_MAX_PAYLOAD = 32 * 1024 * 1024;

export const REQUEST_HEADER_BYTES = 28;
export const SIMPLE_REPLY_HEADER_BYTES = 16;

export function commandName(type: number): string {
  switch (type) {
    case CMD_READ: return 'read';
    case CMD_WRITE: return 'write';
    case CMD_DISC: return 'disc';
    case CMD_FLUSH: return 'flush';
    case CMD_TRIM: return 'trim';
    case CMD_CACHE: return 'cache';
    case CMD_WRITE_ZEROES: return 'write_zeroes';
    case CMD_BLOCK_STATUS: return 'block_status';
    default: return `command ${type}`;
  }
}
