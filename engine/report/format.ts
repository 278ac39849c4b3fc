import type { Cell, TableColumn } from './model.js';

/** A cell as printed (the CSV keeps the raw value). Pure: the workbench's preview uses it too. */
export function formatCell(value: Cell, column: Pick<TableColumn, 'digits' | 'scale'>): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  const v = value * (column.scale ?? 1);
  if (column.digits === undefined) return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 6 });
  return v.toLocaleString('en-US', { minimumFractionDigits: column.digits, maximumFractionDigits: column.digits });
}
