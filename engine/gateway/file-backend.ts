import { open, type FileHandle } from 'node:fs/promises';
import fs from 'node:fs';
import {
  CMD_BLOCK_STATUS, CMD_FLAG_FUA, CMD_FLUSH, CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES, DEFAULT_MAX_PAYLOAD,
  EINVAL, EIO, ENOSPC, FLAG_CAN_MULTI_CONN, FLAG_HAS_FLAGS, FLAG_READ_ONLY, FLAG_SEND_FLUSH,
  FLAG_SEND_FUA, FLAG_SEND_TRIM, FLAG_SEND_WRITE_ZEROES,
} from './nbd-constants.js';
import type { BackendHealth, BackendIo, BlockBackend } from './backend.js';
import { allDataExtents } from './block-status.js';

const ZERO_CHUNK = Buffer.alloc(1024 * 1024);

export interface FileBackendOptions {
  readonly path: string;
  readonly size: number;
  readonly readOnly?: boolean;
}

/**
 * A LUN stored in a local file. A missing file is created sparse at the configured size,
 * and a shorter one is extended (sparsely); data already in it is kept.
 */
export async function openFileBackend(options: FileBackendOptions): Promise<BlockBackend> {
  let handle: FileHandle;
  try {
    handle = await open(options.path, options.readOnly ? 'r' : fs.existsSync(options.path) ? 'r+' : 'w+');
  } catch (err) {
    throw new Error(`file:${options.path}: cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const stat = await handle.stat();
  if (stat.size < options.size) {
    if (options.readOnly) {
      await handle.close();
      throw new Error(`file:${options.path}: is ${stat.size} bytes, shorter than the configured ${options.size}, and read-only`);
    }
    await handle.truncate(options.size);
  }
  return new FileBackend(handle, options);
}

class FileBackend implements BlockBackend {
  readonly location: string;
  readonly size: number;
  readonly transmissionFlags: number;
  readonly maxPayload = DEFAULT_MAX_PAYLOAD;
  private readonly fd: number;
  private readonly listeners: ((health: BackendHealth) => void)[] = [];
  private failed = false;

  constructor(private readonly handle: FileHandle, options: FileBackendOptions) {
    this.fd = handle.fd;
    this.location = `file:${options.path}`;
    this.size = options.size;
    // One descriptor and no cache of our own: flushes cover every connection (multi-conn safe).
    this.transmissionFlags = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA | FLAG_SEND_TRIM |
      FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN | (options.readOnly ? FLAG_READ_ONLY : 0);
  }

  onHealth(listener: (health: BackendHealth) => void): void {
    this.listeners.push(listener);
  }

  submit(io: BackendIo): void {
    switch (io.type) {
      case CMD_READ: this.read(io); return;
      case CMD_WRITE: this.write(io, io.payload ?? Buffer.alloc(0), 0, io.offset); return;
      case CMD_WRITE_ZEROES: this.writeZeroes(io, io.offset, io.length); return;
      case CMD_FLUSH: this.sync(io); return;
      // Trim is a hint the protocol lets a server ignore; the data then reads back unchanged.
      case CMD_TRIM: io.complete(0, null); return;
      // Node's fs has no lseek(SEEK_DATA/SEEK_HOLE) (fs-ext, the npm package that wraps lseek,
      // is a native addon this project does not build), so every extent is reported as data;
      // the gateway says so in a log line at start.
      case CMD_BLOCK_STATUS: io.complete(0, allDataExtents(io.length)); return;
      default: io.complete(EINVAL, null);
    }
  }

  private read(io: BackendIo): void {
    const data = Buffer.allocUnsafe(io.length);
    const step = (filled: number): void => {
      if (filled === io.length) { io.complete(0, data); return; }
      fs.read(this.fd, data, filled, io.length - filled, io.offset + filled, (err, n) => {
        if (err) { io.complete(this.errno(err), null); return; }
        if (n === 0) { data.fill(0, filled); io.complete(0, data); return; }
        step(filled + n);
      });
    };
    step(0);
  }

  private write(io: BackendIo, data: Buffer, done: number, position: number): void {
    if (done === data.length) { this.afterWrite(io); return; }
    fs.write(this.fd, data, done, data.length - done, position, (err, n) => {
      if (err) { io.complete(this.errno(err), null); return; }
      this.write(io, data, done + n, position + n);
    });
  }

  private writeZeroes(io: BackendIo, position: number, remaining: number): void {
    if (remaining === 0) { this.afterWrite(io); return; }
    const n = Math.min(remaining, ZERO_CHUNK.length);
    fs.write(this.fd, ZERO_CHUNK, 0, n, position, (err, written) => {
      if (err) { io.complete(this.errno(err), null); return; }
      this.writeZeroes(io, position + written, remaining - written);
    });
  }

  private afterWrite(io: BackendIo): void {
    if ((io.flags & CMD_FLAG_FUA) !== 0) this.sync(io);
    else io.complete(0, null);
  }

  private sync(io: BackendIo): void {
    fs.fdatasync(this.fd, (err) => io.complete(err ? this.errno(err) : 0, null));
  }

  private errno(err: NodeJS.ErrnoException): number {
    if (err.code === 'ENOSPC') return ENOSPC;
    if (!this.failed) {
      this.failed = true;
      for (const listener of this.listeners) listener({ state: 'down', reason: `${this.location}: ${err.code ?? err.message}` });
    }
    return EIO;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
