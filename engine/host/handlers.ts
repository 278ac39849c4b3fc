import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { headroomVersion, samplesDir, type Logger } from '../runtime/index.js';
import {
  WorkspaceError, WorkspaceSchema, WORKSPACE_FILE_SUFFIX, newWorkspace, openWorkspace, saveWorkspace, validateWorkspace,
} from '../workspace/index.js';
import type { EngineEvents, FileEntry, FileListing, SampleEntry, ScanFinding } from './contract.js';
import { reportMethodHandlers, reportStreamHandlers } from './report-handlers.js';
import { slaMethodHandlers } from './sla-handlers.js';
import type { MethodHandlers, StreamHandlers } from './service.js';
import { RecentWorkspaces } from './recent.js';
import { messagingMethodHandlers, messagingStreamHandlers } from './messaging-handlers.js';
import { smpMethodHandlers, smpStreamHandlers } from './smp-handlers.js';
import { RpcError } from './wire.js';

const startedAt = new Date().toISOString();

function workspaceFailure(err: unknown): never {
  if (err instanceof WorkspaceError) {
    const code = err.code === 'conflict' || err.code === 'refused' ? 'conflict' : err.code === 'unreadable' ? 'not-found' : 'invalid-input';
    throw new RpcError({ code, message: err.detail, where: err.where ? `${err.file} at ${err.where}` : err.file });
  }
  throw err;
}

export function createMethodHandlers(
  emit: (topic: 'sla.event', payload: EngineEvents['sla.event']) => void,
  log: Logger,
  recent: RecentWorkspaces = new RecentWorkspaces(),
): MethodHandlers {
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
    'workspace.open': async (params) => openWorkspace(params.path).catch(workspaceFailure),
    'workspace.save': async (params) => {
      try {
        const workspace = validateWorkspace(path.resolve(params.path), params.workspace);
        return await saveWorkspace(params.path, { ...workspace, updatedAt: new Date().toISOString() }, {
          baseHash: params.baseHash, overwrite: params.overwrite,
        });
      } catch (err) {
        return workspaceFailure(err);
      }
    },
    'workspace.schema': () => WorkspaceSchema,
    'files.list': async (params) => listFiles(params.dir ?? process.cwd(), params.suffix),
    'samples.list': async () => listSamples(),
    'recent.list': () => recent.list(),
    'recent.add': (params) => recent.add(path.resolve(params.path)),
    ...smpMethodHandlers(),
    ...slaMethodHandlers(emit, log),
    ...messagingMethodHandlers(),
    ...reportMethodHandlers(),
  };
}

export function createStreamHandlers(): StreamHandlers {
  return {
    'workspace.scan': async (params, ctx) => {
      const root = path.resolve(params.dir);
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
    ...messagingStreamHandlers(),
    ...reportStreamHandlers(),
  };
}

async function listFiles(dirInput: string, suffix: string | undefined): Promise<FileListing> {
  const dir = path.resolve(dirInput);
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
  const parent = path.dirname(dir);
  return { dir, parent: parent === dir ? null : parent, entries };
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
