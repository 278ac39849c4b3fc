/**
 * The report model: what a report says, independent of how it is shown. The HTML/PDF renderer,
 * the CSV writer and the app's Reports view all read this one structure, so a number in the PDF
 * and the same number in a CSV come from the same cell.
 */
import type { MachineDescription } from '../runtime/index.js';

export type { MachineDescription };

/** A table cell: numbers keep full precision (CSV writes them as computed); `time` cells are ISO 8601 strings. */
export type Cell = number | string | null;

export interface TableColumn {
  /** The CSV header: snake_case with the unit last (`cycle_p99_ms`, `speedup_x`, `measured_at_iso8601`). */
  id: string;
  /** The printed header. */
  label: string;
  /** Unit shown in the printed header, e.g. "ms", "%"; omitted for plain counts and ratios. */
  unit?: string;
  /** Decimals shown in print; CSV always carries the full value. Omitted: shown as given. */
  digits?: number;
  /** Printed value = value × scale (e.g. 100 for a fraction shown in %). CSV is never scaled. */
  scale?: number;
}

export interface ReportTable {
  /** Unique in the report; names the CSV file (`smp.analytic.io` → `smp-analytic-io.csv`). */
  id: string;
  title: string;
  /** One sentence on where the numbers come from (the function or measurement). */
  caption?: string;
  columns: TableColumn[];
  rows: Cell[][];
  /** Print at most this many rows (long sweeps); the CSV always has them all. */
  printRows?: number;
  /** Leading columns that identify a row, repeated in every part when the table is too wide for the page. */
  keyColumns?: number;
  /** Printed with columns as rows (a few rows of many metrics read better down the page); CSV is the same. */
  transpose?: boolean;
}

export interface ChartSeries {
  name: string;
  /** Numbers, or category names (thread names on a bar chart). */
  x: (number | string)[];
  y: number[];
  /** Dashed lines mark models and fits against measured or simulated solid lines. */
  dash?: boolean;
  /** Markers only (measured points). */
  markersOnly?: boolean;
  /** A line without markers (a fitted curve, drawn before the measured points so they stay visible on top). */
  linesOnly?: boolean;
  /** Series of one thing (a class: its points, its fit, its target) share this palette colour; by default each series takes the next. */
  colorOf?: number;
}

/**
 * A chart as data, not pixels: the page renders it with Plotly to SVG (vectors in the PDF), and the
 * app's preview can hand the same spec to its own Plotly.
 */
export type ChartSpec =
  | { id: string; title: string; kind: 'line' | 'bar'; xLabel: string; yLabel: string; series: ChartSeries[]; xLog?: boolean; /** Log scale for values spanning decades (a model in seconds beside measurements in ms). */ yLog?: boolean }
  | { id: string; title: string; kind: 'heatmap'; xLabel: string; yLabel: string; zLabel: string; x: number[]; y: number[]; z: (number | null)[][] };

export interface Parameter {
  name: string;
  value: string | number | boolean | null;
  unit?: string;
}

export interface ReportSection {
  /** Stable id (`smp`, `smp.scenario.figure-7`); anchors, CSV names and `--only` use it. */
  id: string;
  title: string;
  paragraphs: string[];
  parameters: Parameter[];
  tables: ReportTable[];
  charts: ChartSpec[];
  children: ReportSection[];
}

export interface Provenance {
  headroomVersion: string;
  workspaceName: string;
  /** Absolute path of the workspace file, or null for a workspace that was never saved. */
  workspacePath: string | null;
  workspaceSha256: string;
  /** 'file': hash of the bytes on disk; 'in-memory': hash of the workspace as the app holds it (may have unsaved changes). */
  hashOf: 'file' | 'in-memory';
  generatedAt: string;
  /** The machine that generated the report (and re-ran the deterministic simulations). */
  machine: MachineDescription;
}

export interface ReportModel {
  title: string;
  description: string;
  owner: string | null;
  provenance: Provenance;
  /** The `--only` names this report was limited to, or null for everything. */
  only: string[] | null;
  sections: ReportSection[];
}

export type Paper = 'A4' | 'Letter';
export const papers: readonly Paper[] = ['A4', 'Letter'];

/** Every table of a report in document order, with the section it belongs to. */
export function allTables(model: ReportModel): { section: ReportSection; table: ReportTable }[] {
  const out: { section: ReportSection; table: ReportTable }[] = [];
  const walk = (s: ReportSection): void => {
    for (const table of s.tables) out.push({ section: s, table });
    s.children.forEach(walk);
  };
  model.sections.forEach(walk);
  return out;
}

export function emptySection(id: string, title: string): ReportSection {
  return { id, title, paragraphs: [], parameters: [], tables: [], charts: [], children: [] };
}
