import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Policy, Resolution } from '../../sla/index.js';
import type { ClassHeadroom, IntervalMeasure, LatencyMeasure, LunClassHeadroom, LunFit, LunForecast, PolicySource, ProbeMode, ProbeResult, PublicModel, StorageModel } from '../../storage/index.js';
import { formatRows, parseFormat, type OutputFormat } from '../output.js';
import { interruptSignal, terminalProgress } from '../progress.js';

const MEASURES: readonly LatencyMeasure[] = ['mean', 'p50', 'p95', 'p99'];

function positiveNumber(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a number > 0 (got "${text}")`);
  return v;
}

/** A probe JSON as `storage probe --format json` writes it; each step's numbers checked, naming the step. */
async function readProbe(file: string): Promise<ProbeResult> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => { throw new Error(`${file}: cannot read (${err.code ?? err.message})`); });
  let value: unknown;
  try { value = JSON.parse(text); } catch (err) { throw new Error(`${file}: not JSON (${err instanceof Error ? err.message : String(err)})`); }
  const probe = value as Partial<ProbeResult> | null;
  if (!probe || typeof probe !== 'object' || !Array.isArray(probe.steps)) throw new Error(`${file}: not a probe result (no "steps" array)`);
  probe.steps.forEach((s, i) => {
    for (const key of ['iodepth', 'iops', 'meanMs'] as const) {
      if (typeof s?.[key] !== 'number') throw new Error(`${file}: steps[${i}].${key} must be a number`);
    }
  });
  return probe as ProbeResult;
}

function modelRows(model: StorageModel): { parameter: string; value: number; low: number | null; high: number | null }[] {
  return [
    { parameter: 'capacityIops', ...model.capacityIops },
    { parameter: 'serviceDemandMs', ...model.serviceDemandMs },
    { parameter: 'interceptMs', ...model.interceptMs },
    { parameter: 'rSquared', value: model.rSquared, low: null, high: null },
  ];
}

/** `storage probe` (fio at rising load through a gateway), `storage fit` (model and headroom) and `storage forecast` (growth). */
export function registerStorage(program: Command): void {
  const storage = program.command('storage').description('storage characterization: probe a LUN, fit its load–latency model, headroom per class');
  storage
    .command('probe <uri>')
    .description('fio (nbd engine) against an NBD URI at iodepth 1, 2, 4 … 32, bounded in time; Ctrl+C keeps the finished steps')
    .option('--bs <size>', 'block size', '4k')
    .option('--rw <mode>', 'randread | randrw', 'randread')
    .option('--seconds <s>', 'whole run, split over a warm-up and the steps', '14')
    .option('--save <workspace>', 'add the probe to this workspace (created when missing)')
    .option('--db <file>', 'add the probe to this SLA database (created, or migrated, when needed)')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (uri: string, opts: { bs: string; rw: string; seconds: string; save?: string; db?: string; format: string }) => {
      const { runProbe, saveStorageProbe, writeProbeToDatabase } = await import('../../storage/index.js');
      const format = parseFormat(opts.format);
      if (opts.rw !== 'randread' && opts.rw !== 'randrw') throw new Error(`--rw must be randread or randrw (got "${opts.rw}")`);
      const progress = terminalProgress('probe');
      let result: ProbeResult;
      try {
        result = await runProbe({
          uri, bs: opts.bs, rw: opts.rw as ProbeMode, seconds: positiveNumber('--seconds', opts.seconds), signal: interruptSignal(),
          onStep: (done, total, label) => progress.update(done, total, label),
        });
      } finally {
        progress.stop();
      }
      if (!result.complete) process.stderr.write(`cancelled: ${result.steps.length} finished step(s) below\n`);
      if (opts.save && result.steps.length > 0) {
        const saved = await saveStorageProbe(opts.save, result);
        process.stderr.write(`saved as ${saved.id} in ${saved.path}\n`);
      }
      if (opts.db && result.steps.length > 0) {
        const stored = writeProbeToDatabase(opts.db, result);
        process.stderr.write(`stored as probe ${stored.id} in the SLA database ${stored.file}\n`);
      }
      if (format === 'json') process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else process.stdout.write(formatRows(result.steps.map((s) => ({ ...s })), format));
      if (!result.complete) process.exitCode = 130;
    });
  storage
    .command('fit')
    .description('fit a LUN\'s load–latency model: to a saved probe (R = a + D·N past the knee, capacity 1/D; USL beside it), or to the intervals an SLA database stored (R = S / (1 − X/C), with a held-out error); with --target-ms, headroom')
    .option('--probe <file>', 'a probe result (storage probe --format json)')
    .option('--db <file>', 'an SLA database (the server\'s --db): fit each LUN from its stored intervals')
    .option('--lun <name>', 'with --db: only this LUN')
    .option('--gateway <id>', 'with --db: only LUNs of this gateway')
    .option('--probes', 'with --db: fit the storage probes stored there (storage probe --db, the Headroom view) instead of the intervals')
    .option('--resolution <r>', 'with --db: raw | minute | hour (default: the finest with enough intervals)')
    .option('--target-ms <ms>', 'a class latency target, ms')
    .option('--measure <m>', 'what the target is on: mean | p50 | p95 | p99 (with --db: p50 | p95 | p99; default p99 with --probe, p50 with --db)')
    .option('--peak-iops <iops>', "with --probe: today's peak IOPS, for headroom as a percentage", '0')
    .option('--policy <file>', 'with --db: the class targets, priorities and floors (default: the newest policy stored in the database)')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: FitOptions) => {
      const format = parseFormat(opts.format);
      if ((opts.probe === undefined) === (opts.db === undefined)) throw new Error('storage fit: give either --probe FILE or --db FILE');
      if (opts.db !== undefined && opts.probes) { await fitStoredProbes(opts.db, opts, format); return; }
      if (opts.db !== undefined) { await fitDatabase(opts.db, opts, format); return; }
      if (opts.lun !== undefined || opts.gateway !== undefined || opts.resolution !== undefined || opts.probes || opts.policy !== undefined) throw new Error('--lun, --gateway, --probes, --resolution and --policy go with --db, not --probe');
      await fitProbe(opts.probe!, opts, format);
    });
  storage
    .command('forecast')
    .description('per LUN, the growth of demand in an SLA database (linear or exponential, chosen by fit) and the date it meets the fitted capacity (or the load at --target-ms), with a band')
    .requiredOption('--db <file>', 'an SLA database (the server\'s --db)')
    .option('--lun <name>', 'only this LUN')
    .option('--gateway <id>', 'only LUNs of this gateway')
    .option('--days <n>', 'how far ahead to look', '365')
    .option('--target-ms <ms>', 'forecast against the load at this latency target instead of the capacity')
    .option('--measure <m>', 'what the target is on: p50 | p95 | p99', 'p50')
    .option('--capacity-iops <iops>', 'a known capacity instead of the one fitted from the intervals')
    .option('--policy <file>', 'the class targets, priorities and floors (default: the newest policy stored in the database)')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: ForecastOptions) => {
      const { forecastFromDatabase } = await import('../../storage/index.js');
      const format = parseFormat(opts.format);
      const measure = intervalMeasure(opts.measure);
      const policy = await policySource(opts.policy);
      const progress = terminalProgress('forecast');
      let forecasts: LunForecast[];
      try {
        forecasts = forecastFromDatabase(opts.db, {
          lun: opts.lun, gatewayId: opts.gateway, measure, days: positiveNumber('--days', opts.days),
          ...(opts.targetMs === undefined ? {} : { targetMs: positiveNumber('--target-ms', opts.targetMs) }),
          ...(opts.capacityIops === undefined ? {} : { capacityIops: positiveNumber('--capacity-iops', opts.capacityIops) }),
          ...(policy ? { policy } : {}),
          onLun: (done, total, label) => progress.update(done, total, label),
        });
      } finally {
        progress.stop();
      }
      if (forecasts.every((f) => !f.demand.fitted)) process.exitCode = 2;
      if (format === 'json') { process.stdout.write(JSON.stringify(forecasts.map(({ history: _h, ...f }) => f), null, 2) + '\n'); return; }
      for (const f of forecasts) {
        if (!f.demand.fitted) process.stderr.write(`${opts.db}: LUN ${f.lun} (gateway ${f.gatewayId}): no trend: ${f.demand.reason}\n`);
        else if ('fitted' in f.limit) process.stderr.write(`${opts.db}: LUN ${f.lun} (gateway ${f.gatewayId}): no exhaustion date: ${f.limit.reason}\n`);
      }
      const date = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString().slice(0, 10));
      process.stdout.write(formatRows(forecasts.map((f) => ({
        gateway: f.gatewayId, lun: f.lun, points: f.points, resolution: f.resolution,
        trend: f.demand.fitted ? f.demand.kind : null,
        rate: f.demand.fitted ? f.demand.rate.value : null, rateLow: f.demand.fitted ? f.demand.rate.low : null, rateHigh: f.demand.fitted ? f.demand.rate.high : null,
        rateUnit: f.demand.fitted ? f.demand.rateUnit : null,
        currentIops: f.demand.fitted ? f.demand.currentIops.value : null,
        limitIops: 'fitted' in f.limit ? null : f.limit.iops.value,
        exhausted: date(f.exhaustion?.at), earliest: date(f.exhaustion?.earliest), latest: date(f.exhaustion?.latest),
      })), format));
      await writeClassRows(opts.db, forecasts, format);
    });
  storage
    .command('protect')
    .description("would protecting a class need throttling of lower classes? Runs the SLA analyzer's control law in closed loop against the fitted LUN and the classes' demands; says what each class keeps")
    .requiredOption('--policy <file>', 'the SLA policy (YAML): classes, priorities, targets, floors')
    .requiredOption('--demand <class=iops[:size]>', 'IOPS a class would issue on the LUN, and its I/O size (default 4k); repeatable', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--db <file>', 'fit the LUN from an SLA database (with --lun, --gateway)')
    .option('--lun <name>', 'with --db: the LUN')
    .option('--gateway <id>', 'with --db: its gateway')
    .option('--probe <file>', 'fit the LUN from a saved probe')
    .option('--capacity-iops <iops>', 'or give the LUN: its capacity …')
    .option('--service-ms <ms>', '… and its mean service time at no load')
    .option('--intervals <n>', 'control intervals to run', '120')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: ProtectOptions) => {
      const { protectionNeeds, parseBlockSize } = await import('../../storage/index.js');
      const format = parseFormat(opts.format);
      const policy = await readPolicy(opts.policy);
      if (opts.demand.length === 0) throw new Error('--demand: give at least one, e.g. --demand gold=300 --demand bronze=900:128k');
      const demands = opts.demand.map((text) => {
        const m = /^([^=]+)=(\d+(?:\.\d+)?)(?::(\S+))?$/.exec(text);
        if (!m) throw new Error(`--demand must look like gold=300 or bronze=900:128k (got "${text}")`);
        return { className: m[1]!, iops: Number(m[2]), ioBytes: m[3] === undefined ? 4096 : parseBlockSize(m[3]) };
      });
      const lun = await protectedLun(opts);
      const result = protectionNeeds({ policy, policyFile: opts.policy, ...lun, demands, intervals: positiveNumber('--intervals', opts.intervals) });
      if (format === 'json') { process.stdout.write(JSON.stringify({ lun, ...result }, null, 2) + '\n'); return; }
      process.stdout.write(formatRows(result.classes.map((c) => ({
        class: c.className, priority: c.priority, demandIops: c.demandIops, gotIops: c.gotIops, capIops: c.capIops, floorIops: c.floorIops,
        atFloor: c.atFloor, throttledPercent: c.throttledPercent, target: c.targetMs === null ? null : `${c.percentile} ${c.targetMs} ms`,
        uncontrolledMs: c.uncontrolledMs, settledMs: c.settledMs, meetsTarget: c.meetsTarget,
      })), format));
      if (format === 'table') {
        process.stdout.write(!result.needsThrottling ? 'no throttling needed: every class meets its target at these demands\n'
          : result.unprotected.length ? `not protected even with lower classes at their floors: ${result.unprotected.join(', ')}\n`
          : `protected by throttling lower classes (caps settled after interval ${result.settledAfter})\n`);
      }
    });
}

interface FitOptions { probe?: string; db?: string; lun?: string; gateway?: string; probes?: boolean; resolution?: string; targetMs?: string; measure?: string; peakIops: string; policy?: string; format: string }
interface ProtectOptions { policy: string; demand: string[]; db?: string; lun?: string; gateway?: string; probe?: string; capacityIops?: string; serviceMs?: string; intervals: string; format: string }

/** A policy file checked as `sla check` does; the first error names its line and column. */
async function readPolicy(file: string): Promise<Policy> {
  const { checkPolicy } = await import('../../sla/index.js');
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => { throw new Error(`${file}: cannot read (${err.code ?? err.message})`); });
  const result = checkPolicy(text);
  if (!result.policy) {
    const d = result.diagnostics.find((x) => x.severity === 'error') ?? result.diagnostics[0];
    throw new Error(d ? `${file}:${d.line}:${d.column}: ${d.message}` : `${file}: invalid policy`);
  }
  return result.policy;
}

/** The LUN's capacity and no-load service time, from exactly one of --db, --probe or --capacity-iops with --service-ms. */
async function protectedLun(opts: ProtectOptions): Promise<{ capacityIops: number; serviceMs: number; source: string }> {
  const given = [opts.db, opts.probe, opts.capacityIops].filter((x) => x !== undefined).length;
  if (given !== 1) throw new Error('storage protect: give the LUN by one of --db FILE --lun NAME, --probe FILE, or --capacity-iops N --service-ms S');
  if (opts.capacityIops !== undefined) {
    if (opts.serviceMs === undefined) throw new Error('--capacity-iops needs --service-ms');
    return { capacityIops: positiveNumber('--capacity-iops', opts.capacityIops), serviceMs: positiveNumber('--service-ms', opts.serviceMs), source: 'given' };
  }
  const storageApi = await import('../../storage/index.js');
  if (opts.probe !== undefined) {
    const probe = await readProbe(opts.probe);
    const model = storageApi.fitStorageModel(probe.steps, typeof probe.blockBytes === 'number' ? probe.blockBytes : null);
    if (!model.fitted) throw new Error(`${opts.probe}: refusing to fit: ${model.reason}`);
    return { capacityIops: model.capacityIops.value, serviceMs: model.unloadedMs, source: opts.probe };
  }
  const [fit, ...more] = storageApi.fitFromDatabase(opts.db!, { lun: opts.lun, gatewayId: opts.gateway, measure: 'p50' });
  if (more.length) throw new Error(`${opts.db}: ${more.length + 1} LUNs match; name one with --lun (and --gateway)`);
  if (!fit!.model.fitted) throw new Error(`${opts.db}: LUN ${fit!.lun} (gateway ${fit!.gatewayId}): refusing to fit: ${fit!.model.reason}`);
  return { capacityIops: fit!.model.capacityIops.value, serviceMs: storageApi.meanServiceMs(fit!.model), source: `${opts.db} ${fit!.gatewayId}/${fit!.lun}` };
}

interface ForecastOptions { db: string; lun?: string; gateway?: string; days: string; targetMs?: string; measure: string; capacityIops?: string; policy?: string; format: string }

const RESOLUTIONS: readonly Resolution[] = ['raw', 'minute', 'hour'];

function intervalMeasure(text: string): IntervalMeasure {
  if (text !== 'p50' && text !== 'p95' && text !== 'p99') throw new Error(`--measure must be one of p50, p95, p99 with --db (got "${text}")`);
  return text;
}

async function fitProbe(file: string, opts: FitOptions, format: OutputFormat): Promise<void> {
  const { fitStorageModel, headroomAt } = await import('../../storage/index.js');
  const measure = opts.measure ?? 'p99';
  if (!MEASURES.includes(measure as LatencyMeasure)) throw new Error(`--measure must be one of ${MEASURES.join(', ')} (got "${measure}")`);
  const peakIops = Number(opts.peakIops);
  if (!Number.isFinite(peakIops) || peakIops < 0) throw new Error(`--peak-iops must be a number ≥ 0 (got "${opts.peakIops}")`);
  const probe = await readProbe(file);
  const model = fitStorageModel(probe.steps, typeof probe.blockBytes === 'number' ? probe.blockBytes : null);
  if (!model.fitted) {
    if (format === 'json') process.stdout.write(JSON.stringify(model, null, 2) + '\n');
    else process.stderr.write(`${file}: refusing to fit: ${model.reason}\n`);
    process.exitCode = 2;
    return;
  }
  const headroom = opts.targetMs === undefined ? null
    : headroomAt(model, { targetMs: positiveNumber('--target-ms', opts.targetMs), measure: measure as LatencyMeasure, peakIops });
  if (format === 'json') { process.stdout.write(JSON.stringify({ ...model, headroom }, null, 2) + '\n'); return; }
  const rows = modelRows(model);
  if (headroom) {
    rows.push({ parameter: `loadAt${headroom.measure}${headroom.targetMs}msIops`, ...headroom.loadAtTargetIops });
    rows.push({ parameter: 'headroomPercent', ...headroom.headroomPercent });
  }
  process.stdout.write(formatRows(rows, format));
}

/** `storage fit --db FILE --probes`: each probe stored in the database, refitted from its steps as `--probe` does. */
async function fitStoredProbes(file: string, opts: FitOptions, format: OutputFormat): Promise<void> {
  const { fitStorageModel, readStoredProbes } = await import('../../storage/index.js');
  if (opts.gateway !== undefined || opts.resolution !== undefined || opts.targetMs !== undefined || opts.policy !== undefined) throw new Error('--probes takes --lun only (a probe names its LUN, not its gateway)');
  const probes = readStoredProbes(file, opts.lun).map((p) => ({
    id: p.id, lun: p.lun, uri: p.result.uri, bs: p.result.bs, rw: p.result.rw, startedAt: p.result.startedAt, complete: p.result.complete,
    steps: p.result.steps.length, model: fitStorageModel(p.result.steps, p.result.blockBytes),
  }));
  if (probes.length === 0) process.stderr.write(`${file}: no storage probes stored${opts.lun === undefined ? '' : ` for LUN ${opts.lun}`}\n`);
  if (probes.length === 0 || probes.every((p) => !p.model.fitted)) process.exitCode = 2;
  if (format === 'json') { process.stdout.write(JSON.stringify(probes, null, 2) + '\n'); return; }
  for (const p of probes) if (!p.model.fitted) process.stderr.write(`${file}: probe ${p.id} (${p.uri}): refusing to fit: ${p.model.reason}\n`);
  process.stdout.write(formatRows(probes.map(({ model: m, ...p }) => ({
    ...p,
    capacityIops: m.fitted ? m.capacityIops.value : null, capacityLow: m.fitted ? m.capacityIops.low : null, capacityHigh: m.fitted ? m.capacityIops.high : null,
    serviceDemandMs: m.fitted ? m.serviceDemandMs.value : null, rSquared: m.fitted ? m.rSquared : null,
  })), format));
}

async function fitDatabase(file: string, opts: FitOptions, format: OutputFormat): Promise<void> {
  const { fitFromDatabase, readStoredProbes } = await import('../../storage/index.js');
  const measure = intervalMeasure(opts.measure ?? 'p50');
  const policy = await policySource(opts.policy);
  if (opts.resolution !== undefined && !RESOLUTIONS.includes(opts.resolution as Resolution)) throw new Error(`--resolution must be one of ${RESOLUTIONS.join(', ')} (got "${opts.resolution}")`);
  const progress = terminalProgress('fit');
  let fits: LunFit[];
  try {
    fits = fitFromDatabase(file, {
      lun: opts.lun, gatewayId: opts.gateway, measure,
      ...(opts.resolution === undefined ? {} : { resolution: opts.resolution as Resolution }),
      ...(opts.targetMs === undefined ? {} : { targetMs: positiveNumber('--target-ms', opts.targetMs) }),
      ...(policy ? { policy } : {}),
      onLun: (done, total, label) => progress.update(done, total, label),
    });
  } catch (err) {
    // A database that holds probes but no intervals yet (storage probe --db): say where its data is.
    const probes = (() => { try { return readStoredProbes(file).length; } catch { return 0; } })();
    if (probes > 0 && err instanceof Error) throw new Error(`${err.message}; it holds ${probes} storage probe(s): storage fit --db ${file} --probes`);
    throw err;
  } finally {
    progress.stop();
  }
  if (fits.every((f) => !f.model.fitted)) process.exitCode = 2;
  if (format === 'json') { process.stdout.write(JSON.stringify(fits, null, 2) + '\n'); return; }
  for (const f of fits) {
    if (!f.model.fitted) process.stderr.write(`${file}: LUN ${f.lun} (gateway ${f.gatewayId}): refusing to fit: ${f.model.reason}\n`);
    else if (f.heldOut && !('trainIntervals' in f.heldOut)) process.stderr.write(`${file}: LUN ${f.lun} (gateway ${f.gatewayId}): no held-out check: ${f.heldOut.reason}\n`);
  }
  process.stdout.write(formatRows(fits.filter((f) => f.model.fitted).map((f) => {
    const m = f.model as PublicModel;
    const h = f.heldOut && 'trainIntervals' in f.heldOut ? f.heldOut : null;
    return {
      gateway: f.gatewayId, lun: f.lun, intervals: f.intervals, resolution: f.resolution,
      capacityIops: m.capacityIops.value, capacityLow: m.capacityIops.low, capacityHigh: m.capacityIops.high,
      [`unloaded${m.measure.toUpperCase()}Ms`]: m.unloadedMs.value, peakIops: m.peakIops, rSquared: m.rSquared,
      heldOutMedianErrorPercent: h?.medianAbsErrorPercent ?? null,
      ...(f.headroom ? { loadAtTargetIops: f.headroom.loadAtTargetIops.value, headroomPercent: f.headroom.headroomPercent.value } : {}),
    };
  }), format));
  await writeClassRows(file, fits, format);
}

async function policySource(file: string | undefined): Promise<PolicySource | undefined> {
  return file === undefined ? undefined : { policy: await readPolicy(file), source: file };
}

/**
 * Headroom per class, after the LUNs' table (JSON carries it in each LUN's `classes`; CSV keeps
 * to the LUNs' rows, one table per output): the LUN load at which the class's target breaks, its trend, the date the LUN's
 * demand gets there, and what the control law leaves it at today's demands.
 */
async function writeClassRows(file: string, luns: readonly (LunClassHeadroom & { gatewayId: string; lun: string })[], format: OutputFormat): Promise<void> {
  if (format !== 'table') return;
  const { classLabel } = await import('../../storage/index.js');
  const date = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString().slice(0, 10));
  for (const l of luns) {
    if ('fitted' in l.classPolicy) process.stderr.write(`${file}: LUN ${l.lun} (gateway ${l.gatewayId}): no class headroom: ${l.classPolicy.reason}\n`);
    else if ('fitted' in l.protection) process.stderr.write(`${file}: LUN ${l.lun} (gateway ${l.gatewayId}): no protection run: ${l.protection.reason}\n`);
  }
  const rows = luns.flatMap((l) => l.classes.map((c: ClassHeadroom) => {
    const h = 'fitted' in c.headroom ? null : c.headroom;
    const g = c.growth.fitted ? c.growth : null;
    return {
      gateway: l.gatewayId, lun: l.lun, class: classLabel(c.className), target: c.target ? `${c.target.percentile} ${c.target.ms} ms` : null,
      loadAtTargetIops: h?.loadAtTargetIops.value ?? null, loadLow: h?.loadAtTargetIops.low ?? null, loadHigh: h?.loadAtTargetIops.high ?? null,
      headroomPercent: h?.headroomPercent.value ?? null, trendRate: g?.rate.value ?? null, rateUnit: g?.rateUnit ?? null,
      runsOut: c.exhaustion?.alreadyExceeded ? 'already' : date(c.exhaustion?.at), earliest: date(c.exhaustion?.earliest), latest: date(c.exhaustion?.latest),
      protection: c.verdict, note: h ? null : (c.headroom as { reason: string }).reason,
    };
  }));
  if (rows.length === 0) return;
  process.stdout.write('\nper class:\n');
  process.stdout.write(formatRows(rows, format, undefined, { keyColumns: 3 }));
}
