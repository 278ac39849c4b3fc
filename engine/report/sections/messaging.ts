import { delayParameterLabel } from '../../pmdaemon/index.js';
import { machineLine } from '../../runtime/index.js';
import type { MessagingSection } from '../../workspace/index.js';
import { emptySection, type Cell, type ChartSeries, type ReportSection } from '../model.js';
import { col, table, type SectionBuilder } from './section-builder.js';

type SavedStudy = MessagingSection['studies'][number];
type StudyRow = SavedStudy['result']['rows'][number];

const studyName = (id: string): string => `messaging.study.${id}`;

/**
 * Measured messaging studies. Measurements cannot be re-run identically, so every figure is the
 * saved one; the section says when and on how many cores it was measured.
 */
export const messagingSection: SectionBuilder = {
  kind: 'messaging',
  title: 'Messaging: thread pairs vs thread per agent',
  items(workspace) {
    return (workspace.messaging?.studies ?? []).map((s) => ({ name: studyName(s.id), title: `Study: ${s.name}` }));
  },
  async build(ctx) {
    const studies = ctx.workspace.messaging?.studies ?? [];
    const section = emptySection('messaging', this.title);
    section.paragraphs.push('Measured studies of the SLA daemon\'s poll cycle against a simulated gateway fleet: the thread-pair daemon (one non-blocking sender/receiver pair per shard) beside the thread-per-agent baseline. These are measurements saved with the workspace, reported as measured; the machine that generated this report is described on the title page, and the machine that measured each study with it (older studies recorded only its core count).');
    for (const study of studies) {
      if (!ctx.wants(studyName(study.id))) continue;
      section.children.push(studySection(study));
      await ctx.step(`study ${study.id}`);
    }
    return section.children.length > 0 ? section : null;
  },
};

const archLabel = (arch: StudyRow['arch']): string => (arch === 'pair' ? 'thread pair' : 'thread per agent');

export function studySection(study: SavedStudy): ReportSection {
  const r = study.result;
  const section = emptySection(studyName(study.id), `Study: ${study.name}`);
  const req = r.request;
  section.parameters.push(
    { name: 'Study id', value: study.id },
    { name: 'Measured at', value: r.measuredAt },
    { name: 'Cores of the measuring machine', value: r.cores },
    ...(r.machine ? [{ name: 'Measuring machine', value: machineLine(r.machine) }] : []),
    ...(r.loadAverage1m !== undefined ? [{ name: 'Load average (1 min) when the study started', value: r.loadAverage1m }] : []),
    { name: 'Gateway counts', value: req.gateways.join(', ') },
    { name: 'Architectures', value: req.archs.map(archLabel).join(', ') },
  );
  if (req.intervalMs !== undefined) section.parameters.push({ name: 'Poll interval', value: req.intervalMs, unit: 'ms' });
  if (req.cycles !== undefined) section.parameters.push({ name: 'Poll cycles per run', value: req.cycles });
  if (req.serviceUs !== undefined) section.parameters.push({ name: 'Gateway service time', value: req.serviceUs, unit: 'µs' });
  if (req.shards !== undefined) section.parameters.push({ name: 'Shards (thread pairs)', value: req.shards });
  if (req.maxAgents !== undefined) section.parameters.push({ name: 'Most agents (thread per agent)', value: req.maxAgents });
  section.parameters.push(
    { name: 'Message cost, mean', value: r.messageCost.meanUs, unit: 'µs' },
    { name: 'Message cost, p99', value: r.messageCost.p99Us, unit: 'µs' },
    { name: 'Message cost, max', value: r.messageCost.maxUs, unit: 'µs' },
  );
  if (r.batching) section.parameters.push({ name: 'Batching ratio (concatenated / one write per message)', value: r.batching.ratio, unit: '×' });

  const errors = r.rows.filter((row) => row.error !== null);
  if (errors.length > 0) section.paragraphs.push(`${errors.length} run${errors.length > 1 ? 's' : ''} stopped short: ${errors.map((e) => `${archLabel(e.arch)} at ${e.gateways} gateways (${e.error})`).join('; ')}.`);
  const rows = [...r.rows].sort((a, b) => a.arch.localeCompare(b.arch) || a.gateways - b.gateways);
  section.tables.push(table(`${section.id}.cycles`, 'Poll cycle time and throughput', [
    col('arch', 'Architecture'), col('gateways', 'Gateways'), col('threads', 'Daemon threads'), col('cycles', 'Cycles'),
    col('cycle_p50_ms', 'Cycle p50', { unit: 'ms', digits: 2 }), col('cycle_p99_ms', 'Cycle p99', { unit: 'ms', digits: 2 }),
    col('missed_cycles', 'Missed'), col('late_cycles', 'Late'), col('messages_per_s', 'Messages', { unit: '/s', digits: 0 }),
  ], rows.map((row): Cell[] => [row.arch, row.gateways, row.threads, row.cycles, row.cycleP50Ms, row.cycleP99Ms, row.missed, row.late, row.messagesPerSecond]),
  'Cycle: from the first request of a poll to the last reply; missed and late count cycles over the poll interval.'));
  section.tables.push(table(`${section.id}.cost`, 'Cost: CPU, memory, threads', [
    col('arch', 'Architecture'), col('gateways', 'Gateways'), col('os_threads', 'OS threads'), col('registered_gateways', 'Registered'),
    col('cpu_ms', 'Daemon CPU', { unit: 'ms', digits: 0 }), col('cpu_us_per_gateway_cycle', 'CPU per gateway-cycle', { unit: 'µs', digits: 2 }),
    col('rss_mb', 'Memory (RSS)', { unit: 'MB', digits: 1 }), col('context_switches', 'Context switches'), col('fleet_cpu_ms', 'Fleet CPU', { unit: 'ms', digits: 0 }),
    col('error', 'Stopped short'),
  ], rows.map((row): Cell[] => [row.arch, row.gateways, row.osThreads, row.registered, row.cpuMs, row.cpuUsPerGatewayCycle, row.rssMb, row.contextSwitches, row.fleetCpuMs, row.error])));

  const byArch = (pick: (row: StudyRow) => number): ChartSeries[] =>
    (['pair', 'per-agent'] as const)
      .map((arch) => rows.filter((row) => row.arch === arch && row.error === null))
      .filter((list) => list.length > 0)
      .map((list) => ({ name: archLabel(list[0]!.arch), x: list.map((row) => row.gateways), y: list.map(pick) }));
  const curves = r.model.curves;
  const floor = [...(r.floor ?? [])].sort((a, b) => a.gateways - b.gateways);
  section.charts.push(
    {
      id: `${section.id}.cycle`, title: 'Poll cycle time (p99) against gateways, with the delay model', kind: 'line', xLabel: 'gateways', yLabel: 'cycle p99 (ms), log scale', xLog: true, yLog: true,
      series: [
        ...byArch((row) => row.cycleP99Ms),
        { name: 'model: one thread, synchronous', x: curves.map((c) => c.gateways), y: curves.map((c) => c.singleThreadSyncMs), dash: true },
        { name: 'model: thread per agent', x: curves.map((c) => c.gateways), y: curves.map((c) => c.threadPerAgentMs), dash: true },
        { name: 'model: thread pair', x: curves.map((c) => c.gateways), y: curves.map((c) => c.threadPairMs), dash: true },
        ...(floor.length > 0 ? [{ name: 'TCP floor (worst cycle)', x: floor.map((f) => f.gateways), y: floor.map((f) => f.cycleMaxMs), dash: true }] : []),
      ],
    },
    { id: `${section.id}.throughput`, title: 'Messages per second against gateways', kind: 'line', xLabel: 'gateways', yLabel: 'messages/s', xLog: true, series: byArch((row) => row.messagesPerSecond) },
    { id: `${section.id}.memory`, title: 'Daemon memory (RSS) against gateways', kind: 'line', xLabel: 'gateways', yLabel: 'RSS (MB)', xLog: true, series: byArch((row) => row.rssMb) },
  );

  if (floor.length > 0) {
    section.tables.push(table(`${section.id}.floor`, 'TCP floor: the least a poll cycle costs on this machine', [
      col('gateways', 'Sockets'), col('cycles', 'Cycles'), col('cycle_p50_ms', 'Cycle p50', { unit: 'ms', digits: 2 }), col('cycle_max_ms', 'Worst cycle', { unit: 'ms', digits: 2 }),
      col('poller_cpu_ms_per_cycle', 'Poller CPU per cycle', { unit: 'ms', digits: 1 }), col('echo_cpu_ms_per_cycle', 'Echo CPU per cycle', { unit: 'ms', digits: 1 }),
      col('cpu_us_per_socket_cycle', 'CPU per socket-cycle', { unit: 'µs', digits: 2 }),
    ], floor.map((f): Cell[] => [f.gateways, f.cycles, f.cycleP50Ms, f.cycleMaxMs, f.pollerCpuMsPerCycle, f.echoCpuMsPerCycle, f.cpuUsPerSocketCycle]),
    'One thread writes 16 bytes to each of N loopback sockets and waits for a 64-byte echo from another process that does nothing else: no protocol, no threads. A daemon cannot poll faster than this here.'));
  }
  const p = r.model.params;
  section.tables.push(table(`${section.id}.model`, 'Delay model parameters', [col('parameter', 'Parameter'), col('value_us', 'Value', { unit: 'µs', digits: 2 }), col('source', 'Source')],
    ([['t1', 't1Us'], ['t2', 't2Us'], ['t3', 't3Us'], ['t4', 't4Us'], ['t5', 't5Us'], ['thread_switch', 'threadSwitchUs'], ['per_gateway', 'perGatewayUs']] as const)
      .map(([, key]): Cell[] => [delayParameterLabel(key).replace(/ \(µs\)$/, ''), p[key], r.model.sources[key] ?? null]),
    `Fitted to this study's measurements (${p.shards} shard${p.shards === 1 ? '' : 's'}, ${p.cores} cores).`));
  section.tables.push(table(`${section.id}.sizing`, 'Sizing: thread pairs (shards) per gateway count', [
    col('gateways', 'Gateways'), col('cores', 'Cores'), col('time_quantum_ms', 'Time quantum', { unit: 'ms' }), col('ptmax_us', 'PTmax', { unit: 'µs', digits: 2 }),
    col('per_gateway_us', 'Per gateway', { unit: 'µs', digits: 2 }), col('document_formula_shards', 'Document formula'), col('measured_rule_shards', 'Measured rule'),
    col('measured_unclamped_shards', 'Measured, unclamped', { digits: 2 }), col('recommended_shards', 'Recommended'), col('basis', 'Basis'),
  ], r.sizing.map((s): Cell[] => [s.gateways, s.cores, s.timeQuantumMs, s.ptmaxUs, s.perGatewayUs, s.documentFormula, s.measuredRule, s.measuredUnclamped, s.recommended, s.basis]),
  'The document\'s formula from the worst message cost, beside the rule from the measured CPU per gateway-cycle.'));
  if (r.batching) {
    section.tables.push(table(`${section.id}.batching`, `Batching: concatenated writes vs one write per message (ratio ${r.batching.ratio.toFixed(2)}×)`, [
      col('mode', 'Mode'), col('burst_messages', 'Burst', { unit: 'messages' }), col('bursts', 'Bursts'), col('messages', 'Messages'), col('write_calls', 'Write calls'),
      col('seconds_s', 'Time', { unit: 's', digits: 3 }), col('messages_per_s', 'Rate', { unit: 'messages/s', digits: 0 }), col('us_per_message', 'Per message', { unit: 'µs', digits: 3 }),
    ], r.batching.rows.map((b): Cell[] => [b.mode, b.burst, b.bursts, b.messages, b.writeCalls, b.seconds, b.messagesPerSecond, b.usPerMessage])));
  }
  return section;
}
