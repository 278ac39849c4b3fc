import { useMemo, useState } from 'react';
import type { Data } from 'plotly.js';
import type { SweepProgressUpdate } from '../../../../engine/host/contract.js';
import type { Scenario } from '../../../../engine/smp/scenario-schema.js';
import { busLawLabels } from '../../../../engine/smp/bus/law.js';
import type { SmpSection } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import { useLongRun } from '../../useLongRun.js';
import { fmt, newId, parseValues, SWEEP_PATHS } from './model.js';

type Sweep = SmpSection['sweeps'][number];

interface AxisDraft { path: string; text: string }

/** A grid of one or two parameters over a scenario, run on the engine's worker threads. */
export function SweepSection(props: {
  connection: EngineConnection;
  scenarioId: string;
  scenario: Scenario;
  sweeps: Sweep[];
  onSave: (sweep: Sweep) => void;
  onFitUsl: (name: string, source: string, points: Array<{ n: number; throughput: number }>) => void;
}) {
  const [axes, setAxes] = useState<AxisDraft[]>([
    { path: 'cpus', text: '1,2,3,4,6,8' },
    { path: 'autopilot.threshold', text: '0.6:1:5' },
  ]);
  const [useSecond, setUseSecond] = useState(true);
  const sweepRun = useLongRun<SweepProgressUpdate>();
  const { progress, error } = sweepRun;
  const mine = props.sweeps.filter((s) => s.scenarioId === props.scenarioId);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const selected = mine.find((s) => s.id === selectedId) ?? mine.at(-1) ?? null;

  const activeAxes = useSecond ? axes : axes.slice(0, 1);
  const parsed = activeAxes.map((a) => ({ path: a.path, values: parseValues(a.text) }));
  const invalid = parsed.find((a) => a.values === null);
  const points = parsed.reduce((n, a) => n * (a.values?.length ?? 0), 1);

  const run = async (): Promise<void> => {
    if (invalid) return;
    const axesValues = parsed.map((a) => ({ path: a.path, values: a.values! }));
    const result = await sweepRun.start({ done: 0, total: points }, (signal, onProgress) =>
      props.connection.engine.stream('smp.sweep', { base: props.scenario, axes: axesValues }, { signal, onProgress }));
    if (!result) return;
    const id = newId('sweep', props.sweeps.map((s) => s.id));
    const label = axesValues.map((a) => SWEEP_PATHS.find((p) => p.path === a.path)?.label ?? a.path).join(' × ');
    props.onSave({ id, name: `${props.scenario.name ?? props.scenarioId}: ${label}`, scenarioId: props.scenarioId, axes: result.axes, rows: result.rows, ranAt: new Date().toISOString() });
    setSelectedId(id);
  };

  return (
    <section className="panel" data-testid="whatif-sweep">
      <h2>Sweep</h2>
      <p className="muted">Vary one or two parameters of this scenario over a grid; every point runs both dispatchers (spread over the engine's worker threads).</p>
      <p className="muted" data-testid="sweep-bus-law">Bus law: {busLawLabels[props.scenario.bus ?? 'document']}</p>
      {axes.map((axis, i) => (
        <div className="field-row" key={i} style={i === 1 && !useSecond ? { opacity: 0.5 } : undefined}>
          {i === 1 && <label className="field compact checkbox"><span>Second axis</span><input type="checkbox" checked={useSecond} onChange={(e) => setUseSecond(e.target.checked)} data-testid="sweep-second-axis" /></label>}
          <label className="field compact select-wide">
            <span>{i === 0 ? 'Parameter' : 'Parameter 2'}</span>
            <select value={axis.path} disabled={i === 1 && !useSecond} data-testid={`sweep-path-${i}`}
              onChange={(e) => setAxes(axes.map((a, k) => (k === i ? { path: e.target.value, text: SWEEP_PATHS.find((p) => p.path === e.target.value)?.example ?? a.text } : a)))}>
              {SWEEP_PATHS.map((p) => <option key={p.path} value={p.path}>{p.label}</option>)}
            </select>
          </label>
          <label className="field compact wide-field">
            <span>Values (list, or from:to:steps)</span>
            <input value={axis.text} disabled={i === 1 && !useSecond} aria-invalid={parseValues(axis.text) === null} data-testid={`sweep-values-${i}`}
              onChange={(e) => setAxes(axes.map((a, k) => (k === i ? { ...a, text: e.target.value } : a)))} />
          </label>
        </div>
      ))}
      <div className="action-row">
        {progress
          ? <button onClick={sweepRun.cancel} data-testid="sweep-cancel">Cancel</button>
          : <button className="primary" disabled={Boolean(invalid) || points === 0} onClick={() => void run()} data-testid="sweep-run">Run sweep ({points} points)</button>}
        {progress && (
          <span className="progress-line" data-testid="sweep-progress">
            <progress value={progress.done} max={progress.total} /> {progress.done} / {progress.total} points
          </span>
        )}
        {invalid && <span className="error">Values for {invalid.path} do not parse.</span>}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {mine.length > 1 && (
        <label className="field compact">
          <span>Saved sweeps</span>
          <select value={selected?.id ?? ''} onChange={(e) => setSelectedId(e.target.value)}>
            {mine.map((s) => <option key={s.id} value={s.id}>{s.name}{s.ranAt ? ` (${new Date(s.ranAt).toLocaleString()})` : ''}</option>)}
          </select>
        </label>
      )}
      {selected?.rows && <SweepChart sweep={selected} onFitUsl={props.onFitUsl} />}
    </section>
  );
}

function SweepChart({ sweep, onFitUsl }: { sweep: Sweep; onFitUsl: (name: string, source: string, points: Array<{ n: number; throughput: number }>) => void }) {
  const rows = sweep.rows ?? [];
  const [a, b] = sweep.axes;
  const percentOf = (path: string): boolean => SWEEP_PATHS.find((p) => p.path === path)?.percent === true;
  const label = (path: string): string => `${SWEEP_PATHS.find((p) => p.path === path)?.label ?? path}${percentOf(path) ? ' (%)' : ''}`;
  // Shares read in % on the axes, as the scenario form shows them.
  const shown = (path: string, v: number): number => (percentOf(path) ? Number((v * 100).toPrecision(10)) : v);
  const chart = useMemo(() => {
    if (!a) return null;
    if (!b) {
      const x = rows.map((r) => shown(a.path, Number(r[a.path])));
      const data: Data[] = [
        { x, y: rows.map((r) => r.standardThroughput as number), name: 'standard', type: 'scatter', mode: 'lines+markers' },
        { x, y: rows.map((r) => r.autopilotThroughput as number), name: 'AutoPilot', type: 'scatter', mode: 'lines+markers' },
      ];
      if (rows.some((r) => typeof r.oracleThroughput === 'number')) data.push({ x, y: rows.map((r) => r.oracleThroughput as number | null), name: 'oracle (best possible)', type: 'scatter', mode: 'lines+markers', line: { dash: 'dot' } });
      return { data, title: `Throughput vs ${label(a.path)}`, xTitle: label(a.path), yTitle: 'throughput' };
    }
    const z = b.values.map((bv) => a.values.map((av) => {
      const row = rows.find((r) => r[a.path] === av && r[b.path] === bv);
      return typeof row?.autopilotVsStandard === 'number' ? row.autopilotVsStandard : null;
    }));
    // zmid centres the diverging scale on 1 (no gain); Plotly's types omit it.
    const heatmap = {
      type: 'heatmap', x: a.values.map((v) => String(shown(a.path, v))), y: b.values.map((v) => fmt(shown(b.path, v), 3)), z,
      colorscale: 'RdBu', zmid: 1, colorbar: { title: { text: 'AutoPilot ÷ standard' } },
      hovertemplate: `${label(a.path)} %{x}<br>${label(b.path)} %{y}<br>ratio %{z:.3f}<extra></extra>`,
    } as unknown as Data;
    const data: Data[] = [heatmap];
    return { data, title: 'AutoPilot throughput ÷ standard', xTitle: label(a.path), yTitle: label(b.path) };
  }, [rows, a, b]);
  if (!chart || !a) return null;
  const cpuAxis = a.path === 'cpus' && !b;
  return (
    <div data-testid="sweep-results">
      <Chart testId={b ? 'chart-sweep-heatmap' : 'chart-sweep-line'} data={chart.data}
        layout={{ title: { text: chart.title }, xaxis: { title: { text: chart.xTitle }, type: b ? 'category' : 'linear' }, yaxis: { title: { text: chart.yTitle }, ...(b ? { type: 'category' as const } : {}) } }} />
      {cpuAxis && (
        <div className="action-row">
          <button onClick={() => onFitUsl(`${sweep.name} (AutoPilot)`, `sweep ${sweep.id}`, rows.map((r) => ({ n: Number(r.cpus), throughput: Number(r.autopilotThroughput) })))} data-testid="fit-usl-autopilot">Fit USL to AutoPilot</button>
          <button onClick={() => onFitUsl(`${sweep.name} (standard)`, `sweep ${sweep.id}`, rows.map((r) => ({ n: Number(r.cpus), throughput: Number(r.standardThroughput) })))}>Fit USL to standard</button>
        </div>
      )}
      <details>
        <summary>Rows ({rows.length})</summary>
        <table className="grid numeric">
          <thead><tr>{sweep.axes.map((x) => <th key={x.path}>{label(x.path)}</th>)}<th>standard</th><th>AutoPilot</th><th>ratio</th><th>vs oracle</th><th>over-committed (std → AP)</th></tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                {sweep.axes.map((x) => <td key={x.path}>{fmt(r[x.path] as number, 4)}</td>)}
                <td>{fmt(r.standardThroughput as number, 4)}</td><td>{fmt(r.autopilotThroughput as number, 4)}</td>
                <td>{fmt(r.autopilotVsStandard as number, 4)}</td><td>{fmt(r.autopilotVsOracle as number | null, 3)}</td>
                <td>{fmt(r.standardOverCommitted as number, 3)} → {fmt(r.autopilotOverCommitted as number, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
