import { randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';

/**
 * Atomic replacement of a file: write a temporary file beside the target, fsync it, rename it
 * over the target, fsync the folder. The target holds the old bytes or the new ones, never a
 * mix, and a symlink at the target is replaced, not followed.
 *
 * The temporary file is `.<name>.<pid>.<8 hex>.tmp`. A process killed mid-save leaves one
 * behind; the next save of the same file removes those whose writer is gone.
 */
const inFlight = new Set<string>();

/** Temp files older than this are orphans even if their pid has been reused by another process. */
const ORPHAN_AGE_MS = 10 * 60_000;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tempPattern(file: string): RegExp {
  return new RegExp(`^\\.${escapeRegExp(path.basename(file))}\\.(\\d{1,10})\\.[0-9a-f]{8}\\.tmp$`);
}

export function tempFileFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Removes temp files an interrupted save of `file` left behind; returns the names removed. */
export async function removeOrphanTemps(file: string, now: number = Date.now()): Promise<string[]> {
  const dir = path.dirname(file);
  const pattern = tempPattern(file);
  let names: string[];
  try { names = await fs.readdir(dir); } catch { return []; }
  const removed: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const full = path.join(dir, name);
    if (inFlight.has(full)) continue;
    const pid = Number(match[1]);
    let stale = !processAlive(pid) || pid === process.pid;
    if (!stale) {
      try { stale = now - (await fs.lstat(full)).mtimeMs > ORPHAN_AGE_MS; } catch { continue; }
    }
    if (!stale) continue;
    try { await fs.rm(full, { force: true }); removed.push(name); } catch { /* another saver got it */ }
  }
  return removed;
}

export class AtomicWriteError extends Error {
  readonly detail: string;
  constructor(readonly file: string, readonly step: 'write' | 'replace', readonly errno: string) {
    const detail = `could not be ${step === 'write' ? 'written' : 'replaced'} (${errno})`;
    super(`${file}: ${detail}`);
    this.detail = detail;
    this.name = 'AtomicWriteError';
  }
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const resolved = path.resolve(file);
  await removeOrphanTemps(resolved);
  const temp = tempFileFor(resolved);
  inFlight.add(temp);
  try {
    let handle;
    try {
      handle = await fs.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
    } catch (err) {
      throw new AtomicWriteError(resolved, 'write', (err as NodeJS.ErrnoException).code ?? String(err));
    }
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await fs.rm(temp, { force: true });
      throw new AtomicWriteError(resolved, 'write', (err as NodeJS.ErrnoException).code ?? String(err));
    }
    await handle.close();
    try {
      await fs.rename(temp, resolved);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw new AtomicWriteError(resolved, 'replace', (err as NodeJS.ErrnoException).code ?? String(err));
    }
  } finally {
    inFlight.delete(temp);
  }
  await syncDirectory(path.dirname(resolved));
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename durable across a power cut; some filesystems refuse fsync on folders.
  try {
    const handle = await fs.open(dir, 'r');
    try { await handle.sync(); } finally { await handle.close(); }
  } catch { /* best effort */ }
}

export class FileTooLargeError extends Error {
  constructor(readonly file: string, readonly size: number, readonly limit: number) {
    super(`${file}: is ${size} bytes, over the ${limit}-byte limit for this kind of file`);
    this.name = 'FileTooLargeError';
  }
}

/**
 * Reads a file only if it fits: the size is checked before reading, and at most limit+1 bytes
 * are read even if the file grows meanwhile (or claims size 0, as /proc files do).
 */
export async function readFileBounded(file: string, limit: number): Promise<Buffer> {
  const handle = await fs.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    if (stat.size > limit) throw new FileTooLargeError(file, stat.size, limit);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(stat.size - total, 64 * 1024), limit + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw new FileTooLargeError(file, total, limit);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
