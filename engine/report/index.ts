export {
  papers, allTables,
  type ReportModel, type ReportSection, type ReportTable, type TableColumn, type Cell, type ChartSpec, type ChartSeries,
  type Parameter, type Provenance, type MachineDescription, type Paper,
} from './model.js';
export { ReportError, NoChromiumError } from './errors.js';
export { buildReport, reportItems, type BuildOptions, type ReportProgress, type WorkspaceInMemory } from './build.js';
export { renderReportHtml, formatCell, anchorOf, type HtmlOptions } from './html.js';
export { printPdf, openPrinter, findChromium, printSettings, type PrintOptions, type Printer } from './pdf.js';
export { printReportPdf, sectionPagesFromPdf, type PrintedReport } from './print-report.js';
export { namedDestinationPages } from './pdf-pages.js';
export { writeCsvTables, tableCsv, csvFileName, type WrittenCsv } from './csv.js';
export { sectionBuilders, type SectionBuilder, type ReportItem, type BuildContext } from './sections/index.js';
export { checkReportOutput } from './output-guard.js';
