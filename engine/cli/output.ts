import { createRequire } from 'node:module';

type Stringify = typeof import('csv-stringify/sync').stringify;
let stringifyCsv: Stringify | undefined;
/** csv-stringify loads at the first CSV written, not when the CLI starts (`headroom --help` loads no package but commander). */
function csvStringify(): Stringify {
  stringifyCsv ??= (createRequire(import.meta.url)('csv-stringify/sync') as { stringify: Stringify }).stringify;
  return stringifyCsv;
}

export type OutputFormat = 'table' | 'json' | 'csv';
export const outputFormats: readonly OutputFormat[] = ['table', 'json', 'csv'];

export type Row = Record<string, string | number | boolean | null>;

export function parseFormat(value: string): OutputFormat {
  if ((outputFormats as readonly string[]).includes(value)) return value as OutputFormat;
  throw new Error(`--format must be one of ${outputFormats.join(', ')} (got "${value}")`);
}

/**
 * Render rows for a terminal, JSON (an array of objects) or RFC 4180 CSV with a header row.
 * A terminal table wider than the terminal prints in blocks of columns, each repeating the
 * first `keyColumns` columns, so no line wraps.
 */
export function formatRows(rows: readonly Row[], format: OutputFormat, columns?: readonly string[], options: { width?: number; keyColumns?: number } = {}): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  if (format === 'csv') {
    return csvStringify()(rows.map((r) => cols.map((c) => csvCell(r[c]))), { header: true, columns: [...cols] });
  }
  const heads = cols.map(headerWords);
  const cells = rows.map((r) => cols.map((c) => renderCell(r[c])));
  const widths = cols.map((_, i) => Math.max(heads[i]!.length, ...cells.map((row) => row[i]!.length)));
  const lineWidth = options.width ?? (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 160;
  const blocks = columnBlocks(widths, lineWidth, Math.min(options.keyColumns ?? 1, cols.length));
  // Numbers align right so their digits line up; words align left, as they are read (the report does the same).
  // A column is numeric when every cell reads as a number, preformatted ones ('3.0', '12%') included.
  const numeric = cols.map((_, i) => cells.every((row) => row[i] === '' || NUMBER_CELL.test(row[i]!)));
  return blocks.map((block) => {
    const line = (values: readonly string[]): string =>
      block.map((i, k) => (k === 0 || !numeric[i] ? values[i]!.padEnd(widths[i]!) : values[i]!.padStart(widths[i]!))).join('  ').trimEnd();
    return [line(heads), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
  }).join('\n');
}

const NUMBER_CELL = /^[-+−]?(\d[\d,]*(\.\d*)?|\.\d+)(e[-+]?\d+)?\s?%?$|^[-+]?Infinity$|^NaN$|^—$/i;

/** `cycleP99Ms` → `cycle p99 ms`: keys are for programs, headers for people. */
export function headerWords(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

function columnBlocks(widths: readonly number[], lineWidth: number, keys: number): number[][] {
  const all = widths.map((_, i) => i);
  const total = widths.reduce((sum, w) => sum + w + 2, -2);
  if (total <= lineWidth || widths.length <= keys) return [all];
  const keyIdx = all.slice(0, keys);
  const keyWidth = keyIdx.reduce((sum, i) => sum + widths[i]! + 2, 0);
  const blocks: number[][] = [];
  let current: number[] = [];
  let used = keyWidth;
  for (let i = keys; i < widths.length; i++) {
    if (current.length > 0 && used + widths[i]! > lineWidth) { blocks.push([...keyIdx, ...current]); current = []; used = keyWidth; }
    current.push(i);
    used += widths[i]! + 2;
  }
  if (current.length > 0) blocks.push([...keyIdx, ...current]);
  return blocks;
}

/** CSV keeps full precision but not binary noise: 1.2000000000000002 is written 1.2. */
function csvCell(value: Row[string] | undefined): string | number | boolean {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) return Number(value.toPrecision(15));
  return value;
}

function renderCell(value: Row[string] | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  return String(value);
}
