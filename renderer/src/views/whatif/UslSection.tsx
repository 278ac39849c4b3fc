import { useEffect, useMemo, useState } from 'react';
import type { Data } from 'plotly.js';
import type { UslFit } from '../../../../engine/analysis/index.js';
import type { SmpSection } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import { fmt, newId } from './model.js';
import { parsePoints } from './paste.js';

type Series = SmpSection['uslSeries'][number];


/** Universal Scalability Law: contention σ, coherency κ and the peak it implies, for any throughput series. */
export function UslSection(props: { connection: EngineConnection; series: Series[]; selectedId: string | null; onSelect: (id: string) => void; onAdd: (s: Series) => void; onRemove: (id: string) => void }) {
  const selected = props.series.find((s) => s.id === props.selectedId) ?? props.series.at(-1) ?? null;
  const [fit, setFit] = useState<UslFit | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [paste, setPaste] = useState('N,throughput\n1,995\n2,1910\n4,3460\n8,5420\n16,6650\n32,6010\n64,4120');
  const [pasteError, setPasteError] = useState<string | null>(null);
  const [pasteName, setPasteName] = useState('');

  useEffect(() => {
    setFit(null); setError(null);
    if (!selected) return;
    props.connection.engine.call('usl.fit', { points: selected.points })
      .then(setFit)
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [selected, props.connection]);

  const chart = useMemo((): Data[] | null => {
    if (!selected) return null;
    const data: Data[] = [{ x: selected.points.map((p) => p.n), y: selected.points.map((p) => p.throughput), name: 'measured', type: 'scatter', mode: 'markers', marker: { size: 9 } }];
    if (fit) {
      data.push({ x: fit.curve.map((p) => p.n), y: fit.curve.map((p) => p.throughput), name: 'USL fit', type: 'scatter', mode: 'lines' });
      if (fit.peakN !== null && fit.peakThroughput !== null) data.push({ x: [fit.peakN], y: [fit.peakThroughput], name: `peak N* = ${fmt(fit.peakN)}`, type: 'scatter', mode: 'markers', marker: { symbol: 'star', size: 14 } });
    }
    return data;
  }, [selected, fit]);

  const addPasted = (): void => {
    const parsed = parsePoints(paste);
    if (typeof parsed === 'string') { setPasteError(parsed); return; }
    setPasteError(null);
    const id = newId('usl', props.series.map((s) => s.id));
    const name = pasteName.trim() || (parsed.label ? `Pasted ${parsed.label}` : `Pasted series ${props.series.length + 1}`);
    props.onAdd({ id, name: name.slice(0, 200), source: 'pasted', points: parsed.points, ...(parsed.label ? { throughputLabel: parsed.label.slice(0, 100) } : {}) });
  };

  return (
    <section className="panel" data-testid="whatif-usl">
      <h2>Scalability (USL)</h2>
      <p className="muted">X(N) = λN / (1 + σ(N−1) + κN(N−1)), fitted by bounded least squares. Needs at least 6 points.</p>
      <div className="usl-layout">
        <div>
          <label className="field compact">
            <span>Series</span>
            <select value={selected?.id ?? ''} onChange={(e) => props.onSelect(e.target.value)} data-testid="usl-series">
              {props.series.length === 0 && <option value="">none yet</option>}
              {props.series.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.points.length} points)</option>)}
            </select>
          </label>
          {selected && <button className="quiet" onClick={() => props.onRemove(selected.id)}>Remove series</button>}
          <label className="field compact">
            <span>Paste a series (N, throughput per line)</span>
            <textarea rows={7} className="mono" value={paste} onChange={(e) => setPaste(e.target.value)} data-testid="usl-paste" />
          </label>
          <label className="field compact">
            <span>Name of the pasted series</span>
            <input value={pasteName} onChange={(e) => setPasteName(e.target.value)} placeholder="from its header" data-testid="usl-paste-name" />
          </label>
          <button onClick={addPasted} data-testid="usl-add-pasted">Add pasted series</button>
          {pasteError && <p className="error">{pasteError}</p>}
        </div>
        <div>
          {error && <p className="error" role="alert" data-testid="usl-error">{error}</p>}
          {fit && (
            <table className="grid numeric" data-testid="usl-fit">
              <thead><tr><th>Coefficient</th><th>Estimate</th><th>{Math.round(fit.confidence * 100)}% interval</th></tr></thead>
              <tbody>
                <tr><td>σ (contention)</td><td>{fmt(fit.sigma, 4)}</td><td>{fmt(fit.intervals.sigma.low, 3)} – {fmt(fit.intervals.sigma.high, 3)}</td></tr>
                <tr><td>κ (coherency)</td><td>{fmt(fit.kappa, 4)}</td><td>{fmt(fit.intervals.kappa.low, 3)} – {fmt(fit.intervals.kappa.high, 3)}</td></tr>
                <tr><td>λ (throughput of one)</td><td>{fmt(fit.lambda, 5)}</td><td>{fmt(fit.intervals.lambda.low, 4)} – {fmt(fit.intervals.lambda.high, 4)}</td></tr>
                <tr><td>Peak N*</td><td>{fmt(fit.peakN, 4)}</td><td /></tr>
                <tr><td>Peak throughput</td><td>{fmt(fit.peakThroughput, 5)}</td><td /></tr>
                <tr><td>R²</td><td>{fmt(fit.rSquared, 4)}</td><td /></tr>
              </tbody>
            </table>
          )}
        </div>
      </div>
      {chart && <Chart testId="chart-usl" data={chart} layout={{ title: { text: selected?.name ?? 'USL' }, xaxis: { title: { text: 'N' } }, yaxis: { title: { text: selected?.throughputLabel ?? 'throughput' }, rangemode: 'tozero' } }} />}
    </section>
  );
}
