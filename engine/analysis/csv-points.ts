import { parse } from 'csv-parse/sync';
import { UslInputError, type ThroughputPoint } from './usl.js';

/** A decimal number as people write it in a CSV; `Number()` alone would also take '', ' ', '0x1f' and 'Infinity'. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function isNumeric(cell: string): boolean {
  return NUMBER.test(cell) && Number.isFinite(Number(cell));
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Read "N,throughput" rows. A first row is a header only when none of its cells is numeric, so a
 * data row with one bad cell is reported, not dropped as a header. A header may name the columns in
 * any order (n/N/cpus/concurrency and throughput/x/rate/speedup), so `smp table --format csv` output
 * fits directly. An empty N or throughput cell is an error, never a zero. Errors name the file, the
 * line in the file (comments and blank lines counted) and the column.
 */
export function parseThroughputCsv(text: string, file = 'input', columns: { n?: string; throughput?: string } = {}): ThroughputPoint[] {
  let records: CsvRecord[];
  try {
    records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true, comment: '#', info: true }) as unknown as CsvRecord[];
  } catch (err) {
    throw new UslInputError(`${file}: not CSV (${err instanceof Error ? err.message : String(err)})`);
  }
  let nCol = 0;
  let xCol = 1;
  let first = 0;
  const head = records[0]?.record;
  if (head && !head.some(isNumeric)) {
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
    const { record: row, info } = records[i]!;
    const cell = (col: number, what: string): number => {
      const value = row[col];
      const at = `${file}:${info.lines}: column ${col + 1} (${what})`;
      if (value === undefined) throw new UslInputError(`${at} is missing; the row has ${row.length} cell${row.length === 1 ? '' : 's'}: "${row.join(',')}"`);
      if (value === '') throw new UslInputError(`${at} is empty`);
      if (!isNumeric(value)) throw new UslInputError(`${at} is "${value}", not a number`);
      return Number(value);
    };
    points.push({ n: cell(nCol, 'N'), throughput: cell(xCol, 'throughput') });
  }
  return points;
}
