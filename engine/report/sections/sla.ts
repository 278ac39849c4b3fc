import path from 'node:path';
import { SlaStore, type ClassPoint, type PolicyRecord } from '../../sla/db/index.js';
import { checkPolicy, type Policy } from '../../sla/policy/index.js';
import type { SlaSection } from '../../workspace/index.js';
import { emptySection, type Cell, type ChartSeries, type ReportSection } from '../model.js';
import { col, table, type SectionBuilder } from './section-builder.js';

type Period = NonNullable<SlaSection['periods']>[number];

const periodName = (id: string): string => `sla.period.${id}`;
const iso = (t: number): string => new Date(t).toISOString();

/**
 * SLA periods: stretches of the SLA database the planner chose, read as they were recorded
 * (samples, throttle actions with their reasons and acknowledgements, violations, alerts),
 * judged against the policy that was in force at the end of the period.
 */
export const slaSection: SectionBuilder = {
  kind: 'sla',
  title: 'SLA periods',
  items(workspace) {
    return (workspace.sla?.periods ?? []).map((p) => ({ name: periodName(p.id), title: `Period: ${p.name}` }));
  },
  async build(ctx) {
    const sla = ctx.workspace.sla;
    const periods = (sla?.periods ?? []).filter((p) => ctx.wants(periodName(p.id)));
    if (periods.length === 0) return null;
    const section = emptySection('sla', this.title);
    const dbFile = sla?.dbFile;
    section.paragraphs.push('What the SLA server recorded: per-class throughput and latency against the targets of the policy in force, every throttle action with its reason and whether the gateway acknowledged it, SLA violations and alerts. Figures are read from the database as stored.');
    let store: SlaStore | null = null;
    let problem: string | null = null;
    if (!dbFile) problem = 'The workspace names no SLA database (set it in the Monitor view).';
    else {
      try {
        store = new SlaStore(dbFile, { readonly: true });
      } catch (err) {
        problem = `The SLA database ${dbFile} could not be read: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    try {
      for (const period of periods) {
        section.children.push(store ? periodSection(store, dbFile!, period) : unreadable(period, problem!));
        await ctx.step(`period ${period.id}`);
      }
    } finally {
      store?.close();
    }
    return section;
  },
};

function unreadable(period: Period, problem: string): ReportSection {
  const section = emptySection(periodName(period.id), `Period: ${period.name}`);
  section.parameters.push({ name: 'From', value: period.from }, { name: 'To', value: period.to });
  section.paragraphs.push(problem);
  return section;
}

/** The policy version in force at `t`: the last one applied at or before it. */
function policyAt(history: readonly PolicyRecord[], t: number): { record: PolicyRecord; policy: Policy | null } | null {
  const record = [...history].reverse().find((p) => p.appliedAt <= t) ?? null;
  if (!record) return null;
  return { record, policy: checkPolicy(record.text).policy ?? null };
}

function periodSection(store: SlaStore, dbFile: string, period: Period): ReportSection {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const section = emptySection(periodName(period.id), `Period: ${period.name}`);
  section.parameters.push(
    { name: 'From', value: period.from },
    { name: 'To', value: period.to },
    { name: 'Database', value: path.basename(dbFile) },
    { name: 'Resolution', value: SlaStore.resolutionFor(from, to) },
  );
  const inForce = policyAt(store.policyHistory(), to);
  if (inForce) section.parameters.push({ name: 'Policy in force at the end', value: `${inForce.record.name} version ${inForce.record.version}, applied ${iso(inForce.record.appliedAt)}` });
  else section.paragraphs.push('No policy had been applied by the end of this period: no targets to judge against.');
  if (!(to > from)) {
    section.paragraphs.push(`The period ends (${period.to}) before it starts (${period.from}): nothing to report.`);
    return section;
  }

  const targetOf = (className: string) => inForce?.policy?.classes.find((c) => c.name === className)?.latencyTarget ?? null;
  const series = store.classNames().map((className) => ({ className, ...store.classSeries({ className, from, to }) })).filter((s) => s.points.length > 0);
  if (series.length === 0) section.paragraphs.push('The database holds no samples in this period.');
  const latencyOf = (p: ClassPoint, percentile: 'p95' | 'p99'): number => (percentile === 'p95' ? p.p95Us : p.p99Us) / 1000;
  section.tables.push(table(`${section.id}.classes`, 'Service classes', [
    col('class', 'Class'), col('points', 'Intervals'), col('mean_iops', 'Mean', { unit: 'IOPS', digits: 1 }), col('mean_mbps', 'Mean', { unit: 'MB/s', digits: 2 }),
    col('target_percentile', 'Target percentile'), col('target_ms', 'Target', { unit: 'ms', digits: 2 }),
    col('median_latency_ms', 'Median of that percentile', { unit: 'ms', digits: 2 }), col('worst_latency_ms', 'Worst', { unit: 'ms', digits: 2 }),
    col('intervals_over_target', 'Intervals over target'), col('share_over_target', 'Share over target', { unit: '%', digits: 1, scale: 100 }),
  ], series.map((s): Cell[] => {
    const target = targetOf(s.className);
    const percentile = target?.percentile ?? 'p99';
    const latencies = s.points.map((p) => latencyOf(p, percentile)).sort((a, b) => a - b);
    const over = target ? latencies.filter((l) => l > target.ms).length : null;
    const mean = (pick: (p: ClassPoint) => number) => s.points.reduce((sum, p) => sum + pick(p), 0) / s.points.length;
    return [s.className, s.points.length, mean((p) => p.iops), mean((p) => p.mbps), target ? percentile : null, target?.ms ?? null,
      latencies[Math.floor((latencies.length - 1) / 2)]!, latencies.at(-1)!, over, over === null ? null : over / s.points.length];
  }), 'Per class, summed over its hosts and LUNs; latency is the worst pair\'s percentile in each interval.'));

  if (series.length > 0) {
    const latencySeries: ChartSeries[] = series.flatMap((s): ChartSeries[] => {
      const target = targetOf(s.className);
      const x = s.points.map((p) => iso(p.t));
      const out: ChartSeries[] = [{ name: `${s.className} ${target?.percentile ?? 'p99'}`, x, y: s.points.map((p) => latencyOf(p, target?.percentile ?? 'p99')) }];
      if (target) out.push({ name: `${s.className} target`, x: [x[0]!, x.at(-1)!], y: [target.ms, target.ms], dash: true });
      return out;
    });
    section.charts.push(
      { id: `${section.id}.latency`, title: 'Latency by class against its target', kind: 'line', xLabel: 'time (UTC)', yLabel: 'ms', series: latencySeries },
      { id: `${section.id}.iops`, title: 'IOPS by class', kind: 'line', xLabel: 'time (UTC)', yLabel: 'IOPS', series: series.map((s) => ({ name: s.className, x: s.points.map((p) => iso(p.t)), y: s.points.map((p) => p.iops) })) },
    );
  }

  const timeline = store.timeline({ from, to, limit: 100_000 });
  const acked = timeline.actions.filter((a) => a.acked === true).length;
  section.paragraphs.push(`${timeline.actions.length} throttle action${timeline.actions.length === 1 ? '' : 's'} (${acked} acknowledged), ${timeline.violations.length} violation${timeline.violations.length === 1 ? '' : 's'}, ${timeline.alerts.length} alert${timeline.alerts.length === 1 ? '' : 's'}.`);
  section.tables.push(table(`${section.id}.actions`, 'Throttle actions', [
    col('time_iso8601', 'Time'), col('gateway', 'Gateway'), col('host', 'Host'), col('lun', 'LUN'), col('class', 'Class'), col('kind', 'Kind'),
    col('iops_limit_iops', 'IOPS cap'), col('mbps_limit_mbps', 'MB/s cap', { digits: 2 }), col('acknowledged', 'Acknowledged'), col('reason', 'Why'),
  ], timeline.actions.map((a): Cell[] => [iso(a.t), a.gatewayId, a.host, a.lun, a.className, a.kind, a.iopsLimit, a.mbpsLimit,
    a.acked === null ? 'no answer' : a.acked ? 'yes' : `refused: ${a.ackReason ?? ''}`, a.reason]), 'A cap of 0 means unlimited in that dimension.'));
  section.tables.push(table(`${section.id}.violations`, 'SLA violations', [
    col('time_iso8601', 'Time'), col('gateway', 'Gateway'), col('class', 'Class'), col('host', 'Host'), col('lun', 'LUN'), col('measurement', 'Measurement'),
    col('observed', 'Observed', { digits: 2 }), col('target', 'Target', { digits: 2 }),
  ], timeline.violations.map((v): Cell[] => [iso(v.t), v.gatewayId, v.className, v.host, v.lun, v.measurement, v.observed, v.target])));
  section.tables.push(table(`${section.id}.alerts`, 'Alerts', [
    col('time_iso8601', 'Time'), col('severity', 'Severity'), col('gateway', 'Gateway'), col('class', 'Class'), col('code', 'Code'), col('text', 'Text'),
  ], timeline.alerts.map((a): Cell[] => [iso(a.t), a.severity, a.gatewayId, a.className, a.code, a.text])));
  return section;
}
