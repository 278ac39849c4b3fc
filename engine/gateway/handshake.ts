import {
  FLAG_C_FIXED_NEWSTYLE, FLAG_C_NO_ZEROES, FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES,
  IHAVEOPT_HI, IHAVEOPT_LO, INFO_BLOCK_SIZE, INFO_DESCRIPTION, INFO_EXPORT, INFO_NAME,
  NBDMAGIC_HI, NBDMAGIC_LO, OPTION_REPLY_MAGIC_HI, OPTION_REPLY_MAGIC_LO,
  OPT_ABORT, OPT_EXPORT_NAME, OPT_GO, OPT_INFO, OPT_LIST, OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT, OPT_STARTTLS,
  OPT_STRUCTURED_REPLY, FLAG_SEND_DF, REP_META_CONTEXT,
  REP_ACK, REP_ERR_INVALID, REP_ERR_POLICY, REP_ERR_TLS_REQD, REP_ERR_TOO_BIG, REP_ERR_UNKNOWN, REP_ERR_UNSUP, REP_INFO, REP_SERVER,
} from './nbd-constants.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { TlsMode } from './tls.js';
import { advertisedBlockSize, type BlockSizeConstraints } from './export-capabilities.js';
import { BASE_ALLOCATION_ID, matchMetaContexts, metaContextReplyData, parseMetaContextRequest } from './meta-context.js';

/** What the handshake needs to know about one export (a virtual LUN). */
export interface ExportDescription {
  readonly name: string;
  readonly description: string;
  readonly size: number;
  readonly transmissionFlags: number;
  /** The backend's NBD_INFO_BLOCK_SIZE constraints, when it has any (an upstream's minimum). */
  readonly blockSize?: BlockSizeConstraints;
}

/** An export that exists but that this client may not open, and why (sent as NBD_REP_ERR_POLICY). */
export interface ExportRefusal {
  readonly refused: string;
}

export function isRefusal(found: ExportDescription | ExportRefusal | undefined): found is ExportRefusal {
  return found !== undefined && 'refused' in found;
}

/**
 * The exports a client may pick, as this client (its identity so far) sees them. `find`
 * resolves whatever the client typed (a LUN name, or HOST/LUN, or "" for the default export);
 * `list` names only what the client may open.
 */
export interface ExportCatalog {
  find(requestedName: string): ExportDescription | ExportRefusal | undefined;
  list(): readonly ExportDescription[];
}

export type HandshakeStep =
  | { readonly kind: 'negotiating' }
  | {
    readonly kind: 'transmission'; readonly chosen: ExportDescription; readonly requestedName: string; readonly leftover: Buffer;
    /** The client negotiated NBD_OPT_STRUCTURED_REPLY: reads and block status answer in chunks. */
    readonly structuredReplies: boolean;
    /** The id of the base:allocation context the client selected, or 0 (BLOCK_STATUS is then EINVAL). */
    readonly metaContextId: number;
  }
  /** STARTTLS was acknowledged: wrap the socket, then call `tlsStarted` and feed the decrypted bytes. */
  | { readonly kind: 'starttls' }
  | { readonly kind: 'closed'; readonly reason: string; readonly graceful: boolean };

export interface HandshakeResult {
  /** Bytes to send to the client, in order. */
  readonly output: Buffer[];
  readonly step: HandshakeStep;
}

export interface HandshakeOptions {
  readonly maxPayload: number;
  /** Options longer than this are refused (NBD_REP_ERR_TOO_BIG, data skipped), guarding memory. */
  readonly maxOptionBytes?: number;
  /** Options longer than this end the session at once instead of being skipped (nbdkit: 64 MiB). */
  readonly maxDiscardBytes?: number;
  /** STARTTLS: off (unsupported), on (offered), require (no other option but ABORT before it). Default off. */
  readonly tls?: TlsMode;
}

const NEGOTIATING: HandshakeStep = { kind: 'negotiating' };
const MAX_STRING_BYTES = 4096;

/**
 * The server side of the fixed-newstyle handshake as a pure state machine: bytes in,
 * replies and a step out. No sockets, so it can be fuzzed with arbitrary input.
 */
export class HandshakeSession {
  private pending: Buffer = Buffer.alloc(0);
  private offset = 0; // bytes of client input consumed so far, for messages naming the place
  private state: 'clientFlags' | 'optionHeader' | 'finished' = 'clientFlags';
  private noZeroes = false;
  private skipping = 0; // bytes of an oversized option still to discard
  private structuredReplies = false;
  /** The export name base:allocation was selected for (NBD_OPT_SET_META_CONTEXT), if any. */
  private metaContextFor: string | null = null;
  private readonly maxOptionBytes: number;
  private readonly maxDiscardBytes: number;
  private readonly tlsMode: TlsMode;
  private tlsActive = false;

  constructor(private readonly catalog: ExportCatalog, private readonly options: HandshakeOptions) {
    this.maxOptionBytes = options.maxOptionBytes ?? DEFAULT_LIMITS.maxOptionBytes;
    this.maxDiscardBytes = Math.max(this.maxOptionBytes, options.maxDiscardBytes ?? DEFAULT_LIMITS.maxDiscardBytes);
    this.tlsMode = options.tls ?? 'off';
  }

  /** The socket now speaks TLS: options go on (the spec has the client start over with them). */
  tlsStarted(): void {
    this.tlsActive = true;
  }

  get tls(): boolean {
    return this.tlsActive;
  }

  /** The server's opening: NBDMAGIC, IHAVEOPT, handshake flags. */
  greeting(): Buffer {
    const out = Buffer.alloc(18);
    out.writeUInt32BE(NBDMAGIC_HI, 0);
    out.writeUInt32BE(NBDMAGIC_LO, 4);
    out.writeUInt32BE(IHAVEOPT_HI, 8);
    out.writeUInt32BE(IHAVEOPT_LO, 12);
    out.writeUInt16BE(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, 16);
    return out;
  }

  feed(chunk: Buffer): HandshakeResult {
    const output: Buffer[] = [];
    if (this.state === 'finished') return { output, step: { kind: 'closed', reason: 'handshake already finished', graceful: false } };
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, this.pending.length);
        this.consume(n);
        this.skipping -= n;
        if (this.skipping > 0) return { output, step: NEGOTIATING };
        continue;
      }
      if (this.state === 'clientFlags') {
        if (this.pending.length < 4) return { output, step: NEGOTIATING };
        const flags = this.pending.readUInt32BE(0);
        if ((flags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) !== 0) {
          return this.close(output, `byte ${this.offset}: unknown client flags 0x${flags.toString(16)}`);
        }
        this.noZeroes = (flags & FLAG_C_NO_ZEROES) !== 0;
        this.consume(4);
        this.state = 'optionHeader';
        continue;
      }
      if (this.pending.length < 16) return { output, step: NEGOTIATING };
      const magicHi = this.pending.readUInt32BE(0);
      const magicLo = this.pending.readUInt32BE(4);
      if (magicHi !== IHAVEOPT_HI || magicLo !== IHAVEOPT_LO) {
        return this.close(output, `byte ${this.offset}: option magic 0x${hex8(magicHi)}${hex8(magicLo)} is not IHAVEOPT`);
      }
      const option = this.pending.readUInt32BE(8);
      const length = this.pending.readUInt32BE(12);
      if (length > this.maxDiscardBytes) {
        return this.close(output, `byte ${this.offset + 12}: option ${option} data of ${length} bytes is over the ${this.maxDiscardBytes}-byte limit (maxDiscardBytes); disconnecting rather than reading it`);
      }
      if (length > this.maxOptionBytes) {
        this.consume(16);
        this.skipping = length;
        if (option === OPT_EXPORT_NAME) return this.close(output, `byte ${this.offset - 16}: export name of ${length} bytes is too long`);
        output.push(optionReply(option, REP_ERR_TOO_BIG, Buffer.from(`option data of ${length} bytes is over ${this.maxOptionBytes}`)));
        continue;
      }
      if (this.pending.length < 16 + length) return { output, step: NEGOTIATING };
      const data = this.pending.subarray(16, 16 + length);
      const at = this.offset;
      this.consume(16 + length);
      const step = this.tlsRequired(option) ? this.refuseBeforeTls(option, output) : this.answer(option, data, at, output);
      if (step.kind === 'starttls' && this.pending.length > 0) {
        // The client must wait for our reply before its TLS hello: bytes sent early are not TLS.
        return this.close(output, `byte ${this.offset}: ${this.pending.length} bytes sent after NBD_OPT_STARTTLS before its reply`);
      }
      if (step.kind !== 'negotiating') return { output, step };
    }
  }

  private tlsRequired(option: number): boolean {
    return this.tlsMode === 'require' && !this.tlsActive && option !== OPT_STARTTLS && option !== OPT_ABORT;
  }

  private refuseBeforeTls(option: number, output: Buffer[]): HandshakeStep {
    if (option === OPT_EXPORT_NAME) return this.close(output, 'NBD_OPT_EXPORT_NAME before STARTTLS, and TLS is required').step;
    output.push(optionReply(option, REP_ERR_TLS_REQD, Buffer.from('TLS is required: send NBD_OPT_STARTTLS first')));
    return NEGOTIATING;
  }

  private answer(option: number, data: Buffer, at: number, output: Buffer[]): HandshakeStep {
    switch (option) {
      case OPT_EXPORT_NAME: {
        const name = data.toString('utf8');
        const chosen = this.catalog.find(name);
        // EXPORT_NAME cannot carry an error: the spec says to end the session.
        if (isRefusal(chosen)) return this.close(output, `byte ${at}: export "${name}" refused: ${chosen.refused}`).step;
        if (!chosen) return this.close(output, `byte ${at}: no export named "${name}"`).step;
        const reply = Buffer.alloc(this.noZeroes ? 10 : 134);
        writeSize(reply, chosen.size, 0);
        reply.writeUInt16BE(this.flagsOf(chosen), 8);
        output.push(reply);
        return this.finish(chosen, name);
      }
      case OPT_ABORT:
        output.push(optionReply(option, REP_ACK));
        this.state = 'finished';
        return { kind: 'closed', reason: 'client aborted the handshake', graceful: true };
      case OPT_LIST: {
        if (data.length !== 0) {
          output.push(optionReply(option, REP_ERR_INVALID, Buffer.from('NBD_OPT_LIST takes no data')));
          return NEGOTIATING;
        }
        for (const entry of this.catalog.list()) {
          const name = Buffer.from(entry.name, 'utf8');
          const body = Buffer.alloc(4 + name.length);
          body.writeUInt32BE(name.length, 0);
          name.copy(body, 4);
          output.push(optionReply(option, REP_SERVER, Buffer.concat([body, Buffer.from(entry.description, 'utf8')])));
        }
        output.push(optionReply(option, REP_ACK));
        return NEGOTIATING;
      }
      case OPT_INFO:
      case OPT_GO: {
        const parsed = parseInfoRequest(data);
        if (typeof parsed === 'string') {
          output.push(optionReply(option, REP_ERR_INVALID, Buffer.from(`byte ${at + 16}: ${parsed}`)));
          return NEGOTIATING;
        }
        const chosen = this.catalog.find(parsed.name);
        if (isRefusal(chosen)) {
          output.push(optionReply(option, REP_ERR_POLICY, Buffer.from(chosen.refused)));
          return NEGOTIATING;
        }
        if (!chosen) {
          output.push(optionReply(option, REP_ERR_UNKNOWN, Buffer.from(`no export named "${parsed.name}"`)));
          return NEGOTIATING;
        }
        output.push(infoReply(option, INFO_EXPORT, exportInfo(chosen, this.flagsOf(chosen))));
        const sizes = advertisedBlockSize(chosen.blockSize, this.options.maxPayload);
        const block = Buffer.alloc(12);
        block.writeUInt32BE(sizes.minimum, 0);
        block.writeUInt32BE(sizes.preferred, 4);
        block.writeUInt32BE(sizes.maximum, 8);
        // Sent unrequested too (the spec allows it) so clients learn the payload cap.
        output.push(infoReply(option, INFO_BLOCK_SIZE, block));
        if (parsed.requests.includes(INFO_NAME)) output.push(infoReply(option, INFO_NAME, Buffer.from(chosen.name, 'utf8')));
        if (parsed.requests.includes(INFO_DESCRIPTION) && chosen.description !== '') {
          output.push(infoReply(option, INFO_DESCRIPTION, Buffer.from(chosen.description, 'utf8')));
        }
        output.push(optionReply(option, REP_ACK));
        return option === OPT_GO ? this.finish(chosen, parsed.name) : NEGOTIATING;
      }
      case OPT_STARTTLS:
        if (this.tlsMode === 'off') {
          output.push(optionReply(option, REP_ERR_UNSUP, Buffer.from('TLS is not configured on this gateway')));
          return NEGOTIATING;
        }
        if (data.length !== 0 || this.tlsActive) {
          output.push(optionReply(option, REP_ERR_INVALID, Buffer.from(this.tlsActive ? 'TLS is already on' : 'NBD_OPT_STARTTLS takes no data')));
          return NEGOTIATING;
        }
        output.push(optionReply(option, REP_ACK));
        return { kind: 'starttls' };
      case OPT_STRUCTURED_REPLY:
        if (data.length !== 0 || this.structuredReplies) {
          output.push(optionReply(option, REP_ERR_INVALID, Buffer.from(data.length !== 0 ? 'NBD_OPT_STRUCTURED_REPLY takes no data' : 'structured replies are already negotiated')));
          return NEGOTIATING;
        }
        this.structuredReplies = true;
        output.push(optionReply(option, REP_ACK));
        return NEGOTIATING;
      case OPT_LIST_META_CONTEXT:
      case OPT_SET_META_CONTEXT:
        this.answerMetaContext(option, data, at, output);
        return NEGOTIATING;
      default:
        // Unknown: say so and keep listening.
        output.push(optionReply(option, REP_ERR_UNSUP));
        return NEGOTIATING;
    }
  }

  /** NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT: only after structured replies. */
  private answerMetaContext(option: number, data: Buffer, at: number, output: Buffer[]): void {
    if (!this.structuredReplies) {
      output.push(optionReply(option, REP_ERR_INVALID, Buffer.from('meta contexts need NBD_OPT_STRUCTURED_REPLY first')));
      return;
    }
    const parsed = parseMetaContextRequest(data);
    if (typeof parsed === 'string') {
      output.push(optionReply(option, REP_ERR_INVALID, Buffer.from(`option at byte ${at}: ${parsed}`)));
      return;
    }
    if (!this.catalog.find(parsed.exportName)) {
      output.push(optionReply(option, REP_ERR_UNKNOWN, Buffer.from(`no export named "${parsed.exportName}"`)));
      return;
    }
    const listing = option === OPT_LIST_META_CONTEXT;
    const matched = matchMetaContexts(parsed.queries, listing);
    // A LIST's ids mean nothing to the client (the spec says to ignore them); nbdkit sends 0.
    for (const name of matched) output.push(optionReply(option, REP_META_CONTEXT, metaContextReplyData(listing ? 0 : BASE_ALLOCATION_ID, name)));
    if (!listing) this.metaContextFor = matched.length > 0 ? parsed.exportName : null;
    output.push(optionReply(option, REP_ACK));
  }

  /** DF (never split a read) is free once reads answer in chunks: the gateway sends one. */
  private flagsOf(chosen: ExportDescription): number {
    return chosen.transmissionFlags | (this.structuredReplies ? FLAG_SEND_DF : 0);
  }

  private finish(chosen: ExportDescription, requestedName: string): HandshakeStep {
    this.state = 'finished';
    const leftover = this.pending;
    this.pending = Buffer.alloc(0);
    // A context selected for another export does not carry over (the spec's rule for SET then GO).
    const metaContextId = this.metaContextFor === requestedName ? BASE_ALLOCATION_ID : 0;
    return { kind: 'transmission', chosen, requestedName, leftover, structuredReplies: this.structuredReplies, metaContextId };
  }

  private close(output: Buffer[], reason: string): HandshakeResult {
    this.state = 'finished';
    this.pending = Buffer.alloc(0);
    return { output, step: { kind: 'closed', reason, graceful: false } };
  }

  private consume(n: number): void {
    this.pending = this.pending.subarray(n);
    this.offset += n;
  }
}

function parseInfoRequest(data: Buffer): { name: string; requests: number[] } | string {
  if (data.length < 6) return `NBD_OPT_INFO/GO data of ${data.length} bytes is shorter than 6`;
  const nameLength = data.readUInt32BE(0);
  if (nameLength > MAX_STRING_BYTES) return `export name length ${nameLength} is over ${MAX_STRING_BYTES}`;
  if (4 + nameLength + 2 > data.length) return `export name length ${nameLength} runs past the option data`;
  const name = data.toString('utf8', 4, 4 + nameLength);
  const count = data.readUInt16BE(4 + nameLength);
  if (4 + nameLength + 2 + 2 * count !== data.length) return `${count} information requests do not fill ${data.length} bytes of option data`;
  const requests: number[] = [];
  for (let i = 0; i < count; i++) requests.push(data.readUInt16BE(4 + nameLength + 2 + 2 * i));
  return { name, requests };
}

function exportInfo(chosen: ExportDescription, flags: number): Buffer {
  const body = Buffer.alloc(10);
  writeSize(body, chosen.size, 0);
  body.writeUInt16BE(flags, 8);
  return body;
}

function infoReply(option: number, infoType: number, body: Buffer): Buffer {
  const data = Buffer.alloc(2 + body.length);
  data.writeUInt16BE(infoType, 0);
  body.copy(data, 2);
  return optionReply(option, REP_INFO, data);
}

/** One fixed-newstyle option reply: magic, option, reply type, length, data. */
export function optionReply(option: number, replyType: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(20 + data.length);
  out.writeUInt32BE(OPTION_REPLY_MAGIC_HI, 0);
  out.writeUInt32BE(OPTION_REPLY_MAGIC_LO, 4);
  out.writeUInt32BE(option >>> 0, 8);
  out.writeUInt32BE(replyType >>> 0, 12);
  out.writeUInt32BE(data.length, 16);
  data.copy(out, 20);
  return out;
}

export function writeSize(buffer: Buffer, size: number, at: number): void {
  buffer.writeUInt32BE(Math.floor(size / 0x100000000), at);
  buffer.writeUInt32BE(size >>> 0, at + 4);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
