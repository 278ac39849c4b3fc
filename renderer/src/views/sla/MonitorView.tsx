import { useEffect, useMemo, useRef, useState } from 'react';
import { isLoopbackHost } from '../../../../engine/host/loopback.js';
import type { Data } from 'plotly.js';
import type { SlaCycleReport, SlaServerEvent, SlaServerStatus } from '../../../../engine/sla/server/index.js';
import type { Timeline } from '../../../../engine/sla/index.js';
import type { SlaDemoInfo } from '../../../../engine/host/contract.js';
import type { Workspace } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import type { WorkspaceStore } from '../../state/workspace-store.js';
import type { ViewContext } from '../registry.js';
import { fmt, newId } from '../whatif/model.js';
import { MetricsSetting } from './MetricsSetting.js';

/** How much live history the charts keep in the page (the database keeps everything). */
const MAX_CYCLES = 900;
const HISTORY_MS = 15 * 60_000;

interface ClassPointView { t: number; iops: number; mbps: number; latencyMs: number | null; targetMs: number | null; state: string }

function dirOf(file: string): string { return file.replace(/[\\/][^\\/]*$/, '') || '/'; }

/** Stretches of the database kept for reports: the Reports view lists each one. */
function ReportPeriods({ workspace, store }: { workspace: Workspace; store: WorkspaceStore }) {
  const periods = workspace.sla?.periods ?? [];
  const [name, setName] = useState('');
  const [minutes, setMinutes] = useState('15');
  const span = Number(minutes);
  const valid = Number.isFinite(span) && span > 0 && span <= 60 * 24 * 366;
  const add = (): void => {
    if (!valid) return;
    const to = Date.now();
    const id = newId('period', periods.map((p) => p.id));
    const label = name.trim() || `${fmt(span)} minutes to ${new Date(to).toLocaleString()}`;
    store.edit((w) => ({ ...w, sla: { ...w.sla, periods: [...(w.sla?.periods ?? []), { id, name: label.slice(0, 200), from: new Date(to - span * 60_000).toISOString(), to: new Date(to).toISOString() }] } }));
    setName('');
  };
  const remove = (id: string): void => store.edit((w) => ({ ...w, sla: { ...w.sla, periods: (w.sla?.periods ?? []).filter((p) => p.id !== id) } }));
  return (
    <div className="report-periods">
      <div className="field-row">
        <label className="field compact wide-field"><span>Keep for reports: name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Tuesday backup window" data-testid="period-name" /></label>
        <label className="field compact"><span>The last (minutes)</span>
          <input value={minutes} onChange={(e) => setMinutes(e.target.value)} aria-invalid={!valid} inputMode="decimal" data-testid="period-minutes" /></label>
        <button onClick={add} disabled={!valid} data-testid="period-add">Keep period</button>
      </div>
      {periods.length > 0 && (
        <ul className="link-list" data-testid="period-list">
          {periods.map((p) => (
            <li key={p.id}><span>{p.name}</span><span className="muted">{new Date(p.from).toLocaleString()} – {new Date(p.to).toLocaleTimeString()}</span>
              <button className="link" onClick={() => remove(p.id)} aria-label={`Remove ${p.name}`}>remove</button></li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The SLA server at work: gateways, per-class performance against targets, throttle actions and alerts. */
export function MonitorView({ workspace, store, connection, browse }: { workspace: Workspace; store: WorkspaceStore; connection: EngineConnection; browse: ViewContext['browse'] }) {
  const sla = workspace.sla ?? {};
  const [status, setStatus] = useState<SlaServerStatus | null>(null);
  const [series, setSeries] = useState<Record<string, ClassPointView[]>>({});
  const [timeline, setTimeline] = useState<Timeline | null>(null);
  const [feed, setFeed] = useState<{ t: number; text: string }[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<SlaDemoInfo | null>(null);
  const listen = sla.listen ?? '127.0.0.1:7410';
  const dbFile = sla.dbFile ?? (sla.policyFile ? `${dirOf(sla.policyFile)}/headroom-sla.db` : '');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const refresh = async (): Promise<void> => {
    const s = await connection.engine.call('sla.status', {}).catch(() => null);
    setStatus(s);
    if (!s) return;
    const now = Date.now();
    const t = await connection.engine.call('sla.timeline', { from: now - HISTORY_MS, to: now + 1000, limit: 200 }).catch(() => null);
    if (t) setTimeline(t);
  };

  // History from the database when the view opens (or the server starts), then live cycles.
  const loadHistory = async (s: SlaServerStatus): Promise<void> => {
    const classes = [...new Set((s.lastCycle?.classes ?? []).map((c) => c.className))];
    const now = Date.now();
    const next: Record<string, ClassPointView[]> = {};
    for (const className of classes) {
      const r = await connection.engine.call('sla.series', { className, from: now - HISTORY_MS, to: now }).catch(() => null);
      next[className] = (r?.points ?? []).map((p) => ({ t: p.t, iops: p.iops, mbps: p.mbps, latencyMs: p.p99Us / 1000, targetMs: null, state: 'history' }));
    }
    setSeries(next);
  };
  useEffect(() => {
    void connection.engine.call('sla.status', {}).then((s) => { setStatus(s); if (s) { void loadHistory(s); void refresh(); } }).catch(() => undefined);
  }, [connection]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => connection.engine.on('sla.event', (event: SlaServerEvent) => {
    if (event.kind === 'cycle') {
      addCycle(event.report);
      // Status and timeline follow each cycle, a moment later so acknowledgements are in.
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => void refresh(), 300);
    } else {
      const line = event.kind === 'gateway' ? `gateway ${event.gatewayId} ${event.state} (${event.detail})`
        : event.kind === 'alert' ? `alert ${event.severity} from ${event.gatewayId}: ${event.text}`
          : event.kind === 'ack' ? `gateway ${event.gatewayId} ${event.ok ? 'applied' : 'refused'} action ${event.actionId}${event.reason ? `: ${event.reason}` : ''}`
            : `policy "${event.version.name}" version ${event.version.version} applied`;
      setFeed((f) => [{ t: Date.now(), text: line }, ...f].slice(0, 100));
      if (event.kind === 'gateway' || event.kind === 'policy') void refresh();
    }
  }), [connection]); // eslint-disable-line react-hooks/exhaustive-deps

  const addCycle = (report: SlaCycleReport): void => {
    setSeries((current) => {
      const next = { ...current };
      for (const c of report.classes) {
        const list = [...(next[c.className] ?? []), { t: report.at, iops: c.iops, mbps: c.mbps, latencyMs: c.latencyMs, targetMs: c.targetMs, state: c.state }];
        next[c.className] = list.slice(-MAX_CYCLES);
      }
      return next;
    });
  };

  const start = async (): Promise<void> => {
    if (!sla.policyFile) { setError('Choose a policy file first.'); return; }
    const colon = listen.lastIndexOf(':');
    setBusy(true); setError(null);
    try {
      const s = await connection.engine.call('sla.start', { policyFile: sla.policyFile, dbFile, listen: { host: listen.slice(0, colon), port: Number(listen.slice(colon + 1)) } });
      setStatus(s);
      if (!sla.dbFile) store.edit((w) => ({ ...w, sla: { ...w.sla, dbFile } }));
      await loadHistory(s);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const startDemo = async (): Promise<void> => {
    setBusy(true); setError(null);
    try {
      const s = await connection.engine.call('sla.demo', {});
      setDemo(s.demo);
      setStatus(s);
      await loadHistory(s);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const stop = async (): Promise<void> => {
    setBusy(true);
    try { await connection.engine.call('sla.stop', {}); setStatus(null); setDemo(null); } catch (err) { setError(err instanceof Error ? err.message : String(err)); } finally { setBusy(false); }
  };

  const charts = useMemo(() => {
    const names = Object.keys(series).sort();
    const x = (name: string) => series[name]!.map((p) => new Date(p.t));
    const iops: Data[] = names.map((n) => ({ x: x(n), y: series[n]!.map((p) => p.iops), name: n, type: 'scatter', mode: 'lines' }));
    const mbps: Data[] = names.map((n) => ({ x: x(n), y: series[n]!.map((p) => p.mbps), name: n, type: 'scatter', mode: 'lines' }));
    const latency: Data[] = names.flatMap((n): Data[] => {
      const pts = series[n]!;
      const traces: Data[] = [{ x: x(n), y: pts.map((p) => p.latencyMs), name: `${n} latency`, type: 'scatter', mode: 'lines+markers', marker: { size: 4 } }];
      const target = pts.map((p) => p.targetMs).find((v) => v !== null);
      if (target !== undefined && target !== null && pts.length) traces.push({ x: [x(n)[0]!, x(n).at(-1)!], y: [target, target], name: `${n} target`, type: 'scatter', mode: 'lines', line: { dash: 'dash' } });
      return traces;
    });
    const actions = timeline?.actions ?? [];
    const violations = timeline?.violations ?? [];
    const events: Data[] = [
      { x: violations.map((v) => new Date(v.t)), y: violations.map((v) => `${v.className} violation`), name: 'violations', type: 'scatter', mode: 'markers', marker: { symbol: 'x', size: 10, color: '#f26d6d' }, text: violations.map((v) => v.text), hoverinfo: 'text' },
      { x: actions.map((a) => new Date(a.t)), y: actions.map((a) => `${a.className} ${a.kind}`), name: 'throttle actions', type: 'scatter', mode: 'markers', marker: { symbol: 'triangle-down', size: 10, color: '#e5b454' }, text: actions.map((a) => a.reason), hoverinfo: 'text' },
    ];
    return { iops, mbps, latency, events };
  }, [series, timeline]);

  const last = status?.lastCycle ?? null;
  // With no points yet, a date axis would read Jan 2000 to Nov 2000: show the next minutes instead.
  const timeAxis = useMemo(() => (Object.keys(series).length === 0
    ? { type: 'date' as const, range: [new Date(), new Date(Date.now() + 5 * 60_000)] }
    : { type: 'date' as const }), [series]);
  return (
    <section className="view monitor" data-testid="monitor-view">
      <h1>SLA monitor</h1>
      <section className="panel">
        <h2>SLA server</h2>
        <div className="field-row">
          <label className="field compact wide-field"><span>Policy</span>
            <div className="path-row"><input value={sla.policyFile ?? ''} readOnly data-testid="monitor-policy" />
              <button onClick={() => void browse({ mode: 'open', purpose: 'policy', suffix: '.yaml', title: 'Choose the policy' }).then((f) => { if (f) store.edit((w) => ({ ...w, sla: { ...w.sla, policyFile: f } })); })}>…</button></div>
          </label>
          <label className="field compact wide-field"><span>Database</span>
            <div className="path-row"><input value={dbFile} onChange={(e) => store.edit((w) => ({ ...w, sla: { ...w.sla, dbFile: e.target.value || undefined } }))} data-testid="monitor-db" />
              <button onClick={() => void browse({ mode: 'save', purpose: 'sla-db', suffix: '.db', title: 'Choose the SLA database', suggestedName: 'headroom-sla.db' }).then((f) => { if (f) store.edit((w) => ({ ...w, sla: { ...w.sla, dbFile: f } })); })} data-testid="monitor-db-browse">…</button></div>
          </label>
          <label className="field compact"><span>Gateways connect to</span>
            <input value={listen} onChange={(e) => store.edit((w) => ({ ...w, sla: { ...w.sla, listen: e.target.value || undefined } }))} data-testid="monitor-listen" />
          </label>
          {status
            ? <button onClick={() => void stop()} disabled={busy} data-testid="monitor-stop">Stop server</button>
            : <>
              <button className="primary" onClick={() => void start()} disabled={busy || !sla.policyFile} data-testid="monitor-start">Start server</button>
              <button onClick={() => void startDemo()} disabled={busy} data-testid="monitor-demo" title="Start the SLA server with the gold-bronze policy and demo storage (nbdkit, a gateway and fio; a simulated gateway where those are missing), all in a temporary folder">Demo storage</button>
            </>}
        </div>
        {error && <p className="error" role="alert">{error}</p>}
        {demo && status && <p className={demo.mode === 'storage' ? 'hint' : 'warning'} data-testid="monitor-demo-info">{demo.detail}. Its policy and database are in {demo.folder}; Stop server ends it all.</p>}
        {dbFile && <ReportPeriods workspace={workspace} store={store} />}
        <MetricsSetting connection={connection} running={status !== null} />
        {status?.listen && !isLoopbackHost(status.listen.host) && (
          <p className="warn" role="alert" data-testid="monitor-wide-listen">
            The SLA server is listening on {status.listen.host}:{status.listen.port}, as the policy allows: gateways on other machines can reach it, and so can anyone else on that network. Authentication still guards every gateway.
          </p>
        )}
        {status && (
          <p className="key-figures" data-testid="monitor-status">
            Listening on <b>{status.listen?.host}:{status.listen?.port}</b> · policy <b>{status.policy?.name}</b> v{status.policy?.version} ·
            {last ? <> cycle {last.cycle}: {last.onTime}/{last.polled} gateways on time{last.completionMs !== null ? ` in ${fmt(last.completionMs)} ms` : `, ${last.missed} missed`}</> : ' waiting for the first poll cycle'}
          </p>
        )}
      </section>
      {status && (
        <>
          <div className="chart-grid two">
            <section className="panel compact-panel">
              <h3>Gateways</h3>
              <table className="grid" data-testid="monitor-gateways">
                <thead><tr><th>Gateway</th><th>State</th><th>Address</th><th>LUNs</th><th>Hosts</th><th>Last poll</th></tr></thead>
                <tbody>
                  {status.entities.gateways.map((g) => (
                    <tr key={g.gatewayId}><td>{g.gatewayId}</td><td className={g.state === 'disconnected' ? 'error' : 'ok'}>{g.state}</td><td className="mono">{g.remote}</td>
                      <td>{g.luns.map((l) => l.lunId).join(', ')}</td><td>{g.hosts.join(', ')}</td><td>{g.lastPollAt ? new Date(g.lastPollAt).toLocaleTimeString() : '—'}</td></tr>
                  ))}
                  {status.entities.gateways.length === 0 && <tr><td colSpan={6} className="muted">No gateway has registered yet. Point gateways at {status.listen?.host}:{status.listen?.port}.</td></tr>}
                </tbody>
              </table>
              <h3>Classes, last cycle</h3>
              <table className="grid numeric" data-testid="monitor-classes">
                <thead><tr><th>Class</th><th>Gateway</th><th>State</th><th>IOPS</th><th>MB/s</th><th>Latency</th><th>Target</th></tr></thead>
                <tbody>
                  {(last?.classes ?? []).map((c) => (
                    <tr key={`${c.gatewayId}/${c.className}`}><td>{c.className}</td><td>{c.gatewayId}</td><td className={c.state === 'at-risk' ? 'error' : c.state === 'watch' ? 'warn' : ''}>{c.state}</td>
                      <td>{fmt(c.iops, 4)}</td><td>{fmt(c.mbps, 3)}</td><td>{c.latencyMs === null ? '—' : `${c.percentile} ${fmt(c.latencyMs)} ms`}</td><td>{c.targetMs === null ? '—' : `${c.targetMs} ms`}</td></tr>
                  ))}
                </tbody>
              </table>
            </section>
            <Chart testId="chart-latency" data={charts.latency} layout={{ title: { text: 'Latency against targets' }, xaxis: timeAxis, yaxis: { title: { text: 'ms' }, rangemode: 'tozero' } }} />
            <Chart testId="chart-class-iops" data={charts.iops} layout={{ title: { text: 'IOPS by class' }, xaxis: timeAxis, yaxis: { title: { text: 'IOPS' }, rangemode: 'tozero' } }} />
            <Chart testId="chart-class-mbps" data={charts.mbps} layout={{ title: { text: 'MB/s by class' }, xaxis: timeAxis, yaxis: { title: { text: 'MB/s' }, rangemode: 'tozero' } }} />
          </div>
          {(timeline?.actions.length ?? 0) + (timeline?.violations.length ?? 0) === 0
            ? <p className="muted panel compact-panel">No throttle actions or violations in the last 15 minutes.</p>
            : <Chart testId="chart-timeline" height={300} data={charts.events} layout={{ title: { text: 'Throttle actions and violations' }, xaxis: { type: 'date' }, yaxis: { type: 'category' }, margin: { l: 140, r: 20, t: 44, b: 90 } }} />}
          <section className="panel compact-panel">
            <h3>Throttle actions (newest first)</h3>
            <table className="grid" data-testid="monitor-actions">
              <thead><tr><th>Time</th><th>Gateway</th><th>Host / LUN</th><th>Cap</th><th>Acknowledged</th><th>Why</th></tr></thead>
              <tbody>
                {[...(timeline?.actions ?? [])].reverse().slice(0, 30).map((a) => (
                  <tr key={a.id}><td>{new Date(a.t).toLocaleTimeString()}</td><td>{a.gatewayId}</td><td>{a.host}{a.lun ? `/${a.lun}` : ''}</td>
                    <td>{a.iopsLimit ? `${fmt(a.iopsLimit, 4)} IOPS` : '∞ IOPS'}, {a.mbpsLimit ? `${fmt(a.mbpsLimit, 3)} MB/s` : '∞ MB/s'}</td>
                    <td className={a.acked === false ? 'error' : a.acked ? 'ok' : 'muted'}>{a.acked === null ? 'waiting' : a.acked ? 'yes' : `refused: ${a.ackReason ?? ''}`}</td><td className="small">{a.reason}</td></tr>
                ))}
                {(timeline?.actions.length ?? 0) === 0 && <tr><td colSpan={6} className="muted">No throttle actions yet.</td></tr>}
              </tbody>
            </table>
            <h3>Alerts and events</h3>
            <ul className="feed" data-testid="monitor-feed">
              {[
                ...(timeline?.alerts ?? []).slice(-10).map((a) => ({ key: `a${a.id}`, t: a.t, text: `${a.severity} ${a.gatewayId}: ${a.text}`, warn: true })),
                ...feed.slice(0, 20).map((f, i) => ({ key: `f${i}-${f.t}`, t: f.t, text: f.text, warn: false })),
              ].sort((a, b) => b.t - a.t).map((e) => <li key={e.key} className={e.warn ? 'warn' : undefined}>{new Date(e.t).toLocaleTimeString()} {e.text}</li>)}
            </ul>
          </section>
        </>
      )}
    </section>
  );
}

