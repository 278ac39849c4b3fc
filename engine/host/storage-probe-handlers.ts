import path from 'node:path';
import { parseBlockSize, runProbe, writeProbeToDatabase, type ProbeResult } from '../storage/index.js';
import type { StorageProbeRun } from './contract.js';
import type { EngineDeps } from './handlers.js';
import type { StreamHandlers } from './service.js';
import { RpcError } from './wire.js';

/** One storage probe at a time: two would load the gateway and the engine's machine for each other. */
let running = false;

const EXPORT_NAME = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/;

/**
 * The URI of a gateway export as the view may probe it: nbd:// or nbds://, a host, and an export
 * named LUN or HOST/LUN. No query: libnbd would open a `tls-psk-file` (or a certificates folder)
 * it names, and the engine opens files only by grant; probing a TLS-PSK LUN is the CLI's.
 */
export function checkProbeUri(uri: string): void {
  const refuse = (why: string): never => { throw new RpcError({ code: 'invalid-input', message: `${uri}: ${why}` }); };
  let url: URL;
  try { url = new URL(uri); } catch { return refuse('not a URI; a gateway export looks like nbd://127.0.0.1:10809/HOST/LUN'); }
  if (url.protocol !== 'nbd:' && url.protocol !== 'nbds:') refuse('expected nbd:// or nbds://');
  if (url.hostname === '') refuse('names no host');
  if (url.password !== '') refuse('NBD takes no password in the URI');
  if (url.search !== '' || url.hash !== '') {
    refuse('query parameters are not taken from the view (a tls-psk-file would be a file the engine was never granted); probe a TLS-PSK LUN with `headroom storage probe`');
  }
  let exportName = '';
  try { exportName = decodeURIComponent(url.pathname.replace(/^\//, '')); } catch { refuse('the export name is not valid percent-encoding'); }
  if (exportName === '') refuse('names no export: a gateway export is LUN or HOST/LUN, as in nbd://127.0.0.1:10809/app1/lun0');
  if (!EXPORT_NAME.test(exportName)) refuse(`export "${exportName}": expected LUN or HOST/LUN (letters, digits, dot, dash, underscore)`);
}

/** The SLA database the probe will be written to, granted before the probe runs; a refusal is the result's to show. */
async function grantedDatabase(deps: EngineDeps, file: string): Promise<{ file: string; real: string | null; error: string | null }> {
  try {
    const real = await deps.files.authorize(path.resolve(file), 'sla-db', 'write');
    await deps.files.checkReplaceable(real, 'sla-db');
    return { file, real, error: null };
  } catch (err) {
    return { file, real: null, error: err instanceof Error ? err.message : String(err) };
  }
}

function stored(db: { file: string; real: string | null; error: string | null } | null, probe: ProbeResult): StorageProbeRun['database'] {
  if (db === null || probe.steps.length === 0) return null;
  if (db.real === null) return { file: db.file, probeId: null, error: db.error };
  try {
    return { file: db.file, probeId: writeProbeToDatabase(db.real, probe).id, error: null };
  } catch (err) {
    return { file: db.file, probeId: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * `storage.probe`: fio at rising iodepth through a gateway against a LUN, with a progress event
 * per step. Cancelling answers with the finished steps (STREAMS_ANSWERING_CANCEL); those are
 * written to the SLA database too, when one is given, even if the client has gone.
 */
export function storageProbeStreamHandlers(deps: EngineDeps): Pick<StreamHandlers, 'storage.probe'> {
  return {
    'storage.probe': async (params, ctx) => {
      checkProbeUri(params.uri);
      const bs = params.bs ?? '4k';
      try { parseBlockSize(bs); } catch (err) { throw new RpcError({ code: 'invalid-input', message: (err as Error).message.replace(/^--bs/, 'block size') }); }
      if (running) throw new RpcError({ code: 'conflict', message: 'a storage probe is already running; cancel it or wait for it to finish' });
      running = true;
      try {
        const db = params.slaDb === undefined ? null : await grantedDatabase(deps, params.slaDb);
        let probe: ProbeResult;
        try {
          probe = await runProbe({
            uri: params.uri, bs, rw: params.rw ?? 'randread', seconds: params.seconds ?? 14, signal: ctx.signal,
            onStep: (done, total, label) => ctx.progress({ done, total, label }),
          });
        } catch (err) {
          // fio missing, the gateway refusing the export, the LUN failing: the message says which.
          throw new RpcError({ code: 'unavailable', message: err instanceof Error ? err.message : String(err) });
        }
        return { probe, database: stored(db, probe) };
      } finally {
        running = false;
      }
    },
  };
}
