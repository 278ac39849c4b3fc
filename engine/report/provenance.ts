import { headroomVersion, type MachineDescription } from '../runtime/index.js';
import type { Provenance } from './model.js';

export function provenanceOf(input: { workspaceName: string; workspacePath: string | null; sha256: string; hashOf: Provenance['hashOf']; now: Date; machine: MachineDescription }): Provenance {
  return {
    headroomVersion,
    workspaceName: input.workspaceName,
    workspacePath: input.workspacePath,
    workspaceSha256: input.sha256,
    hashOf: input.hashOf,
    generatedAt: input.now.toISOString(),
    machine: input.machine,
  };
}

/** Provenance as name/value rows: the title page, provenance.csv and the README share them. */
export function provenanceRows(p: Provenance): [string, string][] {
  const m = p.machine;
  return [
    ['Headroom version', p.headroomVersion],
    ['Workspace', p.workspaceName],
    ['Workspace file', p.workspacePath ?? '(not saved)'],
    [p.hashOf === 'file' ? 'Workspace file SHA-256' : 'Workspace SHA-256 (in memory, may include unsaved changes)', p.workspaceSha256],
    ['Generated at', p.generatedAt],
    ['Machine', `${m.hostname}: ${m.os}, ${m.arch}`],
    ['CPUs', `${m.cpus} × ${m.cpuModel}`],
    ['Memory', `${m.memoryGiB} GiB`],
    ['Node.js', m.node],
  ];
}
