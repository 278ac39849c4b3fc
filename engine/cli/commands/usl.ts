import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatRows, parseFormat, type OutputFormat } from '../output.js';

export function registerUsl(program: Command): void {
  const usl = program.command('usl').description('Universal Scalability Law: fit X(N) = λN / (1 + σ(N−1) + κN(N−1))');
  usl
    .command('fit <file>')
    .description('fit the USL to a CSV of N,throughput (header optional); needs at least 6 points')
    .option('--format <format>', 'table | json | csv', 'table')
    .option('--curve', 'with --format json, include the fitted curve for charts')
    .option('--n-column <name>', 'header of the N column (e.g. cpus in a sweep CSV)')
    .option('--throughput-column <name>', 'header of the throughput column (e.g. autopilotThroughput)')
    .action(async (file: string, opts: { format: string; curve?: boolean; nColumn?: string; throughputColumn?: string }) => {
      // Loaded here, not at start: the fitter (ml-levenberg-marquardt) would slow every other command.
      const { fitUsl, parseThroughputCsv } = await import('../../analysis/index.js');
      const format: OutputFormat = parseFormat(opts.format);
      const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new Error(`${file}: cannot read (${err.code ?? err.message})`);
      });
      let fit;
      try {
        fit = fitUsl(parseThroughputCsv(text, file, {
          ...(opts.nColumn !== undefined ? { n: opts.nColumn } : {}),
          ...(opts.throughputColumn !== undefined ? { throughput: opts.throughputColumn } : {}),
        }));
      } catch (err) {
        throw new Error(err instanceof Error && err.message.startsWith(file) ? err.message : `${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (format === 'json') {
        const { curve, ...rest } = fit;
        process.stdout.write(JSON.stringify(opts.curve ? fit : rest, null, 2) + '\n');
        return;
      }
      const rows: { parameter: string; value: number; low: number; high: number }[] = (['sigma', 'kappa', 'lambda'] as const).map((k) => ({
        parameter: k, value: fit[k], low: fit.intervals[k].low, high: fit.intervals[k].high,
      }));
      rows.push({ parameter: 'peakN', value: fit.peakN ?? Infinity, low: NaN, high: NaN });
      rows.push({ parameter: 'peakThroughput', value: fit.peakThroughput ?? Infinity, low: NaN, high: NaN });
      rows.push({ parameter: 'rSquared', value: fit.rSquared, low: NaN, high: NaN });
      process.stdout.write(formatRows(rows.map((r) => ({ ...r, low: Number.isNaN(r.low) ? null : r.low, high: Number.isNaN(r.high) ? null : r.high })), format));
    });
}
