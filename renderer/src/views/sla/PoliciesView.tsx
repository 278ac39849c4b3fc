import { useEffect, useMemo, useRef, useState } from 'react';
import type { PolicyVersion } from '../../../../engine/sla/index.js';
import type { PolicyDiagnostic } from '../../../../engine/sla/policy/check.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import { CodeEditor } from '../../components/code-editor/CodeEditor.js';
import type { EngineConnection } from '../../engine/connection.js';
import type { WorkspaceStore } from '../../state/workspace-store.js';
import type { ViewContext } from '../registry.js';

interface Loaded { path: string | null; text: string; savedText: string; hash: string | null }

/**
 * The SLA policy in Monaco: completion, hover and inline errors from the one policy schema as
 * you type, the engine's semantic checks as markers, and an explicit Apply that the running
 * server refuses while the policy has errors.
 */
export function PoliciesView({ workspace, store, connection, browse, samplesDir }: {
  workspace: Workspace; store: WorkspaceStore; connection: EngineConnection; browse: ViewContext['browse']; samplesDir: string | null;
}) {
  const [doc, setDoc] = useState<Loaded | null>(null);
  const [diagnostics, setDiagnostics] = useState<PolicyDiagnostic[]>([]);
  const [goTo, setGoTo] = useState<{ line: number; column: number } | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error' | 'warn'; text: string } | null>(null);
  const [history, setHistory] = useState<PolicyVersion[]>([]);
  const [serverRunning, setServerRunning] = useState(false);
  const policyFile = workspace.sla?.policyFile ?? null;
  const loadedFor = useRef<string | null>(null);
  /** Counts texts loaded from files: each one starts a fresh editor. */
  const [loads, setLoads] = useState(0);

  // Hover and completion from the engine's policy schema: the same one Apply validates against.
  const help = useMemo(() => ({
    hover: async (text: string, line: number, column: number) => (await connection.engine.call('policy.hover', { text, line, column }))?.doc ?? null,
    complete: (text: string, line: number, column: number) => connection.engine.call('policy.complete', { text, line, column }),
  }), [connection]);
  const refreshServer = (): void => {
    connection.engine.call('sla.status', {}).then((s) => {
      setServerRunning(s !== null);
      if (s) connection.engine.call('sla.history', {}).then(setHistory).catch(() => undefined);
    }).catch(() => setServerRunning(false));
  };
  useEffect(refreshServer, [connection]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => connection.engine.on('sla.event', (e) => { if (e.kind === 'policy') refreshServer(); }), [connection]); // eslint-disable-line react-hooks/exhaustive-deps

  const open = async (file: string): Promise<void> => {
    try {
      const read = await connection.engine.call('policy.read', { path: file });
      setDoc({ path: read.path, text: read.text, savedText: read.text, hash: read.hash });
      setLoads((n) => n + 1);
      loadedFor.current = read.path;
      if (workspace.sla?.policyFile !== read.path) store.edit((w) => ({ ...w, sla: { ...w.sla, policyFile: read.path } }));
      setMessage(null);
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
    }
  };
  useEffect(() => { if (policyFile && loadedFor.current !== policyFile) void open(policyFile); }, [policyFile]); // eslint-disable-line react-hooks/exhaustive-deps

  // Check as the user types: the engine's checker is the same one Apply uses.
  useEffect(() => {
    if (!doc) return;
    const timer = setTimeout(() => {
      connection.engine.call('policy.check', { text: doc.text }).then((r) => setDiagnostics(r.diagnostics)).catch(() => undefined);
    }, 250);
    return () => clearTimeout(timer);
  }, [doc?.text, connection]); // eslint-disable-line react-hooks/exhaustive-deps

  const save = async (asNew: boolean): Promise<void> => {
    if (!doc) return;
    let target = doc.path;
    if (asNew || !target) {
      target = await browse({ mode: 'save', purpose: 'policy', suffix: '.yaml', title: 'Save policy as', suggestedName: 'policy.yaml' });
      if (!target) return;
    }
    try {
      const written = await connection.engine.call('policy.write', { path: target, text: doc.text, ...(doc.hash && target === doc.path ? { baseHash: doc.hash } : { overwrite: asNew }) });
      setDoc({ path: written.path, text: written.text, savedText: written.text, hash: written.hash });
      loadedFor.current = written.path;
      store.edit((w) => ({ ...w, sla: { ...w.sla, policyFile: written.path } }));
      setMessage({ kind: 'ok', text: `Saved ${written.path}` });
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
    }
  };

  const apply = async (): Promise<void> => {
    if (!doc) return;
    try {
      const result = await connection.engine.call('sla.apply', { text: doc.text, source: `Policies view${doc.path ? ` (${doc.path})` : ''}` });
      if (result.ok) {
        setMessage({ kind: result.restartNeeded.length ? 'warn' : 'ok', text: `Applied as version ${result.version.version} at ${new Date(result.version.appliedAt).toLocaleTimeString()}.`
          + (result.restartNeeded.length ? ` ${result.restartNeeded.join(' and ')} take effect when the server restarts.` : '') });
      } else {
        const first = result.diagnostics.find((d) => d.severity === 'error');
        setMessage({ kind: 'error', text: `Not applied: ${first ? `line ${first.line}, column ${first.column}: ${first.message}` : 'the policy has errors'}. Version ${result.active?.version ?? '—'} stays active.` });
      }
      refreshServer();
    } catch (err) {
      setMessage({ kind: 'error', text: err instanceof Error ? err.message : String(err) });
    }
  };

  const errors = diagnostics.filter((d) => d.severity === 'error');
  return (
    <section className="view policies" data-testid="policies-view">
      <h1>SLA policy</h1>
      <div className="action-row">
        <button onClick={() => void browse({ mode: 'open', purpose: 'policy', suffix: '.yaml', title: 'Open policy', startDir: samplesDir ? `${samplesDir}/policies` : null }).then((f) => { if (f) void open(f); })} data-testid="policy-open">Open…</button>
        <button onClick={() => void save(false)} disabled={!doc} data-testid="policy-save">Save</button>
        <button onClick={() => void save(true)} disabled={!doc}>Save As…</button>
        <button className="primary" onClick={() => void apply()} disabled={!doc || !serverRunning || errors.length > 0} data-testid="policy-apply"
          title={!serverRunning ? 'Start the SLA server in the Monitor view to apply policies' : errors.length ? 'Fix the errors first' : 'Apply to the running SLA server'}>Apply</button>
        <span className="muted mono">{doc?.path ?? 'no policy open'}{doc && doc.text !== doc.savedText ? ' ●' : ''}</span>
      </div>
      {message && <p className={message.kind === 'error' ? 'error' : message.kind === 'warn' ? 'warn' : 'ok'} role="status" data-testid="policy-message">{message.text}</p>}
      {doc && (
        <CodeEditor key={loads} path="policy.yaml" value={doc.text} onChange={(text) => setDoc((d) => (d ? { ...d, text } : d))}
          help={help} diagnostics={diagnostics} height={460} testId="policy-editor" goTo={goTo} />
      )}
      <h2>Problems ({errors.length} error{errors.length === 1 ? '' : 's'}, {diagnostics.length - errors.length} other)</h2>
      <table className="grid" data-testid="policy-problems">
        <tbody>
          {diagnostics.map((d, i) => (
            <tr key={i} className="clickable" title="Show in the editor" onClick={() => setGoTo({ line: d.line, column: d.column })}><td className={d.severity === 'error' ? 'error' : 'warn'}>{d.severity}</td><td className="mono">{d.line}:{d.column}</td><td>{d.message}</td><td className="mono muted">{d.path}</td></tr>
          ))}
          {diagnostics.length === 0 && <tr><td className="ok">No problems.</td></tr>}
        </tbody>
      </table>
      <h2>Applied versions</h2>
      {!serverRunning && <p className="muted">The SLA server is not running in this engine. Start it in the Monitor view; the policy file is applied when it starts.</p>}
      {serverRunning && (
        <table className="grid" data-testid="policy-history">
          <thead><tr><th>Version</th><th>Applied</th><th>Name</th><th>By</th></tr></thead>
          <tbody>{[...history].reverse().map((v) => <tr key={v.version}><td>{v.version}</td><td>{new Date(v.appliedAt).toLocaleString()}</td><td>{v.name}</td><td className="muted">{v.source}</td></tr>)}</tbody>
        </table>
      )}
    </section>
  );
}
