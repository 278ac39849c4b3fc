import { useEffect, useMemo, useState } from 'react';
import type { Data } from 'plotly.js';
import type { AnalyticResult } from '../../../../engine/host/contract.js';
import type { SmpSection } from '../../../../engine/workspace/schema.js';
import { Chart } from '../../components/Chart.js';
import type { EngineConnection } from '../../engine/connection.js';
import { busLawLabels, whyLawsDiffer } from '../../../../engine/smp/bus/law.js';
import { NumberField } from './NumberField.js';
import { fmt, pct, TABLE1 } from './model.js';

type Analytic = SmpSection['analytic'];

/** Tables 1-2 and Figures 10A-10D of the document, recomputed for the planner's own parameters. */
export function AnalyticSection({ analytic, onChange, connection }: { analytic: Analytic; onChange: (a: Analytic) => void; connection: EngineConnection }) {
  const [result, setResult] = useState<AnalyticResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => {
      const cpus = Array.from({ length: analytic.maxCpus }, (_, i) => i + 1);
      connection.engine.call('smp.analytic', { cpus, busDemand: analytic.busDemand, ioLoad: analytic.ioLoad, hierarchy: analytic.hierarchy })
        .then((r) => { setResult(r); setError(null); })
        .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
    }, 150);
    return () => clearTimeout(timer);
  }, [analytic, connection]);
  const h = analytic.hierarchy;
  const setH = (patch: Partial<Analytic['hierarchy']>): void => onChange({ ...analytic, hierarchy: { ...h, ...patch } });

  const charts = useMemo(() => {
    if (!result) return null;
    const x = result.withoutIo.map((r) => r.cpus);
    const ioLabel = `with ${pct(result.ioLoad, 0)} I/O`;
    const cpi: Data[] = [
      { x, y: result.withoutIo.map((r) => r.cpi), name: 'document law (Table 2)', mode: 'lines+markers', type: 'scatter' },
      { x, y: result.withIo.map((r) => r.cpi), name: `document law, ${ioLabel}`, mode: 'lines+markers', type: 'scatter', line: { dash: 'dot' } },
      { x, y: result.withoutIo.map((r) => r.mvaCpi), name: 'queueing law (exact MVA)', mode: 'lines+markers', type: 'scatter' },
    ];
    const efficiency: Data[] = [
      { x, y: result.withoutIo.map((r) => r.efficiency * 100), name: 'document law, no I/O (Fig. 10A)', type: 'scatter', mode: 'lines+markers' },
      { x, y: result.withIo.map((r) => r.efficiency * 100), name: `document law, ${ioLabel} (Fig. 10C)`, type: 'scatter', mode: 'lines+markers', line: { dash: 'dot' } },
      { x, y: result.withoutIo.map((r) => r.mvaEfficiency * 100), name: 'queueing law, no I/O', type: 'scatter', mode: 'lines' },
    ];
    const speedup: Data[] = [
      { x, y: x, name: 'linear', type: 'scatter', mode: 'lines', line: { dash: 'dash', color: '#666' } },
      { x, y: result.withoutIo.map((r) => r.speedup), name: 'document law, no I/O (Fig. 10B)', type: 'scatter', mode: 'lines+markers' },
      { x, y: result.withIo.map((r) => r.speedup), name: `document law, ${ioLabel} (Fig. 10D)`, type: 'scatter', mode: 'lines+markers', line: { dash: 'dot' } },
      { x, y: result.withoutIo.map((r) => r.mvaSpeedup), name: 'queueing law, no I/O', type: 'scatter', mode: 'lines' },
    ];
    return { cpi, efficiency, speedup };
  }, [result]);

  const best = result ? result.withoutIo.reduce((a, b) => (b.speedup > a.speedup ? b : a)) : null;
  return (
    <section className="panel" data-testid="whatif-analytic">
      <h2>Bus contention model</h2>
      <p className="muted">Memory-hierarchy CPI (Table 1) and how main-memory cost grows as CPUs share the bus, under two laws drawn together: the {busLawLabels.document}; and the {busLawLabels.queueing}. Background I/O takes bus bandwidth from every CPU.</p>
      <p className="muted" data-testid="analytic-why"><b>Why they differ:</b> {whyLawsDiffer}</p>
      <div className="field-row">
        <NumberField label="Bus demand per CPU" percent value={analytic.busDemand} min={0.001} max={1} onChange={(v) => v !== undefined && onChange({ ...analytic, busDemand: v })} testId="analytic-bus-demand" />
        <NumberField label="Background I/O load" percent value={analytic.ioLoad} min={0} max={0.99} onChange={(v) => v !== undefined && onChange({ ...analytic, ioLoad: v })} testId="analytic-io-load" />
        <NumberField label="CPUs up to" integer value={analytic.maxCpus} min={1} max={256} onChange={(v) => v !== undefined && onChange({ ...analytic, maxCpus: v })} />
        <NumberField label="L1 hits" percent value={h.l1HitFraction} min={0} max={1} onChange={(v) => v !== undefined && setH({ l1HitFraction: v })} />
        <NumberField label="L1 cycles" value={h.l1Cycles} min={0} onChange={(v) => v !== undefined && setH({ l1Cycles: v })} />
        <NumberField label="L2 hits" percent value={h.l2HitFraction} min={0} max={1} onChange={(v) => v !== undefined && setH({ l2HitFraction: v })} />
        <NumberField label="L2 cycles" value={h.l2Cycles} min={0} onChange={(v) => v !== undefined && setH({ l2Cycles: v })} />
        <NumberField label="Memory (bus cycles)" value={h.memoryBusCycles} min={0} onChange={(v) => v !== undefined && setH({ memoryBusCycles: v })} />
        <NumberField label="Bus/CPU clock" value={h.busClockRatio} min={0.001} onChange={(v) => v !== undefined && setH({ busClockRatio: v })} />
        <button className="quiet" onClick={() => onChange({ ...analytic, busDemand: 0.1, hierarchy: { ...TABLE1 } })}>Reset to Table 1</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {result && charts && (
        <>
          <p className="key-figures" data-testid="analytic-summary">
            CPI alone <b>{fmt(result.withoutIo[0]?.cpi)}</b> · best speedup <b>{fmt(best?.speedup)}</b> at <b>{best?.cpus}</b> CPUs ·
            efficiency at {result.withoutIo.at(-1)?.cpus} CPUs <b>{pct(result.withoutIo.at(-1)?.efficiency)}</b> ({pct(result.withIo.at(-1)?.efficiency)} with I/O)
          </p>
          <div className="chart-grid">
            <Chart testId="chart-cpi" data={charts.cpi} layout={{ title: { text: 'CPI vs CPUs' }, xaxis: { title: { text: 'CPUs' }, dtick: 1 }, yaxis: { title: { text: 'cycles per instruction' } } }} />
            <Chart testId="chart-efficiency" data={charts.efficiency} layout={{ title: { text: 'Efficiency vs CPUs' }, xaxis: { title: { text: 'CPUs' }, dtick: 1 }, yaxis: { title: { text: 'efficiency (%)' }, range: [0, 105] } }} />
            <Chart testId="chart-speedup" data={charts.speedup} layout={{ title: { text: 'Speedup vs CPUs' }, xaxis: { title: { text: 'CPUs' }, dtick: 1 }, yaxis: { title: { text: 'speedup (× one CPU)' } } }} />
          </div>
          <details>
            <summary>Table ({result.withoutIo.length} rows)</summary>
            <table className="grid numeric" data-testid="analytic-table">
              <thead><tr><th>CPUs</th><th>conflict</th><th>main-memory CPI</th><th>CPI</th><th>efficiency</th><th>speedup</th><th>CPI with I/O</th><th>queueing-law CPI (MVA)</th><th>queueing-law bus util.</th></tr></thead>
              <tbody>
                {result.withoutIo.map((r, i) => (
                  <tr key={r.cpus}>
                    <td>{r.cpus}</td><td>{pct(r.conflict)}</td><td>{fmt(r.main)}</td><td>{r.cpi.toFixed(1)}</td><td>{pct(r.efficiency)}</td><td>{fmt(r.speedup)}</td>
                    <td>{result.withIo[i]!.cpi.toFixed(1)}</td><td>{fmt(r.mvaCpi)}</td><td>{pct(r.mvaBusUtilisation)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}
