import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import type { IoModel, RunMetrics } from '../../smp/index.js';
// The option defaults only, from a module without imports; the simulator loads in each action, so `--help` stays quick.
import { table1Hierarchy } from '../../smp/analytic.js';
import { applyBus, busFields, registerGain, withBusOptions, type BusCliOptions } from './smp-bus.js';
import { interruptSignal, terminalProgress } from '../progress.js';
import { benchCommand } from './bench.js';
import { formatRows, parseFormat, type Row } from '../output.js';
import { registerUsl } from './usl.js';

/** A share such as bus or I/O load: `0.03` or `3%`, as the workbench shows it. */
export function parseFraction(name: string, text: string): number {
  const percent = /^\s*(-?[\d.]+(?:e-?\d+)?)\s*%\s*$/i.exec(text);
  const v = percent ? Number(percent[1]) / 100 : Number(text);
  if (!Number.isFinite(v) || v < 0 || v > 1) {
    const hint = !percent && Number.isFinite(v) && v > 1 && v <= 100 ? ` (for ${v}% write ${v}% or ${v / 100})` : '';
    throw new Error(`${name} must be a share between 0 and 1, or a percentage such as 3% (got "${text}")${hint}`);
  }
  return v;
}

/** `smp ...`, `usl fit` and `bench smp`: one entry so commands/index.ts needs one line for all three. */
function parseNumber(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number ≥ 0 (got "${text}")`);
  return v;
}

export function registerSmp(program: Command): void {
  registerUsl(program);
  const smp = program.command('smp').description('SMP bus model, simulator and the AutoPilot dispatcher');
  withBusOptions(smp
    .command('table')
    .description('Table 2: CPI, efficiency and speedup as CPUs share one bus, under the document\'s law (with the MVA model beside it) or a queueing law'), 'document')
    .option('--cpus <range>', 'CPU counts, e.g. 1-10 or 1,2,4,8', '1-10')
    .option('--io-load <fraction>', 'background I/O load as a share of bus bandwidth', '0')
    .option('--io-model <model>', 'bus-master (one I/O master on the bus) | per-cpu (each CPU adds the I/O load; matches the document\'s text)', 'bus-master')
    .option('--bus-demand <fraction>', 'share of time each CPU needs the bus', '0.1')
    .option('--l1-hit <fraction>', 'share of references the L1 cache satisfies', String(table1Hierarchy.l1HitFraction))
    .option('--l1-cycles <n>', 'CPU cycles per L1 hit', String(table1Hierarchy.l1Cycles))
    .option('--l2-hit <fraction>', 'share of references the L2 cache satisfies', String(table1Hierarchy.l2HitFraction))
    .option('--l2-cycles <n>', 'CPU cycles per L2 hit', String(table1Hierarchy.l2Cycles))
    .option('--memory-bus-cycles <n>', 'bus cycles per main-memory access', String(table1Hierarchy.memoryBusCycles))
    .option('--bus-clock-ratio <r>', 'bus clock over CPU clock', String(table1Hierarchy.busClockRatio))
    .option('--simulate', 'add a simulated speedup and its relative error: the scheduling simulator for the document law (it calls the same law), the transaction-level bus for the queueing laws (independent of the MVA)')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (opts: BusCliOptions & {
      cpus: string; ioLoad: string; ioModel: string; busDemand: string; format: string; simulate?: boolean;
      l1Hit: string; l1Cycles: string; l2Hit: string; l2Cycles: string; memoryBusCycles: string; busClockRatio: string;
    }) => {
      const { analyticTable, busLawLabels, ioModels, lawTable, parseCpuRange, queueingAgreement, resolveScenario, simulatorAgreement, whyLawsDiffer } = await import('../../smp/index.js');
      const format = parseFormat(opts.format);
      if (!(ioModels as readonly string[]).includes(opts.ioModel)) throw new Error(`--io-model must be one of ${ioModels.join(', ')} (got "${opts.ioModel}")`);
      const params = {
        cpus: parseCpuRange(opts.cpus),
        ioLoad: parseFraction('--io-load', opts.ioLoad),
        busDemand: parseFraction('--bus-demand', opts.busDemand),
        ioModel: opts.ioModel as IoModel,
        hierarchy: {
          l1HitFraction: parseFraction('--l1-hit', opts.l1Hit),
          l1Cycles: parseNumber('--l1-cycles', opts.l1Cycles),
          l2HitFraction: parseFraction('--l2-hit', opts.l2Hit),
          l2Cycles: parseNumber('--l2-cycles', opts.l2Cycles),
          memoryBusCycles: parseNumber('--memory-bus-cycles', opts.memoryBusCycles),
          busClockRatio: parseNumber('--bus-clock-ratio', opts.busClockRatio),
        },
      };
      const fields = await busFields(opts);
      if (fields.bus !== 'document') {
        if (params.ioModel === 'per-cpu') throw new Error('--io-model per-cpu is a reading of the document law; under a queueing law add the I/O to --bus-demand');
        // The scenario resolver fills the law's parameters (defaults, or the measured record) the same way for every command.
        const bus = resolveScenario({ cpus: 1, threads: [{ work: 1, busDemand: 0.1 }], hierarchy: params.hierarchy, ...fields }).machine.bus;
        const rows = lawTable({ ...params, bus });
        const sim = opts.simulate ? queueingAgreement({ ...params, bus }) : null;
        if (format === 'table') process.stdout.write(`bus law: ${busLawLabels[bus.law]}\n${whyLawsDiffer}\n`);
        const doc = lawTable({ ...params, bus: { law: 'document', queueing: null } });
        const round = (v: number, d: number): number => Number(v.toFixed(d));
        const out = rows.map((r, i) => (format === 'table'
          ? { cpus: r.cpus, bus: r.bus, main: r.main.toFixed(1), cpi: r.cpi.toFixed(1), efficiency: round(r.efficiency, 3), speedup: round(r.speedup, 2), busUtilisation: round(r.busUtilisation, 3), documentSpeedup: round(doc[i]!.speedup, 2),
            ...(sim ? { desSpeedup: round(sim[i]!.simulatedSpeedup, 3), desError: `${(sim[i]!.relativeError * 100).toFixed(2)}%` } : {}) }
          : { ...r, documentSpeedup: doc[i]!.speedup, ...(sim ? { desSpeedup: sim[i]!.simulatedSpeedup, desRelativeError: sim[i]!.relativeError } : {}) }));
        process.stdout.write(formatRows(out, format));
        return;
      }
      const rows = analyticTable(params);
      if (format === 'table') process.stdout.write(`bus law: ${busLawLabels.document}\n`);
      if (opts.simulate && params.ioModel === 'per-cpu') throw new Error('--simulate compares the bus-master I/O reading only');
      const sim = opts.simulate ? simulatorAgreement(params) : null;
      const round = (v: number, d: number): number => Number(v.toFixed(d));
      const out = format === 'table'
        ? rows.map((r, i) => ({
          cpus: r.cpus, bus: 'document', conflict: round(r.conflict, 3), main: r.main.toFixed(1), cpi: r.cpi.toFixed(1), efficiency: round(r.efficiency, 3), speedup: round(r.speedup, 2),
          mvaCpi: round(r.mvaCpi, 2), mvaSpeedup: round(r.mvaSpeedup, 2),
          ...(sim ? { simSpeedup: round(sim[i]!.simulatedSpeedup, 3), simError: `${(sim[i]!.relativeError * 100).toFixed(2)}%` } : {}),
        }))
        : rows.map((r, i) => ({ bus: 'document', ...r, ...(sim ? { simSpeedup: sim[i]!.simulatedSpeedup, simRelativeError: sim[i]!.relativeError } : {}) }));
      process.stdout.write(formatRows(out, format));
    });
  withBusOptions(smp
    .command('simulate <file>')
    .description('run a scenario under the standard dispatcher and AutoPilot (and the oracle when small enough)'))
    .option('--autopilot <variant>', 'document (as the text describes it) | projected (Headroom\'s own); default: the scenario\'s, else document')
    .option('--format <format>', 'table | json', 'table')
    .action(async (file: string, opts: BusCliOptions & { format: string; autopilot?: string }) => {
      const { loadScenario, simulateScenario } = await import('../../smp/index.js');
      const format = parseFormat(opts.format);
      let scenario = applyBus(await loadScenario(file), await busFields(opts));
      if (opts.autopilot !== undefined) {
        if (opts.autopilot !== 'document' && opts.autopilot !== 'projected') throw new Error(`--autopilot must be document or projected (got "${opts.autopilot}")`);
        scenario = { ...scenario, autopilot: { ...scenario.autopilot, variant: opts.autopilot } };
      }
      if (scenario.bus === 'measured' && !scenario.measuredBus) throw new Error(`${file}: --bus measured needs a measured record (--measured FILE, or "measuredBus" in the scenario)`);
      const result = simulateScenario(scenario);
      if (format === 'json') {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      const metrics: (keyof RunMetrics)[] = ['throughput', 'workCompleted', 'makespan', 'slowdownMean', 'slowdownWorst', 'runningSlowdownMean', 'busMean', 'offeredMean', 'busMax',
        'overThresholdFraction', 'overCommittedFraction', 'cpuIdleFraction', 'maxPassOvers', 'maxReadyWait', 'decisions'];
      const rows = metrics.map((m) => ({
        metric: m,
        standard: result.standard[m] as number | null,
        autopilot: result.autopilot[m] as number | null,
        oracle: m === 'throughput' ? result.oracle?.throughput ?? null : m === 'makespan' ? result.oracle?.makespan ?? null : m === 'workCompleted' ? result.oracle?.workCompleted ?? null : null,
      }));
      process.stdout.write(`${result.name}: ${result.threadCount} threads on ${result.machine.cpus} CPUs\nbus law: ${result.busLabel}\nAutoPilot: ${result.autopilot.variant === 'projected' ? 'projected commitment (Headroom\'s own variant)' : 'as the document describes it'}\n`);
      process.stdout.write(formatRows(rows, format));
      const c = result.comparison;
      process.stdout.write(`AutoPilot / standard throughput: ${c.autopilotVsStandard.toFixed(3)}` +
        (c.autopilotVsOracle === null ? '' : `; AutoPilot / best possible: ${c.autopilotVsOracle.toFixed(3)}; standard / best possible: ${c.standardVsOracle!.toFixed(3)}`) + '\n');
    });
  withBusOptions(smp
    .command('sweep <file>')
    .description('run a what-if grid over any scenario parameters on worker threads (Ctrl+C cancels)'))
    .option('--csv <out>', 'also write the rows to this CSV file')
    .option('--workers <n>', 'worker threads (default: the sweep file\'s, else one per core; 0 = in-process)')
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (file: string, opts: BusCliOptions & { csv?: string; workers?: string; format: string }) => {
      const { busLawLabels, loadSweep, runSweep } = await import('../../smp/index.js');
      const format = parseFormat(opts.format);
      const loaded = await loadSweep(file);
      const spec = { ...loaded, base: applyBus(loaded.base, await busFields(opts)) };
      if (spec.base.bus === 'measured' && !spec.base.measuredBus) throw new Error(`${file}: --bus measured needs a measured record (--measured FILE)`);
      if (format === 'table') process.stderr.write(`bus law: ${busLawLabels[spec.base.bus ?? 'document']}\n`);
      const workers = opts.workers === undefined ? undefined : Number(opts.workers);
      if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) throw new Error(`--workers must be a whole number ≥ 0 (got "${opts.workers}")`);
      const progress = terminalProgress('sweep');
      const signal = interruptSignal();
      // Finished rows arrive one by one; a Ctrl+C keeps them instead of throwing them away.
      const finished: Row[] = [];
      let total = 0;
      let rows: Row[];
      try {
        rows = await runSweep(spec, {
          signal,
          onProgress: (p) => { total = p.total; finished.push(p.row as Row); progress.update(p.done, p.total); },
          ...(workers !== undefined ? { workers } : {}),
        }) as Row[];
      } catch (err) {
        if (!signal.aborted) throw err;
        rows = finished;
        process.stderr.write(`sweep cancelled after ${rows.length} of ${total} points; the finished rows follow\n`);
        process.exitCode = 130;
      } finally {
        progress.stop();
      }
      const out = rows;
      if (opts.csv) {
        await writeFile(opts.csv, formatRows(out, 'csv'));
        process.stderr.write(`wrote ${rows.length} rows to ${opts.csv}\n`);
      }
      process.stdout.write(formatRows(out, format));
    });

  registerGain(smp);

  benchCommand(program)
    .command('smp')
    .description('SMP simulator: dispatch decisions per second on one core, and a reference sweep\'s time')
    .option('--decisions <n>', 'decisions per dispatcher run', '2000000')
    .option('--format <format>', 'json', 'json')
    .action(async (opts: { decisions: string; format: string }) => {
      const { benchSmp } = await import('../../smp/index.js');
      const decisions = Number(opts.decisions);
      if (!Number.isInteger(decisions) || decisions < 1) throw new Error(`--decisions must be a whole number ≥ 1 (got "${opts.decisions}")`);
      const result = await benchSmp({ decisions, signal: interruptSignal() });
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    });
}
