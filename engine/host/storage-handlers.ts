import path from 'node:path';
import { probeView } from '../storage/index.js';
import { validateWorkspace, WorkspaceError } from '../workspace/index.js';
import type { EngineDeps } from './handlers.js';
import type { MethodHandlers } from './service.js';
import { RpcError } from './wire.js';

/**
 * The Headroom view's data. Fitting every LUN of an SLA database reads all its intervals, so it
 * runs on the report lane, not the engine's thread. A database the engine may not read, or that
 * cannot be read, is the view's to show in its place; only a workspace that is not one is refused.
 */
export function storageMethodHandlers(deps: EngineDeps): Pick<MethodHandlers, 'storage.headroom'> {
  return {
    'storage.headroom': async (params, ctx) => {
      const workspacePath = params.workspacePath ? path.resolve(params.workspacePath) : null;
      let workspace;
      try {
        workspace = validateWorkspace(workspacePath ?? 'the open workspace', params.workspace);
      } catch (err) {
        if (err instanceof WorkspaceError) throw new RpcError({ code: 'invalid-input', message: err.detail, where: err.where ? `${err.file} at ${err.where}` : err.file });
        throw err;
      }
      const named = workspace.sla?.dbFile;
      if (named === undefined) return { probes: (workspace.storageProbes ?? []).map(probeView), database: null };
      let dbFile: string;
      try {
        dbFile = await deps.files.authorize(path.resolve(named), 'sla-db', 'read');
      } catch (err) {
        return { probes: (workspace.storageProbes ?? []).map(probeView), database: { file: named, error: err instanceof Error ? err.message : String(err), luns: [] } };
      }
      return deps.reportLane.run({ kind: 'storage.headroom', workspace: params.workspace, workspacePath, dbFile }, { signal: ctx.signal });
    },
  };
}
