import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { headroomVersion, samplesDir, type Logger } from '../runtime/index.js';
import {
  WorkspaceError, WorkspaceSchema, WORKSPACE_FILE_SUFFIX, newWorkspace, openWorkspace, saveWorkspace, validateWorkspace,
} from '../workspace/index.js';
import type { EngineEvents, FileEntry, FileListing, SampleEntry, ScanFinding } from './contract.js';
import type { FileAccess } from './file-access.js';
import type { WorkerLane } from './offload.js';
import { reportMethodHandlers, reportStreamHandlers } from './report-handlers.js';
import { slaMethodHandlers } from './sla-handlers.js';
import { storageMethodHandlers } from './storage-handlers.js';
import { storageProbeStreamHandlers } from './storage-probe-handlers.js';
import type { MethodHandlers, StreamHandlers } from './service.js';
import { RecentWorkspaces } from './recent.js';
import { messagingMethodHandlers, messagingStreamHandlers } from './messaging-handlers.js';
import { smpMethodHandlers, smpStreamHandlers } from './smp-handlers.js';
import { probeStreamHandlers } from './probe-handlers.js';
import { RpcError } from './wire.js';

const startedAt = new Date().toISOString();

function workspaceFailure(err: unknown): never {
  if (err instanceof WorkspaceError) {
    const code = err.code === 'conflict' || err.code === 'refused' ? 'conflict' : err.code === 'unreadable' ? 'not-found' : 'invalid-input';
    throw new RpcError({ code, message: err.detail, where: err.where ? `${err.file} at ${err.where}` : err.file });
  }
  throw err;
}

/** What the handlers share: the file capabilities, the worker lanes, the event sink. */
export interface EngineDeps {
  emit: (topic: 'sla.event', payload: EngineEvents['sla.event']) => void;
  log: Logger;
  files: FileAccess;
  policyLane: WorkerLane;
  reportLane: WorkerLane;
  recent?: RecentWorkspaces;
}

export function createMethodHandlers(deps: EngineDeps): MethodHandlers {
  const { files, log } = deps;
  const recent = deps.recent ?? new RecentWorkspaces();
  /** The folder of a workspace the user opened or saved becomes a root (samples stay read only). */
  const rootAt = async (file: string): Promise<void> => { await files.addRoot(path.dirname(file), 'workspace').catch(() => undefined); };
  return {
    'engine.info': (_params, ctx) => ({
      version: headroomVersion,
      pid: process.pid,
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      cpus: os.availableParallelism(),
      startedAt,
      transport: ctx.transport,
      cwd: process.cwd(),
      samplesDir: samplesDir(),
    }),
    'workspace.new': (params) => newWorkspace(params.name),
    'workspace.open': async (params) => {
      const file = await files.authorize(params.path, 'workspace', 'read');
      const opened = await openWorkspace(file).catch(workspaceFailure);
      await rootAt(opened.path);
      return opened;
    },
    'workspace.save': async (params) => {
      const file = await files.authorize(params.path, 'workspace', 'write');
      try {
        const workspace = validateWorkspace(file, params.workspace);
        const saved = await saveWorkspace(file, { ...workspace, updatedAt: new Date().toISOString() }, {
          baseHash: params.baseHash, overwrite: params.overwrite,
        });
        await rootAt(saved.path);
        return saved;
      } catch (err) {
        return workspaceFailure(err);
      }
    },
    'workspace.schema': () => WorkspaceSchema,
    'files.list': async (params) => listFiles(files, params.dir ?? defaultBrowseDir(files), params.suffix),
    'files.choose': async (params) => ({ path: await files.grantFromDialog(params.path, params.purpose, params.mode) }),
    'samples.list': async () => listSamples(),
    'recent.list': async () => {
      // Written only with workspaces the user opened or saved: each is theirs to reopen.
      const list = await recent.list();
      const reachable: string[] = [];
      for (const file of list) {
        // 'save' mode: a recent file that has gone since still shows, and opening it says so.
        try { reachable.push(await files.grantChosen(file, 'workspace', 'save')); } catch { /* its folder has gone */ }
      }
      return reachable;
    },
    'recent.add': async (params) => recent.add(await files.authorize(params.path, 'workspace', 'read')),
    ...smpMethodHandlers(),
    ...slaMethodHandlers(deps),
    ...reportMethodHandlers(deps),
    ...storageMethodHandlers(deps),
    ...messagingMethodHandlers(),
  };
}

/** Where the in-app dialog opens first: the working folder if it may be shown, else the first root. */
function defaultBrowseDir(files: FileAccess): string {
  const cwd = process.cwd();
  const roots = files.browsingRoots();
  const home = roots.find((r) => cwd === r.dir || cwd.startsWith(r.dir + path.sep));
  return home ? cwd : roots[0]?.dir ?? os.homedir();
}

export function createStreamHandlers(deps: EngineDeps): StreamHandlers {
  const { files } = deps;
  return {
    'workspace.scan': async (params, ctx) => {
      // Scans show names and read workspaces: only where the in-app dialog may look.
      const root = (await files.listable(params.dir)).dir;
      const findings: ScanFinding[] = [];
      let scanned = 0;
      const walk = async (dir: string, depth: number): Promise<void> => {
        if (ctx.signal.aborted) throw new RpcError({ code: 'cancelled', message: 'scan cancelled' });
        let entries;
        try { entries = await fs.readdir(dir, { withFileTypes: true }); } catch { return; }
        for (const entry of entries) {
          if (ctx.signal.aborted) throw new RpcError({ code: 'cancelled', message: 'scan cancelled' });
          const full = path.join(dir, entry.name);
          if (entry.isDirectory() && depth > 0 && !entry.name.startsWith('.') && entry.name !== 'node_modules') {
            await walk(full, depth - 1);
          } else if (entry.isFile()) {
            scanned++;
            if (entry.name.endsWith(WORKSPACE_FILE_SUFFIX)) {
              try {
                const opened = await openWorkspace(full);
                findings.push({ path: full, ok: true, name: opened.workspace.name });
              } catch (err) {
                findings.push({ path: full, ok: false, problem: err instanceof Error ? err.message : String(err) });
              }
            }
            ctx.progress({ scanned, found: findings.length, current: full });
          }
        }
      };
      await walk(root, params.maxDepth ?? 4);
      return { dir: root, findings, scanned };
    },
    ...smpStreamHandlers(),
    ...probeStreamHandlers(),
    ...storageProbeStreamHandlers(deps),
    ...messagingStreamHandlers(),
    ...reportStreamHandlers(deps),
  };
}

/** Lists only where the in-app dialog may look, never hidden entries. */
async function listFiles(files: FileAccess, dirInput: string, suffix: string | undefined): Promise<FileListing> {
  const { dir, parent } = await files.listable(dirInput);
  let dirents;
  try {
    dirents = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new RpcError({ code: 'not-found', message: `cannot list folder (${(err as NodeJS.ErrnoException).code ?? 'error'})`, where: dir });
  }
  const entries: FileEntry[] = [];
  for (const d of dirents) {
    if (d.name.startsWith('.')) continue;
    const isDir = d.isDirectory();
    if (!isDir && !(d.isFile() && (!suffix || d.name.endsWith(suffix)))) continue;
    const full = path.join(dir, d.name);
    try {
      const stat = await fs.stat(full);
      entries.push({ name: d.name, path: full, kind: isDir ? 'dir' : 'file', size: stat.size, modifiedAt: stat.mtime.toISOString() });
    } catch { /* vanished while listing */ }
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  return { dir, parent, entries, roots: files.browsingRoots().map((r) => r.dir) };
}

async function listSamples(): Promise<SampleEntry[]> {
  const dir = samplesDir();
  let names: string[];
  try { names = await fs.readdir(dir); } catch { return []; }
  const samples: SampleEntry[] = [];
  for (const name of names.filter((n) => n.endsWith(WORKSPACE_FILE_SUFFIX)).sort()) {
    try {
      const opened = await openWorkspace(path.join(dir, name));
      samples.push({ name, path: opened.path, title: opened.workspace.name, description: opened.workspace.description });
    } catch { /* a broken sample is reported by the samples test, not here */ }
  }
  return samples;
}
