import { existsSync } from 'node:fs';
import path from 'node:path';
import { openWorkspace, saveWorkspace } from './file.js';
import { newWorkspace, WORKSPACE_FILE_SUFFIX, type Workspace } from './schema.js';

/**
 * Add something to a workspace file (a CLI's `--save FILE`), creating the workspace when the file
 * does not exist (named after the file, or `fallbackName`). The save is atomic and refuses a
 * file changed since it was read.
 */
export async function addToWorkspaceFile(
  file: string, fallbackName: string, add: (workspace: Workspace) => { workspace: Workspace; id: string },
): Promise<{ path: string; id: string }> {
  const resolved = path.resolve(file);
  if (!existsSync(resolved)) {
    const name = path.basename(resolved).replace(WORKSPACE_FILE_SUFFIX, '').replace(/\.json$/, '') || fallbackName;
    const { workspace, id } = add(newWorkspace(name));
    await saveWorkspace(resolved, workspace);
    return { path: resolved, id };
  }
  const opened = await openWorkspace(resolved);
  const { workspace, id } = add({ ...opened.workspace, updatedAt: new Date().toISOString() });
  await saveWorkspace(resolved, workspace, { baseHash: opened.hash });
  return { path: resolved, id };
}
