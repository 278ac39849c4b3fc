import { useEffect, useState } from 'react';
import type { EngineInfo, ScanProgress, ScanResult } from '../../../engine/host/contract.js';
import type { EngineConnection } from '../engine/connection.js';
import { useLongRun } from '../useLongRun.js';

/** What the engine is and where it runs, and a folder scan for workspace files (a cancellable stream). */
export function EngineView({ connection, info, onOpen }: { connection: EngineConnection; info: EngineInfo | null; onOpen: (path: string) => void }) {
  const [dir, setDir] = useState('');
  const [result, setResult] = useState<ScanResult | null>(null);
  const scanRun = useLongRun<ScanProgress>();
  const { progress, error } = scanRun;
  useEffect(() => { if (info && !dir) setDir(info.cwd); }, [info, dir]);

  const scan = async (): Promise<void> => {
    setResult(null);
    const found = await scanRun.start({ scanned: 0, found: 0, current: dir }, (signal, onProgress) =>
      connection.engine.stream('workspace.scan', { dir }, { signal, onProgress }));
    if (found) setResult(found);
  };

  return (
    <section className="view engine" data-testid="engine-view">
      <h1>Engine</h1>
      {info ? (
        <dl className="facts">
          <dt>Version</dt><dd>{info.version}</dd>
          <dt>Transport</dt><dd>{info.transport === 'websocket' ? 'WebSocket on loopback (browser mode)' : 'MessagePort (Electron utility process)'}</dd>
          <dt>Process</dt><dd>pid {info.pid}, Node {info.node}</dd>
          <dt>Machine</dt><dd>{info.platform}, {info.cpus} CPUs</dd>
          <dt>Started</dt><dd>{new Date(info.startedAt).toLocaleString()}</dd>
          <dt>Working folder</dt><dd>{info.cwd}</dd>
        </dl>
      ) : <p className="muted">Waiting for the engine…</p>}
      <h2>Find workspaces</h2>
      <div className="path-row">
        <input aria-label="Folder to scan" value={dir} onChange={(e) => setDir(e.target.value)} data-testid="scan-folder" />
        {progress
          ? <button onClick={scanRun.cancel} data-testid="scan-cancel">Cancel</button>
          : <button className="primary" onClick={() => void scan()} disabled={!dir} data-testid="scan-start">Scan</button>}
      </div>
      {progress && (
        <p className="progress-line" data-testid="scan-progress">
          <progress /> {progress.scanned} files scanned, {progress.found} workspaces found — {progress.current}
        </p>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {result && (
        <table className="grid" data-testid="scan-results">
          <thead><tr><th>Workspace</th><th>File</th><th>State</th></tr></thead>
          <tbody>
            {result.findings.map((f) => (
              <tr key={f.path}>
                <td>{f.ok ? <button className="link" onClick={() => onOpen(f.path)}>{f.name}</button> : '—'}</td>
                <td className="mono">{f.path}</td>
                <td className={f.ok ? 'ok' : 'error'}>{f.ok ? 'valid' : f.problem}</td>
              </tr>
            ))}
            {result.findings.length === 0 && <tr><td colSpan={3} className="muted">No workspace files among {result.scanned} files.</td></tr>}
          </tbody>
        </table>
      )}
    </section>
  );
}
