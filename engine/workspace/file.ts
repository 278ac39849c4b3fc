import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { WorkspaceError } from './errors.js';
import { parseWorkspace, validateWorkspace } from './validate.js';
import type { Workspace } from './schema.js';

export interface OpenedWorkspace {
  path: string;
  workspace: Workspace;
  /** sha256 of the bytes on disk, so a later save can tell whether someone else changed the file. */
  hash: string;
}

export function hashBytes(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function serializeWorkspace(workspace: Workspace): string {
  return JSON.stringify(workspace, null, 2) + '\n';
}

export async function openWorkspace(file: string): Promise<OpenedWorkspace> {
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = await fs.readFile(resolved, 'utf8');
  } catch (err) {
    throw new WorkspaceError(resolved, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'unreadable');
  }
  return { path: resolved, workspace: parseWorkspace(resolved, text), hash: hashBytes(text) };
}

export interface SaveOptions {
  /**
   * Hash of the file as it was opened. When the file on disk no longer has it, someone else
   * changed it and the save is refused rather than silently overwriting their work.
   */
  baseHash?: string | undefined;
  /** Allow replacing an existing, valid workspace that was not the one opened (Save As onto a file). */
  overwrite?: boolean | undefined;
}

/**
 * Atomic save: write a temporary file beside the target, fsync it, rename over the target, fsync
 * the folder. Whatever happens, the target holds either the old bytes or the new ones. A target
 * that exists but is not a valid workspace is never replaced: it may be a user's file that
 * Headroom failed to read, and it stays byte-for-byte as it was.
 */
export async function saveWorkspace(file: string, workspace: Workspace, options: SaveOptions = {}): Promise<OpenedWorkspace> {
  const resolved = path.resolve(file);
  validateWorkspace(resolved, workspace);
  const existing = await readIfExists(resolved);
  if (existing !== undefined) {
    try {
      parseWorkspace(resolved, existing);
    } catch (err) {
      const reason = err instanceof WorkspaceError ? err.message : String(err);
      throw new WorkspaceError(resolved, '', `refusing to overwrite a file that is not a valid workspace (${reason}); save under another name`, 'refused');
    }
    const currentHash = hashBytes(existing);
    if (options.baseHash !== undefined && options.baseHash !== currentHash) {
      throw new WorkspaceError(resolved, '', 'changed on disk since it was opened; reopen it or save under another name', 'conflict');
    }
    if (options.baseHash === undefined && !options.overwrite) {
      throw new WorkspaceError(resolved, '', 'already exists; confirm to overwrite it', 'conflict');
    }
  }
  const text = serializeWorkspace(workspace);
  const dir = path.dirname(resolved);
  const temp = path.join(dir, `.${path.basename(resolved)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await fs.open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw new WorkspaceError(resolved, '', `could not be written (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'unreadable');
  }
  await handle.close();
  try {
    await fs.rename(temp, resolved);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw new WorkspaceError(resolved, '', `could not be replaced (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'unreadable');
  }
  await syncDirectory(dir);
  return { path: resolved, workspace, hash: hashBytes(text) };
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WorkspaceError(file, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'unreadable');
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename durable across a power cut; some filesystems refuse fsync on folders.
  try {
    const handle = await fs.open(dir, 'r');
    try { await handle.sync(); } finally { await handle.close(); }
  } catch { /* best effort */ }
}
