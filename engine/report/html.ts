import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { allTables, type Cell, type ChartSpec, type Paper, type ReportModel, type ReportSection, type ReportTable, type TableColumn } from './model.js';
import { formatCell, numericColumns } from './format.js';
import { pageScript } from './page-script.js';
import { columnWidthMm, splitColumns } from './table-layout.js';
import { provenanceRows } from './provenance.js';

export interface HtmlOptions {
  paper?: Paper;
  /** Page number of each section id, read back from a first printing (see tocPageNumbers). */
  tocPages?: ReadonlyMap<string, number>;
}

let plotlySource: string | undefined;

/** plotly.js, inlined so the HTML is one self-contained file (no network, no file paths in the page). */
function plotly(): string {
  if (plotlySource === undefined) {
    const file = createRequire(import.meta.url).resolve('plotly.js-dist-min/plotly.min.js');
    plotlySource = readFileSync(file, 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return plotlySource;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON inside <script type="application/json">: `<` escaped so no text can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function anchorOf(sectionId: string): string {
  return `sec-${sectionId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** Number shown in print: scaled, fixed decimals, grouped thousands; CSV keeps the raw value. */
export { formatCell };

function formatParameter(value: string | number | boolean | null): string {
  if (value === null) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 6 });
  return value;
}

interface Numbered { section: ReportSection; number: string; depth: number }

function numberSections(sections: readonly ReportSection[], prefix = '', depth = 1): Numbered[] {
  return sections.flatMap((section, i) => {
    const number = `${prefix}${i + 1}`;
    return [{ section, number, depth }, ...numberSections(section.children, `${number}.`, depth + 1)];
  });
}

/**
 * The report as one self-contained HTML page, laid out for print (A4 or Letter through CSS @page):
 * title page, table of contents, numbered sections, tables that repeat their header on each page
 * and never split a row, charts drawn as SVG by the inlined Plotly.
 */
export function renderReportHtml(model: ReportModel, options: HtmlOptions = {}): string {
  const paper = options.paper ?? 'A4';
  const numbered = numberSections(model.sections);
  const charts: ChartSpec[] = [];
  const tableNumbers = new Map(allTables(model).map(({ table }, i) => [table.id, i + 1]));
  const body: string[] = [];

  body.push('<section class="title-page">');
  body.push(`<p class="kicker">Headroom capacity report</p><h1>${escapeHtml(model.title)}</h1>`);
  if (model.description) body.push(`<p class="description">${escapeHtml(model.description)}</p>`);
  if (model.owner) body.push(`<p class="owner">Owner: ${escapeHtml(model.owner)}</p>`);
  if (model.only) body.push(`<p class="owner">Limited to: ${model.only.map(escapeHtml).join(', ')}</p>`);
  body.push('<h2 class="plain">Provenance</h2><table class="params provenance"><tbody>');
  for (const [name, value] of provenanceRows(model.provenance)) body.push(`<tr><th>${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`);
  body.push('</tbody></table>');
  body.push('<p class="fineprint">Each number in this report traces to code a reader can run: the table captions name the engine function, and the CSV export carries every table at full precision with units in the column names.</p>');
  body.push('</section>');

  body.push('<nav class="toc"><h2 class="plain">Contents</h2><ol>');
  for (const { section, number, depth } of numbered) {
    if (depth > 2) continue;
    const page = options.tocPages?.get(section.id);
    body.push(`<li class="toc-${depth}"><a href="#${anchorOf(section.id)}"><span class="toc-number">${number}</span><span class="toc-title">${escapeHtml(section.title)}</span><span class="toc-page">${page === undefined ? '' : page}</span></a></li>`);
  }
  if (numbered.length === 0) body.push('<li>This report has no sections: the workspace holds nothing to report, or the selection left nothing in.</li>');
  body.push('</ol></nav>');

  for (const { section, number, depth } of numbered) {
    const tag = `h${Math.min(depth + 1, 4)}`;
    body.push(`<section class="depth-${depth}">`);
    body.push(`<${tag} id="${anchorOf(section.id)}"><span class="number">${number}</span> ${escapeHtml(section.title)}</${tag}>`);
    for (const p of section.paragraphs) body.push(`<p>${escapeHtml(p)}</p>`);
    if (section.parameters.length > 0) {
      body.push('<table class="params"><caption>Parameters</caption><tbody>');
      for (const p of section.parameters) {
        body.push(`<tr><th>${escapeHtml(p.name)}</th><td>${escapeHtml(formatParameter(p.value))}${p.unit ? ` ${escapeHtml(p.unit)}` : ''}</td></tr>`);
      }
      body.push('</tbody></table>');
    }
    for (const chart of section.charts) {
      const index = charts.push(chart) - 1;
      body.push(`<figure class="chart"><div class="plot" data-chart="${index}"></div><figcaption>Figure ${index + 1}: ${escapeHtml(chart.title)}</figcaption></figure>`);
    }
    for (const t of section.tables) body.push(renderTable(t, tableNumbers.get(t.id) ?? 0, paper));
    body.push('</section>');
  }

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="Headroom ${escapeHtml(model.provenance.headroomVersion)}">
<title>${escapeHtml(model.title)}</title>
<style>${stylesheet(paper)}</style>
</head>
<body data-paper="${paper}">
${body.join('\n')}
<script type="application/json" id="report-charts">${scriptJson(charts)}</script>
<script>${plotly()}</script>
<script>${pageScript}</script>
</body>
</html>
`;
}

/** Tables up to this many printed rows are kept whole on one page. */
const SHORT_TABLE_ROWS = 30;

function renderTable(t: ReportTable, number: number, paper: Paper): string {
  const limit = t.printRows ?? Infinity;
  const rows = t.rows.slice(0, limit);
  const header = (c: TableColumn): string => `${escapeHtml(c.label)}${c.unit ? ` <span class="unit">(${escapeHtml(c.unit)})</span>` : ''}`;
  const headerText = (c: TableColumn): string => `${c.label}${c.unit ? ` (${c.unit})` : ''}`;
  const printedRows = t.transpose ? t.columns.length - 1 : rows.length;
  const shortClass = printedRows <= SHORT_TABLE_ROWS ? ' short' : '';
  const out: string[] = [];
  // Short tables never split; long ones split between rows. The title sits in the header, which
  // repeats on every page, so it can never be stranded at the foot of a page without its rows.
  const title = (width: number, part: string): string =>
    `<tr class="title-row"><th colspan="${width}"><span class="table-title">Table ${number}: ${escapeHtml(t.title)}${part}</span>${t.caption ? `<span class="table-caption">${escapeHtml(t.caption)}</span>` : ''}</th></tr>`;
  const partLabel = (k: number, of: number): string => (of > 1 ? ` (part ${k + 1} of ${of})` : '');
  if (t.transpose) {
    // Printed columns are the rows here: the first printed column holds the metric names.
    const [first, ...rest] = t.columns;
    const printedHeads = rows.map((r) => formatCell(r[0] ?? null, first ?? {}));
    const widths = [
      columnWidthMm(first ? headerText(first) : '', rest.map(headerText)),
      ...rows.map((r, ri) => columnWidthMm(printedHeads[ri]!, rest.map((c, ci) => formatCell(r[ci + 1] ?? null, c)))),
    ];
    const parts = splitColumns(widths, paper);
    parts.forEach((cols, k) => {
      const rowIdx = cols.slice(1).map((c) => c - 1);
      out.push(`<table class="data transposed${shortClass}" id="table-${escapeHtml(t.id)}${k > 0 ? `-part${k + 1}` : ''}">`);
      out.push(`<thead>${title(rowIdx.length + 1, partLabel(k, parts.length))}<tr><th>${first ? header(first) : ''}</th>${rowIdx.map((ri) => `<th>${escapeHtml(printedHeads[ri]!)}</th>`).join('')}</tr></thead><tbody>`);
      rest.forEach((c, i) => {
        out.push(`<tr><th>${header(c)}</th>${rowIdx.map((ri) => `<td>${escapeHtml(formatCell(rows[ri]![i + 1] ?? null, c))}</td>`).join('')}</tr>`);
      });
      out.push('</tbody></table>');
    });
  } else {
    // Numbers line up on the right, words read from the left; a column is numeric when its values are.
    const numeric = numericColumns({ columns: t.columns, rows });
    const cls = (i: number): string => (numeric[i] ? ' class="num"' : '');
    const text = rows.map((r) => t.columns.map((c, i) => formatCell(r[i] ?? null, c)));
    const widths = t.columns.map((c, i) => columnWidthMm(headerText(c), text.map((r) => r[i]!)));
    const parts = splitColumns(widths, paper, t.keyColumns ?? 1);
    parts.forEach((cols, k) => {
      out.push(`<table class="data${shortClass}" id="table-${escapeHtml(t.id)}${k > 0 ? `-part${k + 1}` : ''}">`);
      out.push(`<thead>${title(cols.length, partLabel(k, parts.length))}<tr>${cols.map((i) => `<th${cls(i)}>${header(t.columns[i]!)}</th>`).join('')}</tr></thead><tbody>`);
      for (const r of text) out.push(`<tr>${cols.map((i) => `<td${cls(i)}>${escapeHtml(r[i]!)}</td>`).join('')}</tr>`);
      if (rows.length === 0) out.push(`<tr><td class="none" colspan="${cols.length}">None.</td></tr>`);
      out.push('</tbody></table>');
    });
  }
  if (t.rows.length > rows.length) out.push(`<p class="fineprint">Showing ${rows.length} of ${t.rows.length} rows; the CSV has them all.</p>`);
  return out.join('');
}

function stylesheet(paper: Paper): string {
  return `
@page { size: ${paper === 'Letter' ? 'letter' : 'A4'}; margin: 16mm 15mm 18mm 15mm; }
:root { color: #1b1b1b; font-family: 'DejaVu Sans', 'Liberation Sans', Arial, sans-serif; font-size: 9.5pt; line-height: 1.4; }
body { margin: 0; max-width: 180mm; }
h1 { font-size: 24pt; margin: 0 0 6mm; line-height: 1.15; }
h2 { font-size: 15pt; margin: 0 0 3mm; border-bottom: 1.5px solid #1f5fa8; padding-bottom: 1mm; }
h3 { font-size: 12pt; margin: 7mm 0 2mm; }
h4 { font-size: 10.5pt; margin: 5mm 0 2mm; }
h2, h3, h4 { break-after: avoid; color: #12345a; }
h2.plain { border: none; margin-top: 8mm; }
.number { color: #1f5fa8; margin-right: 2mm; }
p { margin: 0 0 2.5mm; orphans: 3; widows: 3; }
.kicker { color: #1f5fa8; font-size: 9pt; margin-top: 30mm; }
.description { font-size: 11pt; }
.owner { color: #444; }
.fineprint { color: #555; font-size: 8pt; }
.title-page { break-after: page; }
.toc { break-after: page; }
.toc ol { list-style: none; padding: 0; margin: 0; }
.toc li { margin: 0 0 1.5mm; }
.toc a { display: flex; color: inherit; text-decoration: none; }
.toc .toc-number { width: 12mm; flex: none; }
.toc .toc-title { flex: 1; border-bottom: 1px dotted #999; }
/* The page column is as wide with or without numbers, so filling them in moves nothing. */
.toc .toc-page { width: 12mm; flex: none; text-align: right; }
.toc .toc-2 { padding-left: 8mm; font-size: 9pt; }
.toc .toc-1 { font-weight: bold; margin-top: 3mm; }
section.depth-1 { break-before: page; }
table { border-collapse: collapse; margin: 2mm 0 5mm; width: 100%; }
caption { text-align: left; caption-side: top; padding-bottom: 1.5mm; }
.table-title { font-weight: bold; display: block; }
.table-caption { display: block; color: #555; font-size: 8pt; }
table.params { width: auto; min-width: 60%; }
table.params caption { font-weight: bold; }
table.params th { text-align: left; font-weight: normal; color: #444; padding: 0.6mm 6mm 0.6mm 0; vertical-align: top; }
table.params td { padding: 0.6mm 0; word-break: break-all; }
table.data { font-size: 8pt; }
table.data thead { display: table-header-group; }
table.data.short { break-inside: avoid; }
table.data tr.title-row th { background: none; border: none; text-align: left; font-weight: normal; padding: 0 0 1.5mm; font-size: 9.5pt; }
table.data tr.title-row .table-caption { font-size: 8pt; }
table.data th { overflow-wrap: break-word; background: #e8eef6; text-align: left; padding: 1mm 1.5mm; border-bottom: 1px solid #8aa; vertical-align: bottom; font-weight: bold; }
table.data td { overflow-wrap: anywhere; padding: 0.7mm 1.5mm; border-bottom: 0.5px solid #ddd; text-align: left; vertical-align: top; font-variant-numeric: tabular-nums; }
table.data th.num, table.data td.num { text-align: right; }
table.data td.none { color: #666; font-style: italic; }
table.data.transposed tbody th { background: none; text-align: left; font-weight: normal; border-bottom: 0.5px solid #ddd; }
table.data .unit { font-weight: normal; color: #555; }
tr { break-inside: avoid; }
figure.chart { margin: 3mm 0 5mm; break-inside: avoid; }
.plot { width: 170mm; height: 300px; }
figcaption { font-size: 8.5pt; color: #333; font-weight: bold; }
`;
}
