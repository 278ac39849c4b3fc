import { realpathSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_FILE_SUFFIX } from '../workspace/index.js';
import { ReportError } from './errors.js';

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * A report never overwrites a workspace: refuses an output that is the workspace file itself
 * (also through a link) or any file named like a workspace.
 */
export function checkReportOutput(output: string, workspacePath: string | null, what: string): string {
  const resolved = path.resolve(output);
  if (resolved.endsWith(WORKSPACE_FILE_SUFFIX) || (workspacePath !== null && real(resolved) === real(workspacePath))) {
    throw new ReportError(`${resolved}: refusing to write the ${what} over a workspace file; choose another name`, 'refused');
  }
  return resolved;
}
