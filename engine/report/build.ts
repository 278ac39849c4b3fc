import { hashBytes, openWorkspace, serializeWorkspace, validateWorkspace, type Workspace } from '../workspace/index.js';
import { ReportError, throwIfAborted } from './errors.js';
import type { MachineDescription, ReportModel, ReportSection } from './model.js';
import { describeMachine } from '../runtime/index.js';
import { provenanceOf } from './provenance.js';
import { sectionBuilders, type ReportItem, type SectionBuilder } from './sections/index.js';

/** A workspace the app already holds; `hash` is OpenedWorkspace.hash when it matches the file on disk. */
export interface WorkspaceInMemory {
  workspace: Workspace;
  path?: string | null;
  hash?: string;
}

export interface ReportProgress {
  done: number;
  total: number;
  label: string;
}

export interface BuildOptions {
  /** Section kinds (`smp`), qualified item names (`smp.scenario.figure-7`) or bare ids (`figure-7`). */
  only?: readonly string[];
  onProgress?: (progress: ReportProgress) => void;
  signal?: AbortSignal;
  /** For reproducible tests; default now. */
  now?: Date;
  machine?: MachineDescription;
  builders?: readonly SectionBuilder[];
}

/** What `--only` accepts for this workspace, by section kind: the Reports view's checklist. */
export function reportItems(workspace: Workspace, builders: readonly SectionBuilder[] = sectionBuilders): { kind: string; title: string; items: ReportItem[] }[] {
  return builders.map((b) => ({ kind: b.kind, title: b.title, items: distinctTitles(b.items(workspace)) })).filter((k) => k.items.length > 0);
}

/** Two sweeps may share a name; in a list to choose from, each must read differently. */
function distinctTitles(items: ReportItem[]): ReportItem[] {
  const count = new Map<string, number>();
  for (const i of items) count.set(i.title, (count.get(i.title) ?? 0) + 1);
  return items.map((i) => ((count.get(i.title) ?? 0) > 1 ? { ...i, title: `${i.title} (${i.name})` } : i));
}

/**
 * Build the report model: open (or take) the workspace, recompute what can be recomputed, and
 * collect parameters, tables, charts and provenance. A bad workspace throws WorkspaceError
 * naming the file; a bad `only` name throws ReportError listing the accepted names.
 */
export async function buildReport(source: string | WorkspaceInMemory, options: BuildOptions = {}): Promise<ReportModel> {
  const builders = options.builders ?? sectionBuilders;
  let workspace: Workspace;
  let workspacePath: string | null;
  let sha256: string;
  let hashOf: 'file' | 'in-memory';
  if (typeof source === 'string') {
    const opened = await openWorkspace(source);
    ({ workspace, path: workspacePath, hash: sha256 } = opened);
    hashOf = 'file';
  } else {
    workspacePath = source.path ?? null;
    workspace = validateWorkspace(workspacePath ?? 'workspace', source.workspace);
    sha256 = source.hash ?? hashBytes(serializeWorkspace(workspace));
    hashOf = source.hash !== undefined ? 'file' : 'in-memory';
  }
  throwIfAborted(options.signal);
  const catalogue = reportItems(workspace, builders);
  const wanted = resolveSelection(options.only, catalogue, workspacePath ?? workspace.name);
  const total = catalogue.reduce((n, k) => n + k.items.filter((i) => wanted === null || wanted.has(i.name)).length, 0);
  const machine = options.machine ?? describeMachine();
  let done = 0;
  options.onProgress?.({ done, total, label: 'starting' });
  const sections: ReportSection[] = [];
  for (const builder of builders) {
    const section = await builder.build({
      workspace,
      machine,
      wants: (name) => wanted === null || wanted.has(name),
      step: async (label) => {
        done++;
        options.onProgress?.({ done, total, label });
        // Lets a Ctrl+C or an RPC cancel land between items of a long report.
        await new Promise<void>((resolve) => setImmediate(resolve));
        throwIfAborted(options.signal);
      },
    });
    if (section) sections.push(section);
  }
  return {
    title: workspace.name,
    description: workspace.description,
    owner: workspace.owner ?? null,
    provenance: provenanceOf({ workspaceName: workspace.name, workspacePath, sha256, hashOf, now: options.now ?? new Date(), machine }),
    only: options.only && options.only.length > 0 ? [...options.only] : null,
    sections,
  };
}

/** Expand `only` names to qualified item names; null means everything. */
function resolveSelection(only: readonly string[] | undefined, catalogue: ReturnType<typeof reportItems>, where: string): Set<string> | null {
  if (!only || only.length === 0) return null;
  const wanted = new Set<string>();
  const unknown: string[] = [];
  for (const raw of only) {
    const name = raw.trim();
    if (name === '') continue;
    const kind = catalogue.find((k) => k.kind === name);
    const matches = kind
      ? kind.items
      : catalogue.flatMap((k) => k.items).filter((i) => i.name === name || i.name.slice(i.name.lastIndexOf('.') + 1) === name);
    if (matches.length === 0) unknown.push(name);
    for (const item of matches) wanted.add(item.name);
  }
  if (unknown.length > 0) {
    const accepted = catalogue.flatMap((k) => [k.kind, ...k.items.map((i) => i.name).filter((n) => n !== k.kind)]);
    throw new ReportError(`${where}: no section or item named ${unknown.map((u) => `"${u}"`).join(', ')}; this workspace has: ${accepted.join(', ') || '(nothing to report)'}`, 'selection');
  }
  return wanted;
}
