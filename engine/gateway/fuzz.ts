import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../smp/prng.js';
import { NbdGateway, type LunDefinition } from './gateway.js';
import { openFileBackend } from './file-backend.js';
import { openUpstreamBackend } from './upstream.js';
import { startNbdkit, type Spawned } from './harness.js';
import { RawNbdClient, optionHeader, requestHeader } from './raw-client.js';
import {
  CMD_FLUSH, CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES, OPT_ABORT, OPT_EXPORT_NAME, OPT_GO, OPT_INFO, OPT_LIST,
  OPT_STARTTLS, OPT_STRUCTURED_REPLY, REQUEST_MAGIC, SIMPLE_REPLY_MAGIC,
} from './nbd-constants.js';

export interface FuzzOptions {
  readonly port: number;
  /** Exports the fuzzer opens (one per backend under test). */
  readonly exports: readonly string[];
  /** Size of each export; the first `guardBytes` belong to the well-behaved client. */
  readonly exportSize: number;
  /** Stop after this many connections, or after `seconds`, whichever comes first. */
  readonly connections?: number;
  readonly seconds?: number;
  /** Fuzzing connections open at once. */
  readonly concurrency?: number;
  readonly seed?: number;
  readonly signal?: AbortSignal;
}

export interface FuzzCounts {
  seed: number;
  seconds: number;
  connections: number;
  connectFailures: number;
  scenarios: { randomBytes: number; mutatedHandshake: number; options: number; requests: number };
  /** Connections the fuzzer took through NBD_OPT_GO into the transmission phase. */
  reachedTransmission: number;
  requestsSent: number;
  /** Replies seen, by NBD errno ("0" is success). */
  replies: Record<string, number>;
  /** Replies with a wrong magic, an unknown cookie or an errno outside NBD's list: gateway bugs. */
  badReplies: number;
  lastBadReply: string;
  /** Connections the gateway closed (protocol errors, oversized writes, garbage). */
  closedByGateway: number;
  /** The well-behaved client: rounds of write, flush, read back and compare on every export. */
  guard: { rounds: number; verifiedBytes: number; mismatches: number; failures: number; lastFailure: string };
}

/** Bytes of each export the well-behaved client uses; the fuzzer never writes there. */
export const GUARD_BYTES = 1024 * 1024;
const GUARD_BLOCK = 64 * 1024;

const EDGE_OFFSETS = [0n, 1n, 511n, 512n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 512n];
const EDGE_LENGTHS = [0, 1, 512, 4096, 65536, 32 * 1024 * 1024, 32 * 1024 * 1024 + 1, 64 * 1024 * 1024, 0x7fffffff, 0xffffffff];
/** The error values NBD defines (EPERM, EIO, ENOMEM, EINVAL, ENOSPC, EOVERFLOW, ENOTSUP, ESHUTDOWN). */
const KNOWN_ERRNOS = new Set([0, 1, 5, 12, 22, 28, 75, 95, 108]);
const OPTIONS = [OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_STARTTLS, OPT_INFO, OPT_GO, OPT_STRUCTURED_REPLY, 0, 9, 0x7fffffff, 0xffffffff];

class Fuzzer {
  private readonly random: () => number;
  readonly counts: FuzzCounts;
  private readonly end: number;
  private readonly limit: number;

  constructor(private readonly options: FuzzOptions, seed: number) {
    // Seeded, so a failing run can be replayed with --seed.
    this.random = createRng(seed).next;
    this.limit = options.connections ?? Infinity;
    this.end = Date.now() + (options.seconds ?? Infinity) * 1000;
    this.counts = {
      seed, seconds: 0, connections: 0, connectFailures: 0,
      scenarios: { randomBytes: 0, mutatedHandshake: 0, options: 0, requests: 0 },
      reachedTransmission: 0, requestsSent: 0, replies: {}, badReplies: 0, lastBadReply: '', closedByGateway: 0,
      guard: { rounds: 0, verifiedBytes: 0, mismatches: 0, failures: 0, lastFailure: '' },
    };
  }

  get done(): boolean {
    return this.counts.connections >= this.limit || Date.now() >= this.end || this.options.signal?.aborted === true;
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  private bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** Flip, overwrite or cut a few bytes. */
  private mutate(b: Buffer): Buffer {
    const out = Buffer.from(b);
    for (let i = this.int(3) + 1; i > 0 && out.length > 0; i--) {
      const at = this.int(out.length);
      if (this.random() < 0.5) out[at] = this.int(256);
      else out[at]! ^= 1 << this.int(8);
    }
    return this.random() < 0.2 ? out.subarray(0, this.int(out.length + 1)) : out;
  }

  async worker(): Promise<void> {
    while (!this.done) {
      this.counts.connections++;
      let client: RawNbdClient;
      try {
        client = await RawNbdClient.connect(this.options.port, undefined, 5000);
      } catch {
        this.counts.connectFailures++;
        continue;
      }
      try {
        await this.session(client);
      } catch {
        // The gateway closing on us mid-conversation is one of the expected outcomes.
      } finally {
        if (client.isClosed) this.counts.closedByGateway++;
        client.destroy();
      }
    }
  }

  private async session(client: RawNbdClient): Promise<void> {
    const roll = this.random();
    const name = this.pick(this.options.exports);
    if (roll < 0.15) {
      this.counts.scenarios.randomBytes++;
      await client.read(18, 2000);
      client.write(this.bytes(this.int(200)));
      await client.waitClosed(20);
      return;
    }
    if (roll < 0.35) {
      this.counts.scenarios.mutatedHandshake++;
      await client.read(18, 2000);
      const nameBytes = Buffer.from(name);
      const data = Buffer.alloc(4 + nameBytes.length + 2);
      data.writeUInt32BE(nameBytes.length, 0);
      nameBytes.copy(data, 4);
      client.write(this.mutate(Buffer.concat([Buffer.from([0, 0, 0, 3]), optionHeader(OPT_GO, data.length), data])));
      await client.waitClosed(20);
      return;
    }
    if (roll < 0.5) {
      this.counts.scenarios.options++;
      await client.read(18, 2000);
      const parts: Buffer[] = [Buffer.from([0, 0, 0, this.int(4)])];
      for (let i = this.int(4) + 1; i > 0; i--) {
        const body = this.bytes(this.int(64));
        const declared = this.random() < 0.2 ? this.pick(EDGE_LENGTHS) : body.length;
        parts.push(optionHeader(this.pick(OPTIONS), declared), body);
      }
      client.write(Buffer.concat(parts));
      await client.waitClosed(20);
      return;
    }
    this.counts.scenarios.requests++;
    await client.open(name);
    this.counts.reachedTransmission++;
    const n = this.int(8) + 1;
    const out: Buffer[] = [];
    /** Read lengths by cookie, from the headers as finally sent: a read reply's data must be skipped. */
    const reads = new Map<number, number>();
    const cookies = new Set<number>();
    // Replies can be checked only when every header went out whole, with its magic and its own cookie.
    let framed = true;
    for (let i = 0; i < n; i++) {
      const bytes = this.request(i);
      out.push(bytes);
      if (bytes.length < 28 || bytes.readUInt32BE(0) !== REQUEST_MAGIC || cookies.has(bytes.readUInt32BE(12))) { framed = false; continue; }
      cookies.add(bytes.readUInt32BE(12));
      if (bytes.readUInt16BE(6) === CMD_READ) reads.set(bytes.readUInt32BE(12), bytes.readUInt32BE(24));
    }
    client.write(Buffer.concat(out));
    if (!framed) {
      await client.waitClosed(30);
      return;
    }
    this.counts.requestsSent += n;
    // Read whatever replies come in a short while; then leave politely or not.
    const until = Date.now() + 30;
    while (Date.now() < until && !client.isClosed) {
      try {
        const reply = await client.read(16, Math.max(1, until - Date.now()));
        const errno = String(reply.readUInt32BE(4));
        if (reply.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC || !cookies.has(reply.readUInt32BE(12)) || !KNOWN_ERRNOS.has(reply.readUInt32BE(4))) {
          this.counts.badReplies++;
          this.counts.lastBadReply = reply.toString('hex');
          break;
        }
        this.counts.replies[errno] = (this.counts.replies[errno] ?? 0) + 1;
        const dataLength = errno === '0' ? reads.get(reply.readUInt32BE(12)) ?? 0 : 0;
        if (dataLength > 0) await client.read(dataLength, Math.max(1, until - Date.now()));
      } catch {
        break;
      }
    }
    if (this.random() < 0.5) client.disconnect();
  }

  /** A request, usually sensible, often at an edge, sometimes mutated; never writes the guard region. */
  private request(cookie: number): Buffer {
    const type = this.random() < 0.85 ? this.pick([CMD_READ, CMD_WRITE, CMD_FLUSH, CMD_TRIM, CMD_WRITE_ZEROES]) : this.int(16);
    let offset = this.random() < 0.3 ? this.pick(EDGE_OFFSETS) : BigInt(this.int(this.options.exportSize));
    let length = this.random() < 0.3 ? this.pick(EDGE_LENGTHS) : this.int(65536) + 1;
    const flags = this.random() < 0.8 ? (this.random() < 0.5 ? 1 : 0) : this.int(0x10000);
    const carriesPayload = type === CMD_WRITE && length <= 65536;
    let header = requestHeader(type, offset, length, cookie, flags);
    if (this.random() < 0.1) header = this.mutate(header);
    if (header.length === 28 && header.readUInt32BE(0) === REQUEST_MAGIC) {
      const finalType = header.readUInt16BE(6);
      offset = header.readBigUInt64BE(16);
      length = header.readUInt32BE(24);
      // The gateway may accept any of these; keep them out of the guard's bytes.
      if ((finalType === CMD_WRITE || finalType === CMD_TRIM || finalType === CMD_WRITE_ZEROES) && offset < BigInt(GUARD_BYTES)) {
        header.writeBigUInt64BE(offset + BigInt(GUARD_BYTES), 16);
      }
      if (finalType === CMD_WRITE && carriesPayload) return Buffer.concat([header, this.bytes(Math.min(length, 65536))]);
    }
    return header;
  }

  /** Write a fresh pattern into the guard region of every export, flush, read it back, compare. */
  async guard(): Promise<void> {
    let round = 0;
    while (!this.done) {
      for (const name of this.options.exports) {
        let client: RawNbdClient | null = null;
        try {
          client = await RawNbdClient.connect(this.options.port, undefined, 10_000);
          await client.open(name);
          const offset = (round % (GUARD_BYTES / GUARD_BLOCK)) * GUARD_BLOCK;
          const pattern = randomBytes(GUARD_BLOCK);
          const wrote = await client.request(CMD_WRITE, offset, GUARD_BLOCK, pattern);
          const flushed = await client.request(CMD_FLUSH, 0, 0);
          const back = await client.request(CMD_READ, offset, GUARD_BLOCK);
          if (wrote.errno !== 0 || flushed.errno !== 0 || back.errno !== 0) throw new Error(`${name}: errno ${wrote.errno}/${flushed.errno}/${back.errno}`);
          if (!back.data.equals(pattern)) this.counts.guard.mismatches++;
          else this.counts.guard.verifiedBytes += GUARD_BLOCK;
          client.disconnect();
        } catch (err) {
          this.counts.guard.failures++;
          this.counts.guard.lastFailure = err instanceof Error ? err.message : String(err);
        } finally {
          client?.destroy();
        }
      }
      this.counts.guard.rounds++;
      round++;
    }
  }
}

/**
 * Drive a running gateway with random and mutated handshakes and requests over many short
 * concurrent connections, while one well-behaved client keeps writing and verifying data.
 */
export async function fuzzGateway(options: FuzzOptions): Promise<FuzzCounts> {
  const seed = options.seed ?? (Math.random() * 2 ** 32) >>> 0;
  const fuzzer = new Fuzzer(options, seed);
  const started = performance.now();
  await Promise.all([
    ...Array.from({ length: options.concurrency ?? 32 }, () => fuzzer.worker()),
    fuzzer.guard(),
  ]);
  fuzzer.counts.seconds = Math.round((performance.now() - started) / 10) / 100;
  return fuzzer.counts;
}

export interface SoakOptions extends Omit<FuzzOptions, 'port' | 'exports' | 'exportSize'> {
  readonly log?: (line: string) => void;
}

/**
 * A gateway with a file LUN and an nbd:// LUN on `nbdkit memory` (when nbdkit is installed),
 * fuzzed in this process. What the soak command and the fuzz test both run.
 */
export async function soakGateway(options: SoakOptions): Promise<FuzzCounts & { exports: string[] }> {
  const exportSize = 64 * 1024 * 1024;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-soak-'));
  let nbdkit: Spawned | null = null;
  let gateway: NbdGateway | null = null;
  try {
    const luns: LunDefinition[] = [{ name: 'file', backend: await openFileBackend({ path: path.join(dir, 'file.img'), size: exportSize }) }];
    try {
      nbdkit = await startNbdkit(['memory', String(exportSize)]);
      luns.push({ name: 'nbd', backend: await openUpstreamBackend({ target: { host: '127.0.0.1', port: nbdkit.port, exportName: '' }, connections: 2 }) });
    } catch (err) {
      options.log?.(`no nbd:// LUN (nbdkit: ${err instanceof Error ? err.message : String(err)}); fuzzing the file LUN only`);
    }
    gateway = new NbdGateway({ luns });
    const { port } = await gateway.listen('127.0.0.1', 0);
    const exports = luns.map((l) => l.name);
    options.log?.(`fuzzing nbd://127.0.0.1:${port} (${exports.join(', ')})`);
    const counts = await fuzzGateway({ ...options, port, exports, exportSize });
    return { ...counts, exports };
  } finally {
    await gateway?.close();
    await nbdkit?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
