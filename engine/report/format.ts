import type { Cell, ReportTable, TableColumn } from './model.js';

/** A cell as printed (the CSV keeps the raw value). Pure: the workbench's preview uses it too. */
export function formatCell(value: Cell, column: Pick<TableColumn, 'digits' | 'scale'>): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  const v = value * (column.scale ?? 1);
  if (column.digits === undefined) return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 6 });
  return v.toLocaleString('en-US', { minimumFractionDigits: column.digits, maximumFractionDigits: column.digits });
}

/** Which columns hold numbers (and nothing else but blanks): those align right, in print and on screen. */
export function numericColumns(table: Pick<ReportTable, 'columns' | 'rows'>): boolean[] {
  return table.columns.map((_, i) => table.rows.some((r) => typeof r[i] === 'number') && !table.rows.some((r) => typeof r[i] === 'string'));
}
