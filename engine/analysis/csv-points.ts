import { parse } from 'csv-parse/sync';
import { UslInputError, type ThroughputPoint } from './usl.js';

/**
 * Read "N,throughput" rows; a header row is optional (recognised because its cells are not numbers),
 * and a header may name the columns in any order (n/N/cpus/concurrency and throughput/x/rate/speedup), so `smp table --format csv` output fits directly.
 * Errors name the file and line.
 */
export function parseThroughputCsv(text: string, file = 'input', columns: { n?: string; throughput?: string } = {}): ThroughputPoint[] {
  let records: string[][];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true, comment: '#' }) as string[][];
  } catch (err) {
    throw new UslInputError(`${file}: not CSV (${err instanceof Error ? err.message : String(err)})`);
  }
  let nCol = 0;
  let xCol = 1;
  let first = 0;
  const head = records[0];
  if (head && head.some((c) => c !== '' && !Number.isFinite(Number(c)))) {
    const lower = head.map((c) => c.toLowerCase());
    const ni = lower.findIndex((c) => ['n', 'cpus', 'concurrency', 'users', 'threads', 'nodes'].includes(c));
    const xi = lower.findIndex((c) => ['throughput', 'x', 'rate', 'tps', 'ops', 'speedup'].includes(c));
    if (ni >= 0) nCol = ni;
    if (xi >= 0) xCol = xi;
    first = 1;
  }
  // Named columns (e.g. a sweep's cpus and autopilotThroughput) override the guess.
  for (const [which, name] of [['n', columns.n], ['throughput', columns.throughput]] as const) {
    if (name === undefined) continue;
    const at = first === 1 ? head!.indexOf(name) : -1;
    if (at < 0) throw new UslInputError(`${file}: no column named "${name}" in the header`);
    if (which === 'n') nCol = at; else xCol = at;
  }
  const points: ThroughputPoint[] = [];
  for (let i = first; i < records.length; i++) {
    const row = records[i]!;
    const n = Number(row[nCol]);
    const throughput = Number(row[xCol]);
    if (row[nCol] === undefined || row[xCol] === undefined || !Number.isFinite(n) || !Number.isFinite(throughput)) {
      throw new UslInputError(`${file}:${i + 1}: expected two numbers (N, throughput), got "${row.join(',')}"`);
    }
    points.push({ n, throughput });
  }
  return points;
}
