import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import type { Rate } from '../../sla/index.js';
import { benchCommand } from './bench.js';
import { formatRows, parseFormat } from '../output.js';

function positiveInt(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number ≥ 1 (got "${text}")`);
  return v;
}

/** `sla check`, `sla schema` and `bench db`. */
export function registerSla(program: Command): void {
  const sla = program.command('sla').description('SLA policies and the SLA database');
  sla
    .command('check <file>')
    .description('check a policy (YAML): syntax, schema and semantic problems with line and column; exit 1 on errors')
    .option('--capacity <gateway=iops[:mbps]...>', 'known capacity of a gateway, e.g. gw1=20000:400 (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--format <format>', 'table | json | csv', 'table')
    .action(async (file: string, opts: { capacity: string[]; format: string }) => {
      const { checkPolicy } = await import('../../sla/index.js');
      const format = parseFormat(opts.format);
      const knownCapacity: Record<string, Rate> = {};
      for (const c of opts.capacity) {
        const m = /^([^=]+)=(\d+(?:\.\d+)?)(?::(\d+(?:\.\d+)?))?$/.exec(c);
        if (!m) throw new Error(`--capacity must look like gw1=20000 or gw1=20000:400 (got "${c}")`);
        knownCapacity[m[1]!] = { iops: Number(m[2]), ...(m[3] !== undefined ? { mbps: Number(m[3]) } : {}) };
      }
      const result = checkPolicy(await readFile(file, 'utf8'), { knownCapacity });
      const rows = result.diagnostics.map((d) => ({ place: `${file}:${d.line}:${d.column}`, severity: d.severity, code: d.code, message: d.message, path: d.path }));
      if (format === 'table') {
        process.stdout.write(rows.map((r) => `${r.place}: ${r.severity}: ${r.message} [${r.code}]`).join('\n') + (rows.length ? '\n' : ''));
        process.stdout.write(result.policy ? `${file}: valid policy "${result.policy.name}" (${result.policy.classes.length} classes, ${result.policy.bindings.length} bindings, ${result.policy.gateways.length} gateways${result.policy.access.length ? `, ${result.policy.access.length} access lists` : ''})\n` : `${file}: invalid policy\n`);
      } else {
        process.stdout.write(formatRows(rows, format, ['place', 'severity', 'code', 'message', 'path']));
      }
      if (!result.policy) process.exitCode = 1;
    });
  sla
    .command('schema')
    .description('print the policy JSON Schema (the one the validator and the editor use)')
    .action(async () => {
      const { policyJsonSchema } = await import('../../sla/index.js');
      process.stdout.write(JSON.stringify(policyJsonSchema, null, 2) + '\n');
    });

  benchCommand(program)
    .command('db')
    .description('SLA database: ingest samples/s through the database thread (and in-process), query latencies')
    .option('--gateways <n>', 'gateways per poll', '1000')
    .option('--pairs <n>', 'host/LUN pairs per gateway', '10')
    .option('--polls <n>', 'polls ingested', '100')
    .option('--month', 'also fill a month of hourly rollups for every gateway and time month-long queries')
    .option('--format <format>', 'json | table', 'json')
    .action(async (opts: { gateways: string; pairs: string; polls: string; month?: boolean; format: string }) => {
      const { runDbBench } = await import('../../sla/index.js');
      const format = parseFormat(opts.format);
      const result = await runDbBench({
        gateways: positiveInt('--gateways', opts.gateways),
        pairsPerGateway: positiveInt('--pairs', opts.pairs),
        polls: positiveInt('--polls', opts.polls),
        month: opts.month === true,
      });
      if (format === 'json') {
        process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        return;
      }
      const rows = [
        { measure: 'samples ingested', value: result.samples },
        { measure: 'ingest through database thread (samples/s)', value: result.worker.samplesPerSecond },
        { measure: 'ingest in-process baseline (samples/s)', value: result.inProcess.samplesPerSecond },
        { measure: 'thread / in-process', value: result.workerVsInProcess },
        { measure: 'rollup (ms)', value: result.rollupMs },
        ...Object.entries(result.queriesMs).map(([k, v]) => ({ measure: `query ${k} (ms)`, value: v })),
        ...Object.entries(result.month?.queriesMs ?? {}).map(([k, v]) => ({ measure: `query ${k} (ms)`, value: v })),
      ];
      process.stdout.write(formatRows(rows, format));
    });
}
