import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BusLawId, MeasuredBusParameters, Scenario } from '../../smp/index.js';
// The law names only, from a module without imports; the rest of the simulator loads in each action, so `--help` stays quick.
import { busLawIds } from '../../smp/bus/law.js';
import { formatRows, parseFormat } from '../output.js';
import { interruptSignal, terminalProgress } from '../progress.js';

export interface BusCliOptions {
  bus?: string;
  measured?: string;
  clockGhz?: string;
  arbitrationCycles?: string;
  retryCycles?: string;
  arbitration?: string;
}

/** The bus-law options `smp table`, `smp simulate` and `smp sweep` share. */
export function withBusOptions(cmd: Command, defaultLaw?: BusLawId): Command {
  return cmd
    .option('--bus <law>', `bus law: ${busLawIds.join(' | ')}${defaultLaw ? '' : ' (default: the scenario\'s, else document)'}`, defaultLaw)
    .option('--measured <file>', 'JSON file with the measured bus record (MeasuredBusParameters, or a scenario holding "measuredBus") for --bus measured')
    .option('--clock-ghz <ghz>', 'core clock that turns measured nanoseconds into cycles (default 3)')
    .option('--arbitration-cycles <n>', 'queueing law: cycles added to every transaction while two or more masters share the bus')
    .option('--retry-cycles <n>', 'queueing law: cycles a transaction wastes when it finds the bus busy (solved approximately)')
    .option('--arbitration <order>', 'queueing law: fcfs | round-robin');
}

async function readMeasured(file: string): Promise<MeasuredBusParameters> {
  const { compileSchema } = await import('../../runtime/index.js');
  const { MeasuredBusParametersSchema } = await import('../../smp/index.js');
  const validMeasured = compileSchema(MeasuredBusParametersSchema);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`}`);
  }
  const record = value !== null && typeof value === 'object' && 'measuredBus' in value ? (value as { measuredBus: unknown }).measuredBus : value;
  if (!validMeasured(record)) throw new Error(`${file}: not a measured bus record (${validMeasured.errors?.[0]?.instancePath || '$'} ${validMeasured.errors?.[0]?.message ?? ''})`);
  return record;
}

function nonNegative(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0 (got "${text}")`);
  return v;
}

/** The scenario fields the options set; empty when no bus option was given. */
export async function busFields(opts: BusCliOptions): Promise<Pick<Scenario, 'bus' | 'queueing' | 'measuredBus' | 'clockGHz'>> {
  const out: Pick<Scenario, 'bus' | 'queueing' | 'measuredBus' | 'clockGHz'> = {};
  if (opts.bus !== undefined) {
    if (!(busLawIds as readonly string[]).includes(opts.bus)) throw new Error(`--bus must be one of ${busLawIds.join(', ')} (got "${opts.bus}")`);
    out.bus = opts.bus as BusLawId;
  }
  if (opts.measured !== undefined) out.measuredBus = await readMeasured(opts.measured);
  if (opts.clockGhz !== undefined) {
    const v = Number(opts.clockGhz);
    if (!(v > 0) || v > 20) throw new Error(`--clock-ghz must be a number above 0 and at most 20 (got "${opts.clockGhz}")`);
    out.clockGHz = v;
  }
  const q: NonNullable<Scenario['queueing']> = {};
  if (opts.arbitrationCycles !== undefined) q.arbitrationCycles = nonNegative('--arbitration-cycles', opts.arbitrationCycles);
  if (opts.retryCycles !== undefined) q.retryCycles = nonNegative('--retry-cycles', opts.retryCycles);
  if (opts.arbitration !== undefined) {
    if (opts.arbitration !== 'fcfs' && opts.arbitration !== 'round-robin') throw new Error(`--arbitration must be fcfs or round-robin (got "${opts.arbitration}")`);
    q.arbitration = opts.arbitration;
  }
  if (Object.keys(q).length > 0) out.queueing = q;
  return out;
}

/** A scenario with the command line's bus options applied over its own. */
export function applyBus(s: Scenario, fields: Pick<Scenario, 'bus' | 'queueing' | 'measuredBus' | 'clockGHz'>): Scenario {
  return { ...s, ...fields, ...(fields.queueing ? { queueing: { ...s.queueing, ...fields.queueing } } : {}) };
}

/** Figure 7 and the sample scenarios, as the gain report names them. */
export async function sampleScenarios(): Promise<Array<{ name: string; scenario: Scenario }>> {
  const { samplesDir } = await import('../../runtime/index.js');
  const { loadScenario } = await import('../../smp/index.js');
  const dir = path.join(samplesDir(), 'smp');
  const files = ['figure7.json', 'figure7-oracle.json', 'phases-noisy.json', 'slow-bus-8cpu.json'];
  return Promise.all(files.map(async (f) => ({ name: f.replace(/\.json$/, ''), scenario: await loadScenario(path.join(dir, f)) })));
}

export function registerGain(smp: Command): void {
  withBusOptions(smp
    .command('gain')
    .description('AutoPilot\'s gain under each bus law, side by side: Figure 7, the samples and a seeded suite of random workloads (Ctrl+C cancels)'))
    .option('--laws <list>', 'bus laws to compare, comma-separated', 'document,queueing')
    .option('--count <n>', 'random workloads in the suite', '1000')
    .option('--seed <n>', 'seed of the suite', '1')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: BusCliOptions & { laws: string; count: string; seed: string; format: string }) => {
      const { autopilotGain, busLawLabels, gainTableRows, whyLawsDiffer } = await import('../../smp/index.js');
      const format = parseFormat(opts.format);
      const laws = opts.laws.split(',').map((s) => s.trim()).filter(Boolean);
      for (const l of laws) if (!(busLawIds as readonly string[]).includes(l)) throw new Error(`--laws: "${l}" is not one of ${busLawIds.join(', ')}`);
      const count = Number(opts.count);
      if (!Number.isInteger(count) || count < 1 || count > 100_000) throw new Error(`--count must be a whole number from 1 to 100000 (got "${opts.count}")`);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number ≥ 0 (got "${opts.seed}")`);
      const fields = await busFields(opts);
      if (laws.includes('measured') && !fields.measuredBus) throw new Error('--laws measured needs --measured FILE');
      const progress = terminalProgress('gain');
      let report;
      try {
        report = await autopilotGain({
          count, seed, laws: laws as BusLawId[], scenarios: await sampleScenarios(),
          measured: { ...(fields.measuredBus ? { measuredBus: fields.measuredBus } : {}), ...(fields.clockGHz ? { clockGHz: fields.clockGHz } : {}) },
          signal: interruptSignal(), onProgress: (d, t) => progress.update(d, t),
        });
      } finally {
        progress.stop();
      }
      if (format === 'json') { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
      const rows = gainTableRows(report);
      if (format === 'table') {
        for (const law of report.laws) process.stdout.write(`${law}: ${busLawLabels[law]}\n`);
        process.stdout.write(`Why they differ: ${whyLawsDiffer}\n`);
        process.stdout.write(`suite: ${report.suiteSize} seeded random workloads (seed ${report.seed}); ratios AutoPilot / standard; better/worse: share of workloads beyond ±0.1%\n`);
      }
      process.stdout.write(formatRows(rows, format));
    });
}
