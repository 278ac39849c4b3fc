import type { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import type { Paper } from '../../report/index.js';
import { interruptSignal, terminalProgress } from '../progress.js';
import { benchCommand } from './bench.js';

interface ReportOptions {
  pdf?: string;
  csv?: string;
  html?: string;
  only?: string[];
  paper: string;
  chromium?: string;
}

function parsePaper(text: string): Paper {
  const p = text.toLowerCase();
  if (p === 'a4') return 'A4';
  if (p === 'letter') return 'Letter';
  throw new Error(`--paper must be a4 or letter (got "${text}")`);
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];

export function registerReport(program: Command): void {
  registerReportBench(program);
  program
    .command('report <workspace>')
    .description('write a report of a workspace: PDF (title page, contents, charts, tables), CSV tables, or the HTML')
    .option('--pdf <out.pdf>', 'write the PDF here (printed by Chromium; without one, writes the HTML instead and exits 2)')
    .option('--csv <dir>', 'write one RFC 4180 CSV per table into this folder, with provenance.csv and README.txt')
    .option('--html <out.html>', 'write the self-contained HTML page (what the PDF is printed from)')
    .option('--only <names>', 'limit the report (comma-separated, repeatable); run without outputs to list the names', collect)
    .option('--paper <size>', 'a4 | letter', 'a4')
    .option('--chromium <path>', 'Chromium or Chrome to print with (default: CHROMIUM, else /usr/bin/chromium and other usual places)')
    .addHelpText('after', `
Names accepted by --only:
  a section kind          notes, smp, messaging
  an item, qualified      smp.analytic, smp.scenario.<id>, smp.sweep.<id>, smp.usl.<id>, messaging.study.<id>
  an item by its bare id  figure-7 (every item with that id)

Without --pdf, --csv or --html, lists what the workspace can report.
A report never writes over the workspace file.`)
    .action(async (workspace: string, opts: ReportOptions) => {
      // Loaded here, not at start: the report engine and Chromium's driver would slow every other command.
      const { buildReport, checkReportOutput, reportItems, NoChromiumError, printPdf, printReportPdf, renderReportHtml, writeCsvTables } = await import('../../report/index.js');
      const { openWorkspace } = await import('../../workspace/index.js');
      const paper = parsePaper(opts.paper);
      const signal = interruptSignal();
      const workspacePath = path.resolve(workspace);
      const pdfPath = opts.pdf === undefined ? undefined : checkReportOutput(opts.pdf, workspacePath, 'PDF');
      const htmlPath = opts.html === undefined ? undefined : checkReportOutput(opts.html, workspacePath, 'HTML');
      const csvDir = opts.csv === undefined ? undefined : checkReportOutput(opts.csv, workspacePath, 'CSV folder');
      if (!pdfPath && !htmlPath && !csvDir) {
        const { workspace: ws } = await openWorkspace(workspacePath);
        for (const kind of reportItems(ws)) {
          process.stdout.write(`${kind.kind}  ${kind.title}\n`);
          for (const item of kind.items) if (item.name !== kind.kind) process.stdout.write(`  ${item.name}  ${item.title}\n`);
        }
        process.stderr.write('nothing written: give --pdf, --csv or --html\n');
        return;
      }
      const progress = terminalProgress('report');
      let model;
      try {
        model = await buildReport(workspacePath, {
          ...(opts.only ? { only: opts.only } : {}),
          signal,
          onProgress: (p) => progress.update(p.done, p.total, p.label),
        });
      } finally {
        progress.stop();
      }
      if (csvDir) {
        const written = await writeCsvTables(model, csvDir);
        process.stdout.write(`wrote ${written.files.length} files to ${written.dir}\n`);
      }
      if (pdfPath) {
        const printing = terminalProgress('pdf');
        try {
          const printed = await printReportPdf(model, { paper, signal, onProgress: (p) => printing.update(p.done, p.total, p.label), ...(opts.chromium ? { chromiumPath: opts.chromium } : {}) }).finally(() => printing.stop());
          await writeFile(pdfPath, printed.pdf);
          process.stdout.write(`wrote ${pdfPath} (${printed.pages} pages, ${paper})\n`);
          if (htmlPath) {
            await writeFile(htmlPath, printed.html, 'utf8');
            process.stdout.write(`wrote ${htmlPath}\n`);
          }
          return;
        } catch (err) {
          if (!(err instanceof NoChromiumError)) throw err;
          const fallback = htmlPath ?? checkReportOutput(pdfPath.replace(/\.pdf$/i, '') + '.html', workspacePath, 'HTML');
          await writeFile(fallback, renderReportHtml(model, { paper }), 'utf8');
          process.stderr.write(`headroom: ${err.message}\nno Chromium found; wrote the HTML instead: ${fallback} (open it in a browser and print to PDF)\n`);
          process.exitCode = 2;
          return;
        }
      }
      if (htmlPath) {
        await writeFile(htmlPath, renderReportHtml(model, { paper }), 'utf8');
        process.stdout.write(`wrote ${htmlPath}\n`);
      }
    });
}

/** `bench report`: how long each stage of a report takes on this machine (JSON; never a test). */
function registerReportBench(program: Command): void {
  benchCommand(program)
    .command('report [workspace]')
    .description('time building, rendering and printing a report (default: the sample workspace); prints JSON')
    .option('--paper <size>', 'a4 | letter', 'a4')
    .action(async (workspace: string | undefined, opts: { paper: string }) => {
      const { buildReport, printPdf, printReportPdf, renderReportHtml } = await import('../../report/index.js');
      const { samplesDir } = await import('../../runtime/index.js');
      const paper = parsePaper(opts.paper);
      const file = path.resolve(workspace ?? path.join(samplesDir(), 'capacity-study.headroom.json'));
      const t0 = performance.now();
      const model = await buildReport(file);
      const t1 = performance.now();
      const html = renderReportHtml(model, { paper });
      const t2 = performance.now();
      const single = await printPdf(html, { paper });
      const t3 = performance.now();
      const printed = await printReportPdf(model, { paper });
      const t4 = performance.now();
      const ms = (v: number): number => Math.round(v * 10) / 10;
      process.stdout.write(JSON.stringify({
        workspace: file, paper, pages: printed.pages, htmlBytes: Buffer.byteLength(html), pdfBytes: printed.pdf.length,
        buildMs: ms(t1 - t0), renderHtmlMs: ms(t2 - t1), printOnceMs: ms(t3 - t2), printWithPageNumbersMs: ms(t4 - t3),
        pageNumberedVsOnce: Math.round(((t4 - t3) / (t3 - t2)) * 100) / 100, singlePassPdfBytes: single.length,
      }, null, 2) + '\n');
    });
}
