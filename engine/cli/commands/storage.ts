import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { LatencyMeasure, ProbeMode, ProbeResult, StorageModel } from '../../storage/index.js';
import { formatRows, parseFormat } from '../output.js';
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

/** `storage probe` (fio at rising load through a gateway) and `storage fit` (model and headroom). */
export function registerStorage(program: Command): void {
  const storage = program.command('storage').description('storage characterization: probe a LUN, fit its load–latency model, headroom per class');
  storage
    .command('probe <uri>')
    .description('fio (nbd engine) against an NBD URI at iodepth 1, 2, 4 … 32, bounded in time; Ctrl+C keeps the finished steps')
    .option('--bs <size>', 'block size', '4k')
    .option('--rw <mode>', 'randread | randrw', 'randread')
    .option('--seconds <s>', 'whole run, split over a warm-up and the steps', '14')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (uri: string, opts: { bs: string; rw: string; seconds: string; format: string }) => {
      const { runProbe } = await import('../../storage/index.js');
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
      if (format === 'json') process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else process.stdout.write(formatRows(result.steps.map((s) => ({ ...s })), format));
      if (!result.complete) process.exitCode = 130;
    });
  storage
    .command('fit')
    .description('fit the load–latency model (R = a + D·N past the knee, capacity 1/D; USL beside it) to a saved probe; with --target-ms, headroom')
    .requiredOption('--probe <file>', 'a probe result (storage probe --format json)')
    .option('--target-ms <ms>', 'a class latency target, ms')
    .option('--measure <m>', 'what the target is on: mean | p50 | p95 | p99', 'p99')
    .option('--peak-iops <iops>', "today's peak IOPS, for headroom as a percentage", '0')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: { probe: string; targetMs?: string; measure: string; peakIops: string; format: string }) => {
      const { fitStorageModel, headroomAt } = await import('../../storage/index.js');
      const format = parseFormat(opts.format);
      if (!MEASURES.includes(opts.measure as LatencyMeasure)) throw new Error(`--measure must be one of ${MEASURES.join(', ')} (got "${opts.measure}")`);
      const peakIops = Number(opts.peakIops);
      if (!Number.isFinite(peakIops) || peakIops < 0) throw new Error(`--peak-iops must be a number ≥ 0 (got "${opts.peakIops}")`);
      const probe = await readProbe(opts.probe);
      const model = fitStorageModel(probe.steps, typeof probe.blockBytes === 'number' ? probe.blockBytes : null);
      if (!model.fitted) {
        if (format === 'json') process.stdout.write(JSON.stringify(model, null, 2) + '\n');
        else process.stderr.write(`${opts.probe}: refusing to fit: ${model.reason}\n`);
        process.exitCode = 2;
        return;
      }
      const headroom = opts.targetMs === undefined ? null
        : headroomAt(model, { targetMs: positiveNumber('--target-ms', opts.targetMs), measure: opts.measure as LatencyMeasure, peakIops });
      if (format === 'json') { process.stdout.write(JSON.stringify({ ...model, headroom }, null, 2) + '\n'); return; }
      const rows = modelRows(model);
      if (headroom) {
        rows.push({ parameter: `loadAt${headroom.measure}${headroom.targetMs}msIops`, ...headroom.loadAtTargetIops });
        rows.push({ parameter: 'headroomPercent', ...headroom.headroomPercent });
      }
      process.stdout.write(formatRows(rows, format));
    });
}
