import { existsSync } from 'node:fs';
import path from 'node:path';
import { newWorkspace, openWorkspace, saveWorkspace, WORKSPACE_FILE_SUFFIX, type Workspace } from '../../workspace/index.js';
import type { BusProbeResult } from './run.js';
import { withBusProbe } from './schema.js';

/**
 * Add a probe to a workspace file (`smp probe --save FILE`), creating the workspace when the file
 * does not exist. The save is atomic and refuses a file changed since it was read.
 */
export async function saveBusProbe(file: string, result: BusProbeResult): Promise<{ path: string; id: string }> {
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) {
    const name = path.basename(resolved).replace(WORKSPACE_FILE_SUFFIX, '').replace(/\.json$/, '') || 'Bus probe';
    const { workspace, id } = withBusProbe(newWorkspace(name), result);
    await saveWorkspace(resolved, workspace);
    return { path: resolved, id };
  }
  const opened = await openWorkspace(resolved);
  const { workspace, id } = withBusProbe({ ...opened.workspace, updatedAt: new Date().toISOString() }, result);
  await saveWorkspace(resolved, workspace, { baseHash: opened.hash });
  return { path: resolved, id };
}
