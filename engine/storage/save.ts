import { addToWorkspaceFile } from '../workspace/index.js';
import type { ProbeResult } from './probe.js';
import { withStorageProbe } from './schema.js';

/** Add a storage probe to a workspace file (`storage probe --save FILE`), creating the workspace when the file does not exist. */
export async function saveStorageProbe(file: string, result: ProbeResult): Promise<{ path: string; id: string }> {
  return addToWorkspaceFile(file, 'Storage probe', (workspace) => withStorageProbe(workspace, result));
}
