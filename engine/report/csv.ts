import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { ReportError } from './errors.js';
import { allTables, type ReportModel, type ReportTable } from './model.js';
import { provenanceRows } from './provenance.js';

/**
 * RFC 4180 text of one table: CRLF line ends, a header row of the column ids (units in the names),
 * fields quoted when they hold commas, quotes or line breaks, numbers at full precision, null empty.
 */
export function tableCsv(table: Pick<ReportTable, 'columns' | 'rows'>): string {
  return stringify(table.rows.map((row) => table.columns.map((_, i) => row[i] ?? null)), {
    header: true,
    columns: table.columns.map((c) => c.id),
    record_delimiter: 'windows',
    cast: { number: (v) => String(v) },
  });
}

/** `smp.scenario.figure-7.metrics` → `smp-scenario-figure-7-metrics.csv` */
export function csvFileName(tableId: string): string {
  return `${tableId.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'table'}.csv`;
}

export interface WrittenCsv {
  dir: string;
  /** Absolute paths: one CSV per table, then provenance.csv and README.txt. */
  files: string[];
}

/** One CSV per table in `dir` (created if missing), with provenance.csv and a README naming each file. */
export async function writeCsvTables(model: ReportModel, dir: string): Promise<WrittenCsv> {
  const resolved = path.resolve(dir);
  try {
    await fs.mkdir(resolved, { recursive: true });
  } catch (err) {
    throw new ReportError(`${resolved}: cannot create the CSV folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'output');
  }
  const files: string[] = [];
  const readme: string[] = [
    `CSV export of the Headroom report "${model.title}".`,
    'Each file is RFC 4180 CSV (UTF-8, CRLF line ends) with a header row; units are part of the column names',
    '(_ms milliseconds, _us microseconds, _s seconds, _mb megabytes, _fraction 0..1, _x a multiple, _cycles CPU cycles);',
    'times are ISO 8601 (UTC). Numbers are at full precision; the PDF rounds them for print.',
    '',
    'Provenance (also in provenance.csv):',
    ...provenanceRows(model.provenance).map(([k, v]) => `  ${k}: ${v}`),
    '',
    'Files:',
  ];
  const used = new Set<string>();
  for (const { section, table } of allTables(model)) {
    let name = csvFileName(table.id);
    for (let i = 2; used.has(name); i++) name = csvFileName(`${table.id}-${i}`);
    used.add(name);
    const file = path.join(resolved, name);
    await write(file, tableCsv(table));
    files.push(file);
    readme.push(`  ${name}: ${section.title} / ${table.title} (${table.rows.length} rows)`);
  }
  const provenanceFile = path.join(resolved, 'provenance.csv');
  await write(provenanceFile, stringify(provenanceRows(model.provenance), { header: true, columns: ['name', 'value'], record_delimiter: 'windows' }));
  const readmeFile = path.join(resolved, 'README.txt');
  await write(readmeFile, readme.join('\n') + '\n');
  files.push(provenanceFile, readmeFile);
  return { dir: resolved, files };
}

async function write(file: string, text: string): Promise<void> {
  try {
    await fs.writeFile(file, text, 'utf8');
  } catch (err) {
    throw new ReportError(`${file}: cannot be written (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 'output');
  }
}
