import { useMemo } from 'react';
import type { Data } from 'plotly.js';
import type { ScenarioResult } from '../../../../engine/smp/index.js';
import { Chart } from '../../components/Chart.js';
import { fmt, pct } from './model.js';

/** Standard dispatcher against AutoPilot (and the oracle where the job set is small). */
export function SimulationResults({ result }: { result: ScenarioResult }) {
  const { standard, autopilot, oracle } = result;
  const threshold = result.autopilotSettings.threshold;
  const busChart = useMemo((): Data[] => {
    const traces: Data[] = [];
    for (const run of [standard, autopilot]) {
      if (!run.series) continue;
      traces.push({ x: run.series.t, y: run.series.mean.map((v) => v * 100), name: `${run.dispatcher === 'standard' ? 'standard' : 'AutoPilot'} (mean)`, type: 'scatter', mode: 'lines', line: { shape: 'hv' } });
    }
    const end = Math.max(standard.elapsed, autopilot.elapsed);
    traces.push({ x: [0, end], y: [threshold * 100, threshold * 100], name: `threshold ${pct(threshold, 0)}`, type: 'scatter', mode: 'lines', line: { dash: 'dash', color: '#e5b454' } });
    traces.push({ x: [0, end], y: [100, 100], name: 'bus capacity', type: 'scatter', mode: 'lines', line: { dash: 'dot', color: '#f26d6d' } });
    return traces;
  }, [standard, autopilot, threshold]);
  const slowdownChart = useMemo((): Data[] => [
    { x: standard.threads.map((t) => t.name), y: standard.threads.map((t) => t.slowdown), name: 'standard', type: 'bar' },
    { x: autopilot.threads.map((t) => t.name), y: autopilot.threads.map((t) => t.slowdown), name: 'AutoPilot', type: 'bar' },
  ], [standard, autopilot]);

  const rows: Array<[string, (r: typeof standard) => string, string | null]> = [
    ['Throughput (reference CPUs of work)', (r) => fmt(r.throughput, 4), oracle ? fmt(oracle.throughput, 4) : null],
    ['Makespan (ms)', (r) => fmt(r.makespan, 5), oracle ? fmt(oracle.makespan, 5) : null],
    ['Work completed', (r) => fmt(r.workCompleted, 5), null],
    ['Threads finished', (r) => `${r.threadsFinished} / ${r.threads.length}`, null],
    ['Slowdown, mean', (r) => fmt(r.slowdownMean), null],
    ['Slowdown, worst', (r) => fmt(r.slowdownWorst), null],
    ['Slowdown while running (the bus alone)', (r) => fmt(r.runningSlowdownMean), null],
    ['Bus utilisation, mean', (r) => pct(r.busMean), null],
    ['Offered bus demand, mean', (r) => pct(r.offeredMean), null],
    ['Time over threshold', (r) => pct(r.overThresholdFraction), null],
    ['Time demand over capacity (>100%)', (r) => pct(r.overCommittedFraction), null],
    ['CPU idle', (r) => pct(r.cpuIdleFraction), null],
    ['Most pass-overs of one thread', (r) => String(r.maxPassOvers), null],
    ['Dispatch decisions', (r) => r.decisions.toLocaleString(), null],
  ];
  return (
    <div className="results" data-testid="simulation-results">
      <p className="muted" data-testid="simulation-bus-law">Bus law: {result.busLabel} · AutoPilot {autopilot.variant === 'projected' ? 'projected commitment (Headroom\'s own variant)' : 'as the document describes it'}</p>
      <p className="key-figures" data-testid="simulation-summary">
        AutoPilot / standard throughput <b>{fmt(result.comparison.autopilotVsStandard, 4)}×</b>
        {result.comparison.autopilotVsOracle !== null && <> · AutoPilot reaches <b>{pct(result.comparison.autopilotVsOracle)}</b> of the best possible schedule</>}
        {' '}· over-committed {pct(standard.overCommittedFraction)} → {pct(autopilot.overCommittedFraction)} of the time
      </p>
      <table className="grid numeric compare">
        <thead><tr><th>Metric</th><th>Standard</th><th>AutoPilot</th>{oracle && <th>Oracle</th>}</tr></thead>
        <tbody>
          {rows.map(([label, get, best]) => (
            <tr key={label}><td>{label}</td><td>{get(standard)}</td><td>{get(autopilot)}</td>{oracle && <td>{best ?? ''}</td>}</tr>
          ))}
        </tbody>
      </table>
      <div className="chart-grid two">
        <Chart testId="chart-bus" data={busChart} layout={{ title: { text: `Bus ${result.bus === 'document' ? 'commitment' : 'utilisation'} over time (${result.bus} law)` }, xaxis: { title: { text: 'time (ms)' } }, yaxis: { title: { text: result.bus === 'document' ? 'bus commitment (%)' : 'bus utilisation (%)' }, rangemode: 'tozero' } }} />
        <Chart testId="chart-slowdown" data={slowdownChart} layout={{ title: { text: 'Slowdown against running alone' }, barmode: 'group', xaxis: { title: { text: 'thread' } },
          // Rotated thread names push the axis title down; the legend goes above the bars, clear of both.
          legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.02, yanchor: 'bottom' }, yaxis: { title: { text: 'slowdown (×)' }, rangemode: 'tozero' } }} />
      </div>
    </div>
  );
}
