import { promises as fs, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { FilePurpose } from './contract.js';
import { RpcError } from './wire.js';

/**
 * The engine touches files by capability. A path reaches a reader or writer only if
 *  - the user chose it: in a native dialog (Electron main hands the engine a grant) or in the
 *    in-app dialog (files.choose, which lists and grants only under the browsing roots), or
 *  - it lies inside a root: the folder of a workspace the user opened or saved, a folder the
 *    user added, or the samples folder (read only).
 * Every file also has to be of the kind the call expects (by name, and by content before it is
 * overwritten), and hidden files and folders below a root are never reached. So with a valid
 * token a page still cannot read ~/.ssh/id_rsa or /etc/passwd, nor write over ~/.bashrc.
 */
export type { FilePurpose };

interface PurposeRule {
  label: string;
  /** Endings the name must have (lower case); a folder purpose has none. */
  suffixes: readonly string[];
  folder: boolean;
  /** Whether an existing file's first bytes are of this kind, so it may be replaced. */
  replaceable(head: Buffer): boolean;
}

const isText = (head: Buffer): boolean => !head.includes(0);
const startsWith = (prefix: string) => (head: Buffer): boolean => head.length === 0 || head.subarray(0, prefix.length).toString('latin1') === prefix;

export const PURPOSES: ReadonlyMap<FilePurpose, PurposeRule> = new Map<FilePurpose, PurposeRule>([
  // The workspace saver checks the old file is a valid workspace itself (it names the problem).
  ['workspace', { label: 'workspace', suffixes: ['.headroom.json'], folder: false, replaceable: isText }],
  ['policy', { label: 'policy', suffixes: ['.yaml', '.yml'], folder: false, replaceable: isText }],
  ['sla-db', { label: 'SLA database', suffixes: ['.db', '.sqlite', '.sqlite3'], folder: false, replaceable: startsWith('SQLite format 3\0') }],
  ['report-pdf', { label: 'PDF', suffixes: ['.pdf'], folder: false, replaceable: startsWith('%PDF-') }],
  ['report-html', { label: 'Headroom HTML report', suffixes: ['.html', '.htm'], folder: false, replaceable: (head) => head.length === 0 || head.toString('utf8').includes('<meta name="generator" content="Headroom') }],
  ['report-csv', { label: 'CSV folder', suffixes: [], folder: true, replaceable: () => true }],
]);

export type RootSource = 'workspace' | 'user' | 'samples';
interface Root { dir: string; write: boolean; source: RootSource }

/** Bounds: a page cannot grow the engine's tables without limit. */
const MAX_FILE_GRANTS = 10_000;
const MAX_ROOTS = 256;

export interface FileAccessOptions {
  /** Where the in-app dialog may browse (listing only; nothing here is readable until chosen). */
  browseRoots?: readonly string[];
  samplesDir?: string | null;
}

export interface BrowseRoot { dir: string; label: string }

function inside(dir: string, target: string): boolean {
  return target === dir || target.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

function hiddenBelow(root: string, target: string): boolean {
  return path.relative(root, target).split(path.sep).some((segment) => segment.startsWith('.') && segment !== '' && segment !== '.');
}

function forbidden(where: string, message: string): RpcError {
  return new RpcError({ code: 'forbidden', message, where });
}

interface Target { asked: string; real: string; stat: Stats | null }

/** The real location of a path, following symlinks, for a file that may not exist yet. */
async function locate(input: string): Promise<Target> {
  const asked = path.resolve(input);
  let link: Stats | null = null;
  try { link = await fs.lstat(asked); } catch { link = null; }
  try {
    const real = await fs.realpath(asked);
    return { asked, real, stat: await fs.stat(real) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw forbidden(asked, `cannot be reached (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  // A dangling symlink would be followed by a writer: refuse it rather than create its target.
  if (link?.isSymbolicLink()) throw forbidden(asked, 'is a symbolic link to nothing; refusing to write through it');
  let parent: string;
  try { parent = await fs.realpath(path.dirname(asked)); } catch {
    throw new RpcError({ code: 'not-found', message: 'its folder does not exist', where: asked });
  }
  return { asked, real: path.join(parent, path.basename(asked)), stat: null };
}

export class FileAccess {
  private readonly grants = new Map<string, Set<FilePurpose>>();
  private readonly roots = new Map<string, Root>();
  private readonly browse: BrowseRoot[];

  constructor(options: FileAccessOptions = {}) {
    this.browse = [];
    for (const dir of options.browseRoots ?? []) {
      let resolved = path.resolve(dir);
      try { resolved = realpathSync(resolved); } catch { continue; }
      // The file system's root is never a browsing root: it would show the whole machine.
      if (path.dirname(resolved) !== resolved) this.browse.push({ dir: resolved, label: resolved });
    }
    if (options.samplesDir) {
      let samples = path.resolve(options.samplesDir);
      try { samples = realpathSync(samples); } catch { /* a missing samples folder grants nothing */ }
      this.roots.set(samples, { dir: samples, write: false, source: 'samples' });
    }
  }

  /** Folders the in-app dialog can show: the browsing roots and every access root. */
  browsingRoots(): BrowseRoot[] {
    const all = [...this.browse, ...[...this.roots.values()].map((r) => ({ dir: r.dir, label: r.dir }))];
    return all.filter((r, i) => all.findIndex((o) => o.dir === r.dir) === i);
  }

  /**
   * A root whose files (of the expected kinds, not hidden) the engine may read, and write unless
   * read-only. The workspace folder is added when the user opens or saves a workspace there.
   */
  async addRoot(dir: string, source: RootSource, write = source !== 'samples'): Promise<string> {
    const target = await locate(dir);
    if (!target.stat?.isDirectory()) throw new RpcError({ code: 'not-found', message: 'is not a folder', where: target.asked });
    if (path.dirname(target.real) === target.real) throw forbidden(target.asked, 'the whole file system cannot be a root; choose a folder');
    // Inside the samples (read only) or an existing root: nothing to add, and nothing to upgrade.
    const covering = [...this.roots.values()].find((r) => inside(r.dir, target.real) && (r.source === 'samples' || r.write || !write));
    if (covering) return target.real;
    const existing = this.roots.get(target.real);
    if (existing) { existing.write ||= write; return target.real; }
    if (this.roots.size >= MAX_ROOTS) {
      const oldest = [...this.roots.values()].find((r) => r.source !== 'samples');
      if (oldest) this.roots.delete(oldest.dir);
    }
    this.roots.set(target.real, { dir: target.real, write, source });
    return target.real;
  }

  /**
   * The user chose this path in a native dialog (Electron main calls this through the engine's
   * parent port). Only the kind is checked: the dialog itself is the user's intent.
   */
  async grantChosen(input: string, purpose: FilePurpose, mode: 'open' | 'save'): Promise<string> {
    const target = await locate(input);
    this.checkKind(target, purpose, mode === 'save' ? 'write' : 'read');
    if (mode === 'open' && !target.stat) throw new RpcError({ code: 'not-found', message: 'does not exist', where: target.asked });
    this.remember(target.real, purpose);
    // When no Chromium is found the PDF's HTML is written beside it instead: the same choice covers it.
    if (purpose === 'report-pdf') this.remember(target.real.replace(/\.pdf$/i, '') + '.html', 'report-html');
    return target.asked;
  }

  /**
   * The in-app dialog's choice (browser mode has no native dialog). The page can call this as
   * well as the dialog can, so it grants only what the dialog could show: inside the browsing
   * roots, no hidden file or folder, and of the purpose's kind.
   */
  async grantFromDialog(input: string, purpose: FilePurpose, mode: 'open' | 'save'): Promise<string> {
    const target = await locate(input);
    this.checkBrowsable(target.asked, path.dirname(target.real), target.real);
    return this.grantChosen(target.asked, purpose, mode);
  }

  /** A folder the in-app dialog may list, with its parent if that is listable too. */
  async listable(dirInput: string): Promise<{ dir: string; parent: string | null }> {
    const target = await locate(dirInput);
    if (!target.stat?.isDirectory()) throw new RpcError({ code: 'not-found', message: 'is not a folder', where: target.asked });
    this.checkBrowsable(target.asked, target.real, target.real);
    const parent = path.dirname(target.asked);
    const realParent = path.dirname(target.real);
    const parentOk = parent !== target.asked && this.browsingRoots().some((r) => inside(r.dir, realParent) && !hiddenBelow(r.dir, realParent));
    return { dir: target.asked, parent: parentOk ? parent : null };
  }

  /**
   * The check before every read or write: returns the path to open (symlinks resolved) or throws
   * a 'forbidden' error saying why and what to do instead.
   */
  async authorize(input: string, purpose: FilePurpose, access: 'read' | 'write'): Promise<string> {
    const target = await locate(input);
    this.checkKind(target, purpose, access);
    if (this.grants.get(target.real)?.has(purpose)) return target.real;
    for (const root of this.roots.values()) {
      if (!inside(root.dir, target.real)) continue;
      if (hiddenBelow(root.dir, target.real)) throw forbidden(target.asked, 'hidden files and folders are not opened; choose another file');
      if (access === 'write' && !root.write) throw forbidden(target.asked, `the ${root.source} folder is read only; save under another name`);
      return target.real;
    }
    throw forbidden(target.asked, `Headroom reads and writes only files you chose in a dialog or inside the open workspace's folder; choose this ${PURPOSES.get(purpose)!.label} with the "…" or Open/Save As button`);
  }

  /** Before replacing an existing file: it must already be of the expected kind. */
  async checkReplaceable(real: string, purpose: FilePurpose): Promise<void> {
    const rule = PURPOSES.get(purpose)!;
    if (rule.folder) return;
    let head: Buffer;
    try {
      const handle = await fs.open(real, 'r');
      try {
        const buffer = Buffer.alloc(4096);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        head = buffer.subarray(0, bytesRead);
      } finally { await handle.close(); }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw forbidden(real, `cannot be checked before replacing it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (!rule.replaceable(head)) throw forbidden(real, `exists and is not a ${rule.label}; refusing to overwrite it`);
  }

  private remember(real: string, purpose: FilePurpose): void {
    let set = this.grants.get(real);
    if (!set) {
      if (this.grants.size >= MAX_FILE_GRANTS) this.grants.delete(this.grants.keys().next().value!);
      set = new Set();
      this.grants.set(real, set);
    }
    set.add(purpose);
  }

  private checkKind(target: Target, purpose: FilePurpose, access: 'read' | 'write'): void {
    const rule = PURPOSES.get(purpose);
    if (!rule) throw new RpcError({ code: 'bad-request', message: `unknown file purpose "${purpose}"` });
    if (rule.folder) {
      if (target.stat && !target.stat.isDirectory()) throw forbidden(target.asked, `is not a folder; a ${rule.label} is a folder`);
      return;
    }
    const named = (p: string): boolean => rule.suffixes.some((s) => p.toLowerCase().endsWith(s));
    if (!named(target.asked) || !named(target.real)) {
      throw forbidden(target.asked, `is not a ${rule.label} (its name must end in ${rule.suffixes.join(' or ')}); refusing to ${access} it`);
    }
    if (target.stat && !target.stat.isFile()) throw forbidden(target.asked, `is not a regular file; refusing to ${access} it`);
  }

  private checkBrowsable(asked: string, realDir: string, realTarget: string): void {
    const roots = this.browsingRoots();
    const root = roots.find((r) => inside(r.dir, realDir));
    if (!root) {
      throw forbidden(asked, `is outside the folders this dialog shows (${roots.map((r) => r.dir).join(', ') || 'none'})`);
    }
    if (hiddenBelow(root.dir, realTarget)) throw forbidden(asked, 'hidden files and folders are not shown or opened');
  }
}
