import { useEffect, useMemo, useState } from 'react';
import type { Data } from 'plotly.js';
import type { UslFit } from '../../../../engine/analysis/index.js';
import type { MessagingSection, Workspace } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import type { WorkspaceStore } from '../../state/workspace-store.js';
import { useLongRun } from '../../useLongRun.js';
import { NumberField } from '../whatif/NumberField.js';
import { fmt, newId, parseValues } from '../whatif/model.js';
import { SizingPanel } from './SizingPanel.js';
import { delayParameterLabel } from '../../../../engine/pmdaemon/delay-labels.js';

type Study = MessagingSection['studies'][number];

/** The thread pair's CPU per gateway per cycle at the study's largest successful point. */
function latestPairCost(study: Study | null): number | null {
  const rows = study?.result.rows.filter((r) => r.arch === 'pair' && r.error === null && r.cycles > 0) ?? [];
  return rows.at(-1)?.cpuUsPerGatewayCycle ?? null;
}
type Arch = 'pair' | 'per-agent';
const ARCH_LABEL: Record<Arch, string> = { pair: 'thread pair', 'per-agent': 'thread per agent' };

/**
 * The first document's claim, measured here: one non-blocking thread pair per processor
 * against one thread per gateway, with a real fleet of gateways in another process.
 */
export function MessagingView({ workspace, store, connection }: { workspace: Workspace; store: WorkspaceStore; connection: EngineConnection }) {
  const studies = workspace.messaging?.studies ?? [];
  const [gatewaysText, setGatewaysText] = useState('10,25,50,100,200,400');
  const [archs, setArchs] = useState<Arch[]>(['pair', 'per-agent']);
  const [intervalMs, setIntervalMs] = useState<number | undefined>(1000);
  const [cycles, setCycles] = useState<number | undefined>(5);
  const [serviceUs, setServiceUs] = useState<number | undefined>(0);
  const [shards, setShards] = useState<number | undefined>(undefined);
  const [maxAgents, setMaxAgents] = useState<number | undefined>(512);
  const [batching, setBatching] = useState(true);
  const [floor, setFloor] = useState(true);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const measure = useLongRun<{ done: number; total: number; label: string }>();
  const gateways = parseValues(gatewaysText)?.map(Math.round).filter((n) => n >= 1);
  const selected = studies.find((s) => s.id === selectedId) ?? studies.at(-1) ?? null;

  const run = async (): Promise<void> => {
    if (!gateways || gateways.length === 0 || archs.length === 0) return;
    const result = await measure.start({ done: 0, total: 1, label: 'starting' }, (signal, onProgress) =>
      connection.engine.stream('messaging.run', {
        gateways, archs, batching, floor,
        ...(intervalMs !== undefined ? { intervalMs } : {}), ...(cycles !== undefined ? { cycles } : {}),
        ...(serviceUs !== undefined ? { serviceUs } : {}), ...(shards !== undefined ? { shards } : {}), ...(maxAgents !== undefined ? { maxAgents } : {}),
      }, { signal, onProgress }));
    if (!result) return;
    const id = newId('study', studies.map((s) => s.id));
    const name = `${archs.map((a) => ARCH_LABEL[a]).join(' vs ')}, ${gateways.join('/')} gateways, ${new Date(result.measuredAt).toLocaleString()}`;
    store.edit((w) => ({ ...w, messaging: { studies: [...(w.messaging?.studies ?? []), { id, name: name.slice(0, 200), result }] } }));
    setSelectedId(id);
  };

  return (
    <section className="view messaging" data-testid="messaging-view">
      <h1>Messaging: thread pair vs thread per agent</h1>
      <section className="panel">
        <h2>Measure on this machine</h2>
        <p className="muted">Starts a fleet of simulated gateways in a separate process (real TCP connections that authenticate, register and answer polls), runs each daemon architecture against it, and records cycle times, throughput, memory, threads and context switches.</p>
        <div className="field-row">
          <label className="field compact wide-field">
            <span>Gateway counts (list, or from:to:steps)</span>
            <input value={gatewaysText} onChange={(e) => setGatewaysText(e.target.value)} aria-invalid={!gateways} data-testid="messaging-gateways" />
          </label>
          {(['pair', 'per-agent'] as Arch[]).map((arch) => (
            <label key={arch} className="field compact checkbox">
              <span>{ARCH_LABEL[arch]}</span>
              <input type="checkbox" checked={archs.includes(arch)} data-testid={`messaging-arch-${arch}`}
                onChange={(e) => setArchs(e.target.checked ? [...archs, arch] : archs.filter((a) => a !== arch))} />
            </label>
          ))}
          <NumberField label="Poll interval (ms)" integer min={50} max={60_000} value={intervalMs} onChange={setIntervalMs} testId="messaging-interval" />
          <NumberField label="Cycles per point" integer min={1} max={1000} value={cycles} onChange={setCycles} testId="messaging-cycles" />
          <NumberField label="Gateway service (µs)" integer min={0} max={1_000_000} value={serviceUs} onChange={setServiceUs} />
          <NumberField label="Shards" integer min={1} max={64} optional value={shards} onChange={setShards} hint="Thread pairs of the daemon; empty uses the measured sizing rule (never more than the cores)." />
          <NumberField label="Most agent threads" integer min={1} max={4000} optional value={maxAgents} onChange={setMaxAgents} hint="Cap on the per-agent baseline's threads; beyond it the run reports where it stopped." />
          <label className="field compact checkbox"><span>Batching bench</span><input type="checkbox" checked={batching} onChange={(e) => setBatching(e.target.checked)} /></label>
          <label className="field compact checkbox" title="Bare 16-byte writes and echoes over as many loopback sockets, one thread, no protocol: the least a poll cycle can cost on this machine.">
            <span>TCP floor</span><input type="checkbox" checked={floor} onChange={(e) => setFloor(e.target.checked)} data-testid="messaging-floor" />
          </label>
        </div>
        <div className="action-row">
          {measure.running
            ? <button onClick={measure.cancel} data-testid="messaging-cancel">Cancel</button>
            : <button className="primary" onClick={() => void run()} disabled={!gateways || archs.length === 0} data-testid="messaging-run">Measure</button>}
          {measure.progress && (
            <span className="progress-line" data-testid="messaging-progress">
              <progress value={measure.progress.done} max={Math.max(1, measure.progress.total)} /> {measure.progress.label} ({measure.progress.done}/{measure.progress.total})
            </span>
          )}
        </div>
        {measure.error && <p className="error" role="alert">{measure.error}</p>}
      </section>
      <SizingPanel connection={connection} measuredPerGatewayUs={latestPairCost(selected)} />
      {studies.length > 0 && (
        <label className="field compact wide-field">
          <span>Saved measurements</span>
          <select value={selected?.id ?? ''} onChange={(e) => setSelectedId(e.target.value)} data-testid="messaging-study">
            {studies.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
          </select>
        </label>
      )}
      {selected && <StudyResults study={selected} connection={connection} />}
    </section>
  );
}

/** How far the thread pair is from the least a cycle can cost, at the largest count with both. */
function FloorSentence({ study }: { study: Study['result'] }) {
  const pair = study.rows.filter((row) => row.arch === 'pair' && row.error === null && row.cycles > 0);
  const both = (study.floor ?? []).map((f) => ({ f, p: pair.find((row) => row.gateways === f.gateways) })).filter((x) => x.p !== undefined).sort((a, b) => b.f.gateways - a.f.gateways)[0];
  if (!both) return null;
  return (
    <span data-testid="messaging-floor-summary">
      {' '}At {both.f.gateways} gateways the TCP floor is <b>{fmt(both.f.cycleP50Ms)} ms</b> p50 ({fmt(both.f.cpuUsPerSocketCycle)} µs CPU per socket per cycle, both sides);
      the thread pair's p50 is <b>{fmt(both.p!.cycleP50Ms / Math.max(1e-9, both.f.cycleP50Ms), 3)}×</b> that.
    </span>
  );
}

function StudyResults({ study, connection }: { study: Study; connection: EngineConnection }) {
  const r = study.result;
  const ok = r.rows.filter((row) => row.error === null && row.cycles > 0);
  const byArch = (arch: Arch) => ok.filter((row) => row.arch === arch).sort((a, b) => a.gateways - b.gateways);
  const archs = (['pair', 'per-agent'] as Arch[]).filter((a) => byArch(a).length > 0);
  const [fits, setFits] = useState<Record<string, UslFit | string>>({});

  useEffect(() => {
    let cancelled = false;
    const next: Record<string, UslFit | string> = {};
    void Promise.all(archs.map(async (arch) => {
      const points = byArch(arch).map((row) => ({ n: row.gateways, throughput: row.messagesPerSecond }));
      try { next[arch] = await connection.engine.call('usl.fit', { points }); } catch (err) { next[arch] = err instanceof Error ? err.message : String(err); }
    })).then(() => { if (!cancelled) setFits(next); });
    return () => { cancelled = true; };
  }, [study, connection]); // eslint-disable-line react-hooks/exhaustive-deps

  const charts = useMemo(() => {
    const line = (arch: Arch, y: (row: (typeof ok)[number]) => number, suffix = '', dash?: 'dot'): Data => ({
      x: byArch(arch).map((row) => row.gateways), y: byArch(arch).map(y), name: `${ARCH_LABEL[arch]}${suffix}`, type: 'scatter', mode: 'lines+markers',
      ...(dash ? { line: { dash } } : {}),
    });
    const cycle: Data[] = archs.flatMap((a) => [line(a, (row) => row.cycleP50Ms, ' p50'), line(a, (row) => row.cycleP99Ms, ' p99', 'dot')]);
    const floor = [...(r.floor ?? [])].sort((a, b) => a.gateways - b.gateways);
    if (floor.length > 0) {
      cycle.push({ x: floor.map((f) => f.gateways), y: floor.map((f) => f.cycleP50Ms), name: 'TCP floor p50', type: 'scatter', mode: 'lines+markers', line: { dash: 'dash', color: '#8a93a6' }, marker: { color: '#8a93a6' } });
    }
    const throughput: Data[] = archs.map((a) => line(a, (row) => row.messagesPerSecond));
    for (const a of archs) {
      const fit = fits[a];
      if (fit && typeof fit !== 'string') throughput.push({ x: fit.curve.map((p) => p.n), y: fit.curve.map((p) => p.throughput), name: `${ARCH_LABEL[a]} USL fit`, type: 'scatter', mode: 'lines', line: { dash: 'dash' } });
    }
    const memory: Data[] = archs.map((a) => line(a, (row) => row.rssMb));
    const threads: Data[] = archs.map((a) => line(a, (row) => row.osThreads));
    const curves = r.model.curves;
    const model: Data[] = [
      { x: curves.map((c) => c.gateways), y: curves.map((c) => c.threadPairMs), name: 'model: thread pair', type: 'scatter', mode: 'lines' },
      { x: curves.map((c) => c.gateways), y: curves.map((c) => c.threadPerAgentMs), name: 'model: thread per agent', type: 'scatter', mode: 'lines' },
      { x: curves.map((c) => c.gateways), y: curves.map((c) => c.singleThreadSyncMs), name: 'model: one thread, blocking', type: 'scatter', mode: 'lines', line: { dash: 'dot' } },
      ...archs.map((a): Data => ({ x: byArch(a).map((row) => row.gateways), y: byArch(a).map((row) => row.cycleP50Ms), name: `measured ${ARCH_LABEL[a]} p50`, type: 'scatter', mode: 'markers', marker: { size: 9 } })),
    ];
    return { cycle, throughput, memory, threads, model };
  }, [study, fits]); // eslint-disable-line react-hooks/exhaustive-deps

  const logX = { type: 'log' as const, title: { text: 'gateways' } };
  const failed = r.rows.filter((row) => row.error !== null);
  return (
    <div data-testid="messaging-results">
      <p className="key-figures" data-testid="messaging-summary">
        Measured {new Date(r.measuredAt).toLocaleString()} on {r.cores} cores{r.machine && <span data-testid="messaging-machine"> ({r.machine.cpuModel}, {r.machine.memoryGiB} GiB, {r.machine.os}, Node.js {r.machine.node}{r.loadAverage1m !== undefined ? `, load average ${fmt(r.loadAverage1m, 3)} at the start` : ''})</span>}, {r.request.intervalMs ?? 1000} ms poll interval.
        {r.batching && <> Concatenation: <b>{fmt(r.batching.ratio, 3)}×</b> the message rate of one write per message.</>}
        {' '}Per-message cost {fmt(r.messageCost.meanUs, 3)} µs mean, {fmt(r.messageCost.maxUs, 3)} µs max (T_ptmax).
        <FloorSentence study={r} />
      </p>
      {failed.length > 0 && (
        <p className="error" data-testid="messaging-failures">
          {failed.map((row) => `${ARCH_LABEL[row.arch]} at ${row.gateways} gateways: ${row.error}`).join('; ')}
        </p>
      )}
      <div className="chart-grid two">
        <Chart testId="chart-cycle" data={charts.cycle} layout={{ title: { text: 'Poll cycle completion' }, xaxis: logX, yaxis: { title: { text: 'ms' }, rangemode: 'tozero' } }} />
        <Chart testId="chart-throughput" data={charts.throughput} layout={{ title: { text: archs.some((a) => typeof fits[a] === 'string') ? 'Messages per second (too few gateway counts for a USL fit)' : 'Messages per second (with USL fit)' }, xaxis: logX, yaxis: { title: { text: 'messages/s' }, rangemode: 'tozero' } }} />
        <Chart testId="chart-memory" data={charts.memory} layout={{ title: { text: 'Daemon memory (RSS)' }, xaxis: logX, yaxis: { title: { text: 'MB' }, rangemode: 'tozero' } }} />
        <Chart testId="chart-threads" data={charts.threads} layout={{ title: { text: 'Daemon threads (all OS threads of the process)' }, xaxis: logX, yaxis: { title: { text: 'OS threads' }, rangemode: 'tozero' } }} />
        <Chart testId="chart-model" data={charts.model} layout={{ title: { text: 'Delay model (t1..t5, thread switching) over measured p50' }, xaxis: logX, yaxis: { title: { text: 'cycle ms' }, type: 'log' } }} />
        <div className="panel compact-panel">
          <h3>USL per architecture (messages/s vs gateways)</h3>
          <table className="grid numeric" data-testid="messaging-usl">
            <thead><tr><th>Architecture</th><th>σ</th><th>κ</th><th>peak N*</th><th>peak msg/s</th></tr></thead>
            <tbody>
              {archs.map((a) => {
                const fit = fits[a];
                return typeof fit === 'string' || fit === undefined
                  ? <tr key={a}><td>{ARCH_LABEL[a]}</td><td colSpan={4} className="muted">{fit ?? 'fitting…'}</td></tr>
                  : <tr key={a}><td>{ARCH_LABEL[a]}</td><td>{fmt(fit.sigma)}</td><td>{fmt(fit.kappa)}</td><td>{fmt(fit.peakN)}</td><td>{fmt(fit.peakThroughput, 4)}</td></tr>;
              })}
            </tbody>
          </table>
          <h3>Recommended thread pairs (shards)</h3>
          <table className="grid numeric" data-testid="messaging-sizing">
            <thead><tr><th>Gateways</th><th>Document formula</th><th>Measured rule</th><th>Recommended</th></tr></thead>
            <tbody>
              {r.sizing.map((s) => <tr key={s.gateways} title={s.basis}><td>{s.gateways}</td><td>{s.documentFormula}</td><td>{s.measuredRule}</td><td><b>{s.recommended}</b></td></tr>)}
            </tbody>
          </table>
          <p className="muted small">Document: Roundup(n / ((T_thr·1000) / T_ptmax)) with T_thr = {r.sizing[0]?.timeQuantumMs ?? 10} ms and T_ptmax = {fmt(r.sizing[0]?.ptmaxUs)} µs measured. Measured rule: CPU per gateway per cycle against the poll deadline, never more than the cores.</p>
        </div>
      </div>
      <details open>
        <summary>Measured points ({r.rows.length})</summary>
        <table className="grid numeric" data-testid="messaging-table">
          <thead><tr><th>Architecture</th><th>Gateways</th><th title="Threads doing the polling: the shards' thread pairs, or one per agent">Polling threads</th><th title="Every thread of the daemon process, Node's own (libuv pool, V8, GC) included: what the chart shows">OS threads</th><th>Registered</th><th>p50 ms</th><th>p99 ms</th><th>Late</th><th>Missed</th><th>Messages/s</th><th>CPU ms</th><th>RSS MB</th><th>Context switches</th></tr></thead>
          <tbody>
            {r.rows.map((row, i) => (
              <tr key={i}>
                <td>{ARCH_LABEL[row.arch]}</td><td>{row.gateways}</td><td>{row.threads}</td><td>{row.osThreads}</td><td>{row.registered}</td><td>{fmt(row.cycleP50Ms)}</td><td>{fmt(row.cycleP99Ms)}</td>
                <td>{row.late}</td><td>{row.missed}</td><td>{fmt(row.messagesPerSecond, 4)}</td><td>{fmt(row.cpuMs, 4)}</td><td>{fmt(row.rssMb, 4)}</td><td>{row.contextSwitches.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <details>
        <summary>Delay model parameters and where they came from</summary>
        <table className="grid">
          <thead><tr><th>Parameter</th><th>Value (µs)</th><th>Source</th></tr></thead>
          <tbody>
            {Object.entries(r.model.params).map(([k, v]) => <tr key={k}><td title={k}>{delayParameterLabel(k)}</td><td className="mono">{fmt(v, 4)}</td><td className="muted">{r.model.sources[k] ?? ''}</td></tr>)}
          </tbody>
        </table>
      </details>
    </div>
  );
}
