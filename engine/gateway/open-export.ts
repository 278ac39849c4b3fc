import type { BlockBackend } from './backend.js';
import type { ExportSpec } from './config.js';
import { openFileBackend } from './file-backend.js';
import { openUpstreamBackend } from './upstream.js';
import type { LunDefinition } from './gateway.js';

/** Open the backend an `--export` names. */
export async function openExport(spec: ExportSpec, upstreamConnections = 2): Promise<LunDefinition> {
  const backend: BlockBackend = spec.kind === 'file'
    ? await openFileBackend({ path: spec.path, size: spec.size, readOnly: spec.readOnly })
    : await openUpstreamBackend({ target: { host: spec.host, port: spec.port, exportName: spec.exportName, ...(spec.socketPath !== undefined ? { socketPath: spec.socketPath } : {}) }, connections: upstreamConnections, readOnly: spec.readOnly });
  return { name: spec.name, backend, readOnly: spec.readOnly };
}
