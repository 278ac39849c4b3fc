import { analyticTable, autopilotGain, busLawLabels, gainTableRows, lawTable, simulateScenario, whyLawsDiffer, type AnalyticRow, type BusLawId, type RunMetrics, type ScenarioResult } from '../../smp/index.js';
import { fitUsl, UslInputError, type UslFit } from '../../analysis/index.js';
import type { SmpSection } from '../../workspace/index.js';
import { emptySection, type Cell, type ChartSeries, type ChartSpec, type ReportSection, type ReportTable } from '../model.js';
import { col, finiteOrNull, snakeCase, table, type BuildContext, type ReportItem, type SectionBuilder } from './section-builder.js';

type Analytic = SmpSection['analytic'];
type SavedScenario = SmpSection['scenarios'][number];
type SavedSweep = SmpSection['sweeps'][number];
type SavedSeries = SmpSection['uslSeries'][number];

const ANALYTIC = 'smp.analytic';
const GAIN = 'smp.gain';
/** Random workloads the report's gain table runs unless the workspace sets smp.gainSuite.count. */
export const REPORT_GAIN_SUITE = 100;
const scenarioName = (id: string): string => `smp.scenario.${id}`;
const sweepName = (id: string): string => `smp.sweep.${id}`;
const uslName = (id: string): string => `smp.usl.${id}`;

/** The SMP bus section: analytic model, scenarios re-run per seed, saved sweeps, USL fits. */
export const smpSection: SectionBuilder = {
  kind: 'smp',
  title: 'SMP bus and AutoPilot dispatch',
  items(workspace) {
    const smp = workspace.smp;
    if (!smp) return [];
    const items: ReportItem[] = [{ name: ANALYTIC, title: 'Analytic bus model (Table 2, Figure 10)' }];
    for (const s of smp.scenarios) items.push({ name: scenarioName(s.id), title: `Scenario: ${s.scenario.name ?? s.id}` });
    for (const s of smp.sweeps) items.push({ name: sweepName(s.id), title: `Sweep: ${s.name}` });
    for (const s of smp.uslSeries) items.push({ name: uslName(s.id), title: `USL fit: ${s.name}` });
    if (smp.scenarios.length > 0 || smp.gainSuite) items.push({ name: GAIN, title: 'AutoPilot\'s gain under each bus law' });
    return items;
  },
  async build(ctx) {
    const smp = ctx.workspace.smp;
    if (!smp) return null;
    const section = emptySection('smp', this.title);
    section.paragraphs.push('Every figure in this section is recomputed from the workspace by the engine when the report is generated: the analytic model in closed form, scenarios by the discrete-event simulator (deterministic for a given seed), USL parameters by a bounded Levenberg-Marquardt fit. Sweep tables are the rows saved with the workspace.');
    if (ctx.wants(ANALYTIC)) {
      section.children.push(analyticSection(smp.analytic));
      await ctx.step('analytic model');
    }
    for (const saved of smp.scenarios) {
      if (!ctx.wants(scenarioName(saved.id))) continue;
      section.children.push(scenarioSection(saved));
      await ctx.step(`scenario ${saved.id}`);
    }
    for (const sweep of smp.sweeps) {
      if (!ctx.wants(sweepName(sweep.id))) continue;
      section.children.push(sweepSection(sweep));
      await ctx.step(`sweep ${sweep.id}`);
    }
    for (const series of smp.uslSeries) {
      if (!ctx.wants(uslName(series.id))) continue;
      section.children.push(uslSection(series));
      await ctx.step(`USL ${series.id}`);
    }
    if ((smp.scenarios.length > 0 || smp.gainSuite) && ctx.wants(GAIN)) {
      section.children.push(await gainSection(smp));
      await ctx.step('AutoPilot gain');
    }
    return section.children.length > 0 ? section : null;
  },
};

function cpuCounts(maxCpus: number): number[] {
  return Array.from({ length: maxCpus }, (_, i) => i + 1);
}

const analyticColumns = [
  col('cpus', 'CPUs'),
  col('conflict_fraction', 'Bus conflict', { digits: 0, scale: 100, unit: '%' }),
  col('l1_cpi_cycles', 'L1', { digits: 1, unit: 'cycles' }),
  col('l2_cpi_cycles', 'L2', { digits: 1, unit: 'cycles' }),
  col('main_cpi_cycles', 'Main memory', { digits: 1, unit: 'cycles' }),
  col('cpi_cycles', 'CPI', { digits: 1, unit: 'cycles' }),
  col('efficiency_fraction', 'Efficiency', { digits: 1, scale: 100, unit: '%' }),
  col('speedup_x', 'Speedup', { digits: 2, unit: '×' }),
  col('mva_cpi_cycles', 'MVA CPI', { digits: 2, unit: 'cycles' }),
  col('mva_speedup_x', 'MVA speedup', { digits: 2, unit: '×' }),
];

function analyticRows(rows: readonly AnalyticRow[]): Cell[][] {
  return rows.map((r) => [r.cpus, r.conflict, r.l1, r.l2, r.main, r.cpi, r.efficiency, r.speedup, r.mvaCpi, r.mvaSpeedup]);
}

export function analyticSection(a: Analytic): ReportSection {
  const section = emptySection(ANALYTIC, 'Analytic bus model');
  const cpus = cpuCounts(a.maxCpus);
  const base = { hierarchy: a.hierarchy, busDemand: a.busDemand, cpus };
  const noIo = analyticTable({ ...base, ioLoad: 0 });
  const busMaster = analyticTable({ ...base, ioLoad: a.ioLoad, ioModel: 'bus-master' });
  const perCpu = analyticTable({ ...base, ioLoad: a.ioLoad, ioModel: 'per-cpu' });
  section.paragraphs.push(
    'CPUs that each need the shared bus for a share of their time slow each other down: a main-memory access that finds the bus taken waits behind the other bus masters. The table is the document\'s Table 2 for these settings, with efficiency (ideal CPI over contended CPI) and speedup (CPUs × efficiency); the MVA columns are the exact machine-repairman model of the same bus, for comparison.',
  );
  section.parameters.push(
    { name: 'Bus demand per CPU', value: a.busDemand * 100, unit: '%' },
    { name: 'Background I/O load', value: a.ioLoad * 100, unit: '% of bus bandwidth' },
    { name: 'CPUs', value: `1 to ${a.maxCpus}` },
    { name: 'L1 hit fraction', value: a.hierarchy.l1HitFraction },
    { name: 'L1 cost', value: a.hierarchy.l1Cycles, unit: 'CPU cycles' },
    { name: 'L2 hit fraction', value: a.hierarchy.l2HitFraction },
    { name: 'L2 cost', value: a.hierarchy.l2Cycles, unit: 'CPU cycles' },
    { name: 'Main memory cost', value: a.hierarchy.memoryBusCycles, unit: 'bus cycles' },
    { name: 'Bus clock / CPU clock', value: a.hierarchy.busClockRatio },
  );
  section.tables.push(table('smp.analytic.no-io', 'CPI, efficiency and speedup without I/O (the document\'s Table 2)', analyticColumns, analyticRows(noIo),
    'analyticTable() with ioLoad 0; CPI = L1 + L2 + main memory, in CPU cycles per memory reference.'));
  const queueing = lawTable({ ...base, ioLoad: 0, bus: { law: 'queueing', queueing: { serviceCycles: a.hierarchy.memoryBusCycles / a.hierarchy.busClockRatio, arbitrationCycles: 0, retryCycles: 0, arbitration: 'fcfs', idleLatencyCycles: null } } });
  section.paragraphs.push(`The document law (${busLawLabels.document}) is set beside the queueing law (${busLawLabels.queueing}; its figures are the MVA columns). ${whyLawsDiffer}`);
  const curves = (pick: (r: AnalyticRow) => number): ChartSeries[] => {
    const series: ChartSeries[] = [{ name: 'document law, no I/O', x: cpus, y: noIo.map(pick) }];
    if (a.ioLoad > 0) {
      series.push({ name: `${pct(a.ioLoad)} I/O (bus master)`, x: cpus, y: busMaster.map(pick) });
      series.push({ name: `${pct(a.ioLoad)} I/O (per CPU)`, x: cpus, y: perCpu.map(pick) });
    }
    return series;
  };
  if (a.ioLoad > 0) {
    section.paragraphs.push(
      `With ${pct(a.ioLoad)} background I/O the answer depends on how I/O enters the bus: as one more bus master (the simulator's reading), or as traffic each CPU's application brings along (the reading that matches the document's "about 20%" loss). Both are shown.`,
    );
    section.tables.push(table('smp.analytic.io', `Efficiency and speedup with ${pct(a.ioLoad)} background I/O`, [
      col('cpus', 'CPUs'),
      col('cpi_no_io_cycles', 'CPI, no I/O', { digits: 1, unit: 'cycles' }),
      col('cpi_io_bus_master_cycles', 'CPI, I/O as bus master', { digits: 1, unit: 'cycles' }),
      col('cpi_io_per_cpu_cycles', 'CPI, I/O per CPU', { digits: 1, unit: 'cycles' }),
      col('efficiency_no_io_fraction', 'Efficiency, no I/O', { digits: 1, scale: 100, unit: '%' }),
      col('efficiency_io_bus_master_fraction', 'Efficiency, I/O bus master', { digits: 1, scale: 100, unit: '%' }),
      col('efficiency_io_per_cpu_fraction', 'Efficiency, I/O per CPU', { digits: 1, scale: 100, unit: '%' }),
      col('speedup_no_io_x', 'Speedup, no I/O', { digits: 2, unit: '×' }),
      col('speedup_io_bus_master_x', 'Speedup, I/O bus master', { digits: 2, unit: '×' }),
      col('speedup_io_per_cpu_x', 'Speedup, I/O per CPU', { digits: 2, unit: '×' }),
    ], cpus.map((n, i) => [n, noIo[i]!.cpi, busMaster[i]!.cpi, perCpu[i]!.cpi, noIo[i]!.efficiency, busMaster[i]!.efficiency, perCpu[i]!.efficiency, noIo[i]!.speedup, busMaster[i]!.speedup, perCpu[i]!.speedup]),
    'analyticTable() with the workspace\'s ioLoad under both I/O readings (ioModel bus-master and per-cpu).'));
  }
  section.charts.push(
    { id: 'smp.analytic.efficiency', title: 'Efficiency as CPUs are added (Figure 10A/10C)', kind: 'line', xLabel: 'CPUs', yLabel: 'efficiency (%)',
      series: [...curves((r) => r.efficiency * 100), { name: 'queueing law, no I/O', x: cpus, y: queueing.map((r) => r.efficiency * 100), dash: true }] },
    { id: 'smp.analytic.speedup', title: 'Speedup as CPUs are added (Figure 10B/10D)', kind: 'line', xLabel: 'CPUs', yLabel: 'speedup (×)',
      series: [...curves((r) => r.speedup), { name: 'queueing law, no I/O', x: cpus, y: queueing.map((r) => r.speedup), dash: true }] },
  );
  return section;
}

function pct(fraction: number): string {
  return `${Number((fraction * 100).toFixed(2))}%`;
}

const metricColumns = [
  col('dispatcher', 'Dispatcher'),
  col('throughput_cpu_equivalents', 'Throughput', { digits: 3, unit: 'CPU-equivalents' }),
  col('makespan_time_units', 'Makespan', { digits: 1, unit: 'ms' }),
  col('work_completed_time_units', 'Work completed', { digits: 1, unit: 'ms' }),
  col('threads_finished', 'Threads finished'),
  col('slowdown_mean_x', 'Slowdown, mean', { digits: 2, unit: '×' }),
  col('slowdown_worst_x', 'Slowdown, worst', { digits: 2, unit: '×' }),
  col('bus_mean_fraction', 'Bus commitment, mean', { digits: 1, scale: 100, unit: '%' }),
  col('bus_max_fraction', 'Bus commitment, max', { digits: 1, scale: 100, unit: '%' }),
  col('over_threshold_fraction', 'Time over threshold', { digits: 1, scale: 100, unit: '%' }),
  col('over_committed_fraction', 'Time over-committed', { digits: 1, scale: 100, unit: '%' }),
  col('cpu_idle_fraction', 'CPU idle', { digits: 1, scale: 100, unit: '%' }),
  col('decisions', 'Dispatch decisions'),
  col('max_pass_overs', 'Most pass-overs'),
  col('max_ready_wait_time_units', 'Longest ready wait', { digits: 1, unit: 'ms' }),
];

function metricRow(m: RunMetrics): Cell[] {
  return [m.dispatcher, m.throughput, m.makespan, m.workCompleted, m.threadsFinished, m.slowdownMean, m.slowdownWorst, m.busMean, m.busMax,
    m.overThresholdFraction, m.overCommittedFraction, m.cpuIdleFraction, m.decisions, m.maxPassOvers, finiteOrNull(m.maxReadyWait)];
}

export function scenarioSection(saved: SavedScenario): ReportSection {
  const s = saved.scenario;
  const section = emptySection(scenarioName(saved.id), `Scenario: ${s.name ?? saved.id}`);
  if (s.description) section.paragraphs.push(s.description);
  const r: ScenarioResult = simulateScenario(s);
  const ap = r.autopilotSettings;
  section.parameters.push(
    { name: 'Scenario id', value: saved.id },
    { name: 'Bus law', value: r.busLabel },
    { name: 'AutoPilot', value: r.autopilot.variant === 'projected' ? 'projected commitment (Headroom\'s own variant)' : 'as the document describes it' },
    { name: 'Seed', value: r.machine.seed },
    { name: 'CPUs', value: r.machine.cpus },
    { name: 'Threads', value: r.threadCount },
    { name: 'Time slice', value: r.machine.timeSlice, unit: 'ms' },
    { name: 'Bus bandwidth', value: r.machine.busBandwidth, unit: '× reference' },
    { name: 'Background I/O load', value: r.machine.ioLoad * 100, unit: '%' },
    { name: 'AutoPilot threshold', value: ap.threshold * 100, unit: '% of bus' },
    { name: 'AutoPilot idles a CPU when nothing fits', value: ap.idleWhenNoFit },
    { name: 'AutoPilot starvation bound', value: ap.starvationBound, unit: 'pass-overs' },
  );
  const ratio = r.comparison.autopilotVsStandard;
  section.paragraphs.push(
    `AutoPilot completes the job set with ${(ratio * 100).toFixed(1)}% of the standard dispatcher's throughput (${ratio >= 1 ? 'a gain' : 'a loss'} of ${Math.abs((ratio - 1) * 100).toFixed(1)}%)` +
    (r.comparison.autopilotVsOracle !== null ? `, and ${(r.comparison.autopilotVsOracle * 100).toFixed(1)}% of the best possible schedule (the oracle).` : '.'),
  );
  const otherLaw: BusLawId = r.bus === 'document' ? 'queueing' : 'document';
  const other = simulateScenario({ ...s, bus: otherLaw }, { recordSeries: false });
  section.paragraphs.push(`Under the ${otherLaw} law instead, AutoPilot / standard is ${other.comparison.autopilotVsStandard.toFixed(3)} (throughput ${other.standard.throughput.toFixed(3)} standard, ${other.autopilot.throughput.toFixed(3)} AutoPilot). ${whyLawsDiffer}`);
  if (saved.lastRun) {
    const same = Math.abs(saved.lastRun.autopilotVsStandard - ratio) <= 1e-9 * Math.max(1, Math.abs(ratio));
    section.paragraphs.push(same
      ? `Re-running with seed ${r.machine.seed} reproduces the run saved on ${saved.lastRun.ranAt} (Headroom ${saved.lastRun.headroomVersion}).`
      : `Note: the run saved on ${saved.lastRun.ranAt} (Headroom ${saved.lastRun.headroomVersion}) gave AutoPilot/standard ${saved.lastRun.autopilotVsStandard.toFixed(4)}; this version gives ${ratio.toFixed(4)}. The figures here are this version's.`);
  }
  const rows: Cell[][] = [metricRow(r.standard), metricRow(r.autopilot)];
  if (r.oracle) {
    rows.push(['oracle', r.oracle.throughput, r.oracle.makespan, r.oracle.workCompleted, ...new Array<Cell>(metricColumns.length - 4).fill(null)]);
  }
  const metrics = table(`${section.id}.metrics`, 'Standard dispatcher vs AutoPilot', metricColumns, rows,
    'simulateScenario(): both dispatchers on the same job set; the oracle is the fluid bound on the best co-schedule (small job sets only).');
  metrics.transpose = true;
  section.tables.push(metrics);
  const threadRows: Cell[][] = r.standard.threads.map((t, i) => [i + 1, t.name, t.slowdown, r.autopilot.threads[i]?.slowdown ?? null, t.maxPassOvers, r.autopilot.threads[i]?.maxPassOvers ?? null]);
  section.tables.push(table(`${section.id}.threads`, 'Slowdown per thread', [
    col('thread', '#'), col('name', 'Thread'),
    col('standard_slowdown_x', 'Standard slowdown', { digits: 2, unit: '×' }), col('autopilot_slowdown_x', 'AutoPilot slowdown', { digits: 2, unit: '×' }),
    col('standard_max_pass_overs', 'Standard pass-overs'), col('autopilot_max_pass_overs', 'AutoPilot pass-overs'),
  ], threadRows, 'Slowdown: time from arrival to completion over the time the thread needs alone on this machine.'));
  const bus: ChartSpec = {
    id: `${section.id}.bus`, title: 'Bus commitment over time', kind: 'line', xLabel: 'time (ms)', yLabel: 'bus commitment (%)',
    series: [
      ...(r.standard.series ? [{ name: 'standard', x: r.standard.series.t, y: r.standard.series.mean.map((v) => v * 100) }] : []),
      ...(r.autopilot.series ? [{ name: 'AutoPilot', x: r.autopilot.series.t, y: r.autopilot.series.mean.map((v) => v * 100) }] : []),
    ],
  };
  const end = Math.max(r.standard.elapsed, r.autopilot.elapsed);
  if (bus.kind === 'line') bus.series.push({ name: 'AutoPilot threshold', x: [0, end], y: [ap.threshold * 100, ap.threshold * 100], dash: true });
  section.charts.push(bus, {
    id: `${section.id}.slowdown`, title: 'Slowdown per thread', kind: 'bar', xLabel: 'thread', yLabel: 'slowdown (×)',
    series: [
      { name: 'standard', x: threadRows.map((row) => `${String(row[0])} ${String(row[1])}`), y: threadRows.map((row) => (typeof row[2] === 'number' ? row[2] : 0)) },
      { name: 'AutoPilot', x: threadRows.map((row) => `${String(row[0])} ${String(row[1])}`), y: threadRows.map((row) => (typeof row[3] === 'number' ? row[3] : 0)) },
    ],
  });
  return section;
}

async function gainSection(smp: NonNullable<BuildContext['workspace']['smp']>): Promise<ReportSection> {
  const section = emptySection(GAIN, 'AutoPilot\'s gain under each bus law');
  const count = smp.gainSuite?.count ?? REPORT_GAIN_SUITE;
  const seed = smp.gainSuite?.seed ?? 1;
  const report = await autopilotGain({ count, seed, laws: ['document', 'queueing'], scenarios: smp.scenarios.map((x) => ({ name: x.scenario.name ?? x.id, scenario: x.scenario })) });
  section.parameters.push({ name: 'Random workloads', value: count }, { name: 'Suite seed', value: seed });
  section.paragraphs.push(
    `AutoPilot against the standard dispatcher under the document law and the queueing law, on this workspace's scenarios and on ${count} seeded random workloads (2-8 CPUs, mixed demands, thresholds 0.6-1.0; \`headroom smp gain --count N\` runs any size). ` +
    'Ratios are AutoPilot over standard; "better" and "worse" are the shares of workloads beyond ±0.1%; the oracle columns cover the workloads small enough for the exhaustive co-schedule search. ' + whyLawsDiffer,
  );
  const rows = gainTableRows(report);
  section.tables.push(table(`${GAIN}.table`, 'AutoPilot / standard under each law', [
    col('scope', 'Workloads'), col('bus', 'Bus law'), col('autopilot', 'AutoPilot'), col('workloads', 'Count'),
    col('ap_vs_std_p10_ratio', 'p10', { digits: 3 }), col('ap_vs_std_median_ratio', 'Median', { digits: 3 }), col('ap_vs_std_p90_ratio', 'p90', { digits: 3 }),
    col('better_fraction', 'Better', { digits: 0, scale: 100, unit: '%' }), col('worse_fraction', 'Worse', { digits: 0, scale: 100, unit: '%' }),
    col('worst_slowdown_ratio_median', 'Worst slowdown AP/std, median', { digits: 3 }), col('worst_slowdown_ratio_p90', 'Worst slowdown AP/std, p90', { digits: 3 }),
    col('oracle_fits', 'Oracle fits'), col('ap_vs_oracle_median_fraction', 'AP / oracle, median', { digits: 1, scale: 100, unit: '%' }), col('std_vs_oracle_median_fraction', 'Std / oracle, median', { digits: 1, scale: 100, unit: '%' }),
  ], rows.map((r) => [r.scope, r.bus, r.autopilot, r.workloads, r.apVsStdP10, r.apVsStdMedian, r.apVsStdP90, r.better, r.worse, r.worstSlowdownRatioMedian, r.worstSlowdownRatioP90, r.oracleFits, r.apVsOracleMedian, r.stdVsOracleMedian].map((v): Cell => v ?? null)),
  'autopilotGain(): every workload under both laws and both AutoPilot variants; seeded, so the table is the same on every run.'));
  return section;
}

/** Units of the sweep row fields evaluatePoint() writes; unknown fields keep their snake_case name. */
const sweepUnits: Record<string, { suffix: string; label: string; digits?: number; scale?: number; unit?: string }> = {
  standardThroughput: { suffix: 'cpu_equivalents', label: 'Standard throughput', digits: 3 },
  autopilotThroughput: { suffix: 'cpu_equivalents', label: 'AutoPilot throughput', digits: 3 },
  oracleThroughput: { suffix: 'cpu_equivalents', label: 'Oracle throughput', digits: 3 },
  autopilotVsStandard: { suffix: 'ratio', label: 'AutoPilot / standard', digits: 3 },
  autopilotVsOracle: { suffix: 'ratio', label: 'AutoPilot / oracle', digits: 3 },
  standardMakespan: { suffix: 'time_units', label: 'Standard makespan', digits: 1 },
  autopilotMakespan: { suffix: 'time_units', label: 'AutoPilot makespan', digits: 1 },
  standardSlowdownWorst: { suffix: 'x', label: 'Standard worst slowdown', digits: 2 },
  autopilotSlowdownWorst: { suffix: 'x', label: 'AutoPilot worst slowdown', digits: 2 },
  standardOverCommitted: { suffix: 'fraction', label: 'Standard over-committed', digits: 1, scale: 100, unit: '%' },
  autopilotOverCommitted: { suffix: 'fraction', label: 'AutoPilot over-committed', digits: 1, scale: 100, unit: '%' },
  standardIdle: { suffix: 'fraction', label: 'Standard CPU idle', digits: 1, scale: 100, unit: '%' },
  autopilotIdle: { suffix: 'fraction', label: 'AutoPilot CPU idle', digits: 1, scale: 100, unit: '%' },
  autopilotMaxPassOvers: { suffix: '', label: 'AutoPilot most pass-overs' },
  bus: { suffix: '', label: 'Bus law' },
  autopilotVariant: { suffix: '', label: 'AutoPilot variant' },
  decisions: { suffix: '', label: 'Decisions' },
};

/** Sweep tables print at most this many rows; the CSV has them all. */
export const SWEEP_PRINT_ROWS = 200;

export function sweepSection(sweep: SavedSweep): ReportSection {
  const section = emptySection(sweepName(sweep.id), `Sweep: ${sweep.name}`);
  section.parameters.push({ name: 'Sweep id', value: sweep.id }, { name: 'Base scenario', value: sweep.scenarioId });
  for (const axis of sweep.axes) section.parameters.push({ name: `Axis ${axis.path}`, value: compactValues(axis.values) });
  if (sweep.ranAt) section.parameters.push({ name: 'Ran at', value: sweep.ranAt });
  const rows = sweep.rows ?? [];
  if (rows.length === 0) {
    section.paragraphs.push('This sweep has not been run: the workspace holds its grid but no results. Run it in the What-if view and save the workspace.');
    return section;
  }
  section.paragraphs.push(`Results as saved with the workspace${sweep.ranAt ? ` (run at ${sweep.ranAt})` : ''}: one row per grid point, each a simulation of the base scenario with the axis values set.`);
  const axisPaths = sweep.axes.map((a) => a.path);
  const keys = [...axisPaths, ...[...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => !axisPaths.includes(k))];
  const columns = keys.map((k) => {
    const known = sweepUnits[k];
    if (axisPaths.includes(k)) return col(snakeCase(k), k);
    if (!known) return col(snakeCase(k), k);
    const options: { digits?: number; scale?: number; unit?: string } = {};
    if (known.digits !== undefined) options.digits = known.digits;
    if (known.scale !== undefined) options.scale = known.scale;
    if (known.unit !== undefined) options.unit = known.unit;
    return col(known.suffix ? `${snakeCase(k)}_${known.suffix}` : snakeCase(k), known.label, options);
  });
  const cells = rows.map((r) => keys.map((k) => r[k] ?? null));
  const t = table(`${section.id}.rows`, 'Sweep results', columns, cells);
  t.printRows = SWEEP_PRINT_ROWS;
  // A wide sweep table prints in parts; each repeats the swept parameters so rows read across.
  t.keyColumns = sweep.axes.length;
  section.tables.push(t);
  if (rows.length > SWEEP_PRINT_ROWS) section.paragraphs.push(`The printed table shows the first ${SWEEP_PRINT_ROWS} of ${rows.length} rows; the CSV export has them all.`);
  const metric = 'autopilotVsStandard';
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (sweep.axes.length === 1) {
    const x = axisPaths[0]!;
    const sorted = [...rows].sort((a, b) => (num(a[x]) ?? 0) - (num(b[x]) ?? 0));
    section.charts.push({
      id: `${section.id}.throughput`, title: `Throughput across ${x}`, kind: 'line', xLabel: x, yLabel: 'throughput (CPU-equivalents)',
      series: ['standardThroughput', 'autopilotThroughput'].map((k) => ({
        name: k === 'standardThroughput' ? 'standard' : 'AutoPilot',
        x: sorted.map((r) => num(r[x]) ?? 0), y: sorted.map((r) => num(r[k]) ?? 0),
      })),
    });
  } else {
    const [xPath, yPath] = axisPaths as [string, string];
    const xs = [...new Set(rows.map((r) => num(r[xPath])).filter((v): v is number => v !== null))].sort((a, b) => a - b);
    const ys = [...new Set(rows.map((r) => num(r[yPath])).filter((v): v is number => v !== null))].sort((a, b) => a - b);
    const z = ys.map((yv) => xs.map((xv) => num(rows.find((r) => r[xPath] === xv && r[yPath] === yv)?.[metric])));
    section.charts.push({ id: `${section.id}.heatmap`, title: `AutoPilot / standard throughput over ${xPath} and ${yPath}`, kind: 'heatmap', xLabel: xPath, yLabel: yPath, zLabel: 'AutoPilot / standard', x: xs, y: ys, z });
  }
  return section;
}

function compactValues(values: readonly number[]): string {
  if (values.length <= 8) return values.join(', ');
  return `${values.slice(0, 3).join(', ')}, … ${values.slice(-2).join(', ')} (${values.length} values)`;
}

export function uslSection(series: SavedSeries): ReportSection {
  const section = emptySection(uslName(series.id), `USL fit: ${series.name}`);
  section.parameters.push({ name: 'Series id', value: series.id }, { name: 'Source', value: series.source }, { name: 'Points', value: series.points.length });
  let fit: UslFit;
  try {
    fit = fitUsl(series.points);
  } catch (err) {
    if (!(err instanceof UslInputError)) throw err;
    section.paragraphs.push(`No fit: ${err.message}.`);
    section.tables.push(pointsTable(section.id, series, null));
    return section;
  }
  section.paragraphs.push(
    'The Universal Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)): σ is contention (serialised work), κ coherency (crosstalk), λ the throughput of one unit. ' +
    (fit.peakN !== null ? `Throughput peaks near N* = ${fit.peakN.toFixed(1)}; adding capacity beyond it lowers throughput.` : 'κ is 0: throughput never turns down within this model.'),
  );
  const ci = `${Math.round(fit.confidence * 100)}%`;
  section.tables.push(table(`${section.id}.fit`, 'Fitted parameters', [
    col('parameter', 'Parameter'), col('value', 'Value', { digits: 5 }), col(`ci${Math.round(fit.confidence * 100)}_low`, `${ci} interval, low`, { digits: 5 }), col(`ci${Math.round(fit.confidence * 100)}_high`, `${ci} interval, high`, { digits: 5 }),
  ], [
    ['sigma', fit.sigma, fit.intervals.sigma.low, fit.intervals.sigma.high],
    ['kappa', fit.kappa, fit.intervals.kappa.low, fit.intervals.kappa.high],
    ['lambda', fit.lambda, finiteOrNull(fit.intervals.lambda.low), finiteOrNull(fit.intervals.lambda.high)],
    ['peak_n', fit.peakN, null, null],
    ['peak_throughput', fit.peakThroughput, null, null],
    ['r_squared', fit.rSquared, null, null],
    ['residual_std_error', fit.residualStdError, null, null],
  ], 'fitUsl(): intervals from the Jacobian at the solution (Student t, m − 3 degrees of freedom).'));
  section.tables.push(pointsTable(section.id, series, fit));
  section.charts.push({
    id: `${section.id}.chart`, title: `Throughput and USL fit: ${series.name}`, kind: 'line', xLabel: 'N', yLabel: 'throughput',
    series: [
      { name: 'measured', x: series.points.map((p) => p.n), y: series.points.map((p) => p.throughput), markersOnly: true },
      { name: 'USL fit', x: fit.curve.map((p) => p.n), y: fit.curve.map((p) => p.throughput), dash: true },
    ],
  });
  return section;
}

function pointsTable(sectionId: string, series: SavedSeries, fit: UslFit | null): ReportTable {
  const predict = (n: number): number | null => (fit ? (fit.lambda * n) / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1)) : null);
  return table(`${sectionId}.points`, 'Points and fitted values', [
    col('n', 'N'), col('throughput', 'Throughput', { digits: 2 }), col('fitted_throughput', 'Fitted', { digits: 2 }), col('residual', 'Residual', { digits: 2 }),
  ], series.points.map((p) => {
    const f = predict(p.n);
    return [p.n, p.throughput, f, f === null ? null : p.throughput - f];
  }));
}
