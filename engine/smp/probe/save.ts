import { addToWorkspaceFile } from '../../workspace/index.js';
import type { BusProbeResult } from './run.js';
import { withBusProbe } from './schema.js';

/** Add a probe to a workspace file (`smp probe --save FILE`), creating the workspace when the file does not exist. */
export async function saveBusProbe(file: string, result: BusProbeResult): Promise<{ path: string; id: string }> {
  return addToWorkspaceFile(file, 'Bus probe', (workspace) => withBusProbe(workspace, result));
}
