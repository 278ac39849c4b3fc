import { stringify } from 'csv-stringify/sync';

export type OutputFormat = 'table' | 'json' | 'csv';
export const outputFormats: readonly OutputFormat[] = ['table', 'json', 'csv'];

export type Row = Record<string, string | number | boolean | null>;

export function parseFormat(value: string): OutputFormat {
  if ((outputFormats as readonly string[]).includes(value)) return value as OutputFormat;
  throw new Error(`--format must be one of ${outputFormats.join(', ')} (got "${value}")`);
}

/** Render rows for a terminal, JSON (an array of objects) or RFC 4180 CSV with a header row. */
export function formatRows(rows: readonly Row[], format: OutputFormat, columns?: readonly string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  if (format === 'csv') {
    return stringify(rows.map((r) => cols.map((c) => r[c] ?? '')), { header: true, columns: [...cols] });
  }
  const cells = rows.map((r) => cols.map((c) => renderCell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]): string =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

function renderCell(value: Row[string] | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  return String(value);
}
