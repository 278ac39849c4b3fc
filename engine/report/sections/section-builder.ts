import type { Workspace } from '../../workspace/index.js';
import type { Cell, MachineDescription, ReportSection, ReportTable, TableColumn } from '../model.js';

/** Something `--only` can name: a whole section kind, or one scenario, sweep, series or study in it. */
export interface ReportItem {
  /** Qualified name, also the section id: `smp.scenario.figure-7`. The last part alone is accepted too. */
  name: string;
  title: string;
}

export interface BuildContext {
  workspace: Workspace;
  machine: MachineDescription;
  /** Whether the report includes this item (by qualified name). */
  wants(itemName: string): boolean;
  /** Report one item done (progress) and stop here if the user cancelled. */
  step(label: string): Promise<void>;
}

/**
 * One kind of report section. Adding a kind (e.g. SLA periods) is one module exporting one of
 * these and one line in sections/index.ts.
 */
export interface SectionBuilder {
  /** Section id and the `--only` name for all of it: `smp`, `messaging`. */
  kind: string;
  title: string;
  /** The selectable items this workspace holds for this kind (empty: nothing to report). */
  items(workspace: Workspace): ReportItem[];
  /** The section with the wanted items, or null when none is wanted. */
  build(ctx: BuildContext): Promise<ReportSection | null>;
}

/** A column; `id` carries the unit for CSV (`cycle_p99_ms`), `label`/`unit` are for print. */
export function col(id: string, label: string, options: Omit<TableColumn, 'id' | 'label'> = {}): TableColumn {
  return { id, label, ...options };
}

export function table(id: string, title: string, columns: TableColumn[], rows: Cell[][], caption?: string): ReportTable {
  return caption === undefined ? { id, title, columns, rows } : { id, title, columns, rows, caption };
}

/** `standardThroughput` → `standard_throughput`, for CSV headers of stored rows. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

export function finiteOrNull(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
