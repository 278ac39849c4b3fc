import { anchorOf, renderReportHtml } from './html.js';
import type { Paper, ReportModel, ReportSection } from './model.js';
import { namedDestinationPages } from './pdf-pages.js';
import { openPrinter, type PrintOptions } from './pdf.js';

export interface PrintedReport {
  pdf: Buffer;
  /** The HTML that was printed last (with page numbers in its contents when they could be read). */
  html: string;
  pages: number;
  /** Section id → page where it starts; empty when the page numbers could not be read back. */
  sectionPages: Map<string, number>;
}

/** Most printings: the contents' page column has a fixed width, so the second normally settles it. */
const MAX_PASSES = 3;

/**
 * Print the report with page numbers in its table of contents: print, read back where each
 * section landed (named destinations in the PDF), fill the numbers in, print again until they hold.
 * Electron's printToPDF can run the same loop with sectionPagesFromPdf().
 */
export async function printReportPdf(model: ReportModel, options: PrintOptions & { paper?: Paper } = {}): Promise<PrintedReport> {
  const paper = options.paper ?? 'A4';
  // Steps: Chromium's start, then up to MAX_PASSES printings; each says how long it took, so a
  // slow export shows where its time went.
  const total = MAX_PASSES + 1;
  const started = performance.now();
  const seconds = (from: number): string => ((performance.now() - from) / 1000).toFixed(1);
  options.onProgress?.({ done: 0, total, label: 'starting Chromium' });
  const printer = await openPrinter({ ...options, paper, footerTitle: options.footerTitle ?? model.title });
  options.onProgress?.({ done: 1, total, label: `Chromium started in ${seconds(started)} s; laying out pages` });
  try {
    let tocPages = new Map<string, number>();
    let html = renderReportHtml(model, { paper });
    let passStart = performance.now();
    let pdf = await printer.print(html);
    let pass = 1;
    const printed = (): void => options.onProgress?.({ done: 1 + pass, total, label: `printed ${countPages(pdf)} pages in ${seconds(passStart)} s (printing ${pass}: contents page numbers)` });
    printed();
    for (; pass < MAX_PASSES; ) {
      const found = sectionPagesFromPdf(model, pdf);
      if (found.size === 0 || sameMap(found, tocPages)) break;
      tocPages = found;
      html = renderReportHtml(model, { paper, tocPages });
      passStart = performance.now();
      pdf = await printer.print(html);
      pass++;
      printed();
    }
    options.onProgress?.({ done: total, total, label: `printed ${countPages(pdf)} pages in ${seconds(started)} s` });
    return { pdf, html, pages: countPages(pdf), sectionPages: sectionPagesFromPdf(model, pdf) };
  } finally {
    await printer.close();
  }
}

/** Section id → start page, from a PDF of this report's HTML. */
export function sectionPagesFromPdf(model: ReportModel, pdf: Uint8Array): Map<string, number> {
  const byAnchor = namedDestinationPages(pdf);
  const out = new Map<string, number>();
  const walk = (s: ReportSection): void => {
    const page = byAnchor.get(anchorOf(s.id));
    if (page !== undefined) out.set(s.id, page);
    s.children.forEach(walk);
  };
  model.sections.forEach(walk);
  return out;
}

function sameMap(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

function countPages(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length ?? 0;
}
