import { createHash } from 'node:crypto';
import path from 'node:path';
import { AtomicWriteError, FileTooLargeError, readFileBounded, writeFileAtomic } from './atomic.js';
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

/** Workspaces hold settings and summaries, not data sets: anything larger is not one of ours. */
export const MAX_WORKSPACE_BYTES = 16 * 1024 * 1024;

async function readWorkspaceText(resolved: string): Promise<string | undefined> {
  try {
    return (await readFileBounded(resolved, MAX_WORKSPACE_BYTES)).toString('utf8');
  } catch (err) {
    if (err instanceof FileTooLargeError) {
      throw new WorkspaceError(resolved, '', `is ${err.size} bytes, over the ${MAX_WORKSPACE_BYTES}-byte limit for a workspace`, 'invalid');
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WorkspaceError(resolved, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'unreadable');
  }
}

export async function openWorkspace(file: string): Promise<OpenedWorkspace> {
  const resolved = path.resolve(file);
  const text = await readWorkspaceText(resolved);
  if (text === undefined) throw new WorkspaceError(resolved, '', 'cannot be read (ENOENT)', 'unreadable');
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
 * Atomic save (writeFileAtomic): whatever happens, the target holds either the old bytes or the
 * new ones, and temp files an interrupted save left beside it are removed. A target
 * that exists but is not a valid workspace is never replaced: it may be a user's file that
 * Headroom failed to read, and it stays byte-for-byte as it was.
 */
export async function saveWorkspace(file: string, workspace: Workspace, options: SaveOptions = {}): Promise<OpenedWorkspace> {
  const resolved = path.resolve(file);
  validateWorkspace(resolved, workspace);
  const existing = await readWorkspaceText(resolved);
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
  try {
    await writeFileAtomic(resolved, text);
  } catch (err) {
    if (err instanceof AtomicWriteError) throw new WorkspaceError(resolved, '', err.detail, 'unreadable');
    throw err;
  }
  return { path: resolved, workspace, hash: hashBytes(text) };
}
