import type { BlockBackend } from './backend.js';
import type { ExportSpec } from './config.js';
import { openFileBackend } from './file-backend.js';
import { openUpstreamBackend } from './upstream.js';
import type { LunDefinition } from './gateway.js';

/** How the gateway talks to nbd:// upstreams. */
export interface UpstreamSettings {
  readonly connections?: number;
  readonly requestTimeoutMs?: number;
}

/** Open the backend an `--export` names. */
export async function openExport(spec: ExportSpec, upstream: UpstreamSettings = {}): Promise<LunDefinition> {
  const backend: BlockBackend = spec.kind === 'file'
    ? await openFileBackend({ path: spec.path, size: spec.size, readOnly: spec.readOnly })
    : await openUpstreamBackend({
      target: { host: spec.host, port: spec.port, exportName: spec.exportName, ...(spec.socketPath !== undefined ? { socketPath: spec.socketPath } : {}) },
      connections: upstream.connections ?? 2, readOnly: spec.readOnly,
      ...(upstream.requestTimeoutMs !== undefined ? { requestTimeoutMs: upstream.requestTimeoutMs } : {}),
    });
  return { name: spec.name, backend, readOnly: spec.readOnly };
}
