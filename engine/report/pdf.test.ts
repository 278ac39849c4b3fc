import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { serializeWorkspace } from '../workspace/index.js';
import { registerReport } from '../cli/commands/report.js';
import { buildReport, findChromium, NoChromiumError, printPdf, printReportPdf, renderReportHtml } from './index.js';
import { richWorkspace, samplePath, sampleWorkspace } from './testing/fixtures.js';

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'headroom-pdf-'));
const pdftotext = (file: string, page?: number): string =>
  execFileSync('pdftotext', [...(page ? ['-f', String(page), '-l', String(page)] : []), '-layout', file, '-'], { encoding: 'utf8' });
const pageSize = (file: string): string => /Page size:\s+([\d.]+ x [\d.]+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]!;

/** Heights of the words pdftotext finds, per page, in points. */
function wordHeightsByPage(file: string): number[][] {
  const xml = execFileSync('pdftotext', ['-bbox', file, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return xml.split('<page ').slice(1).map((page) =>
    [...page.matchAll(/yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"/g)].map((m) => Number(m[2]) - Number(m[1])));
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

let chromium: string | null;
try { chromium = findChromium(); } catch { chromium = null; }

describe.skipIf(chromium === null)('PDF through Chromium', () => {
  it('prints the sample workspace on A4 with titles, Table 2, page-numbered contents and every page renderable', async () => {
    const model = await buildReport(samplePath);
    const printed = await printReportPdf(model, { paper: 'A4' });
    const dir = await tempDir();
    const file = path.join(dir, 'report.pdf');
    await writeFile(file, printed.pdf);
    expect(pageSize(file)).toMatch(/^59[45]\.\d+ x 84[12]\.\d+$/);
    const text = pdftotext(file);
    for (const title of ['Contents', 'Provenance', 'SMP bus and AutoPilot dispatch', 'Analytic bus model', 'Scenario: Figure 7', 'Standard dispatcher vs AutoPilot', 'USL fit: Analytics cluster']) {
      expect(text).toContain(title);
    }
    expect(text).toContain(model.provenance.workspaceSha256);
    // Table 2's CPI row, as printed in the analytic table (one row per CPU count).
    const analyticPage = printed.sectionPages.get('smp.analytic')!;
    const analyticText = pdftotext(file, analyticPage) + pdftotext(file, analyticPage + 1);
    const table2 = /without I\/O \(the document's Table 2\)([\s\S]*?)Table \d+:/.exec(analyticText)![1]!;
    const cpiColumn = table2.split('\n').map((line) => line.trim().split(/\s+/)).filter((cells) => cells.length === 10 && /^\d+$/.test(cells[0]!)).map((cells) => cells[5]);
    expect(cpiColumn).toEqual(['4.7', '5.0', '5.9', '7.4', '9.5', '12.2', '15.5', '19.4', '23.9', '29.0']);
    // The contents' page numbers point at the pages where the sections start.
    expect(printed.sectionPages.size).toBeGreaterThanOrEqual(5);
    const contents = pdftotext(file, 2);
    for (const [id, page] of printed.sectionPages) {
      const section = [...model.sections, ...model.sections.flatMap((s) => s.children)].find((s) => s.id === id);
      if (!section) continue;
      expect(pdftotext(file, page)).toContain(section.title.slice(0, 40));
      expect(contents).toMatch(new RegExp(`${section.title.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\\s${page}\\n`));
    }
    // Footer page numbers.
    expect(pdftotext(file, 3)).toMatch(new RegExp(`page 3 of ${printed.pages}`));
    // Charts are vector paths in the page, not images: pdftotext finds their axis titles.
    expect(text).toContain('efficiency (%)');
    execFileSync('pdftoppm', ['-png', '-r', '50', file, path.join(dir, 'page')]);
    expect((await readdir(dir)).filter((f) => f.endsWith('.png'))).toHaveLength(printed.pages);
  });

  it('prints every section kind on Letter, heatmaps and messaging charts included', async () => {
    const model = await buildReport({ workspace: await richWorkspace() });
    const dir = await tempDir();
    const file = path.join(dir, 'rich.pdf');
    await writeFile(file, await printPdf(renderReportHtml(model, { paper: 'Letter' }), { paper: 'Letter' }));
    expect(pageSize(file)).toBe('612 x 792');
    const text = pdftotext(file);
    for (const title of ['Sweep: AutoPilot threshold against I/O load', 'Study: Daemon against 10 to 1,000 gateways', 'Sizing: thread pairs', 'Batching: concatenated writes', 'has not been run']) {
      expect(text).toContain(title);
    }
    expect(text).toContain('cycle p99 (ms)');
    expect(text).toContain('RSS (MB)');
  });

  it('prints a report with a wide sweep table at full size on every page, the table split into parts', async () => {
    const model = await buildReport({ workspace: await richWorkspace() });
    const printed = await printReportPdf(model, { paper: 'A4' });
    const dir = await tempDir();
    const file = path.join(dir, 'sweep.pdf');
    await writeFile(file, printed.pdf);
    const heights = wordHeightsByPage(file);
    expect(heights).toHaveLength(printed.pages);
    // Table text is 8 pt (word boxes about 9.3 pt tall) and body text 9.5 pt; a page Chromium
    // shrinks to fit a wide table comes out near 6 pt.
    heights.forEach((h, i) => expect(median(h), `page ${i + 1}`).toBeGreaterThan(8.5));
    const text = pdftotext(file);
    expect(text).toMatch(/Sweep results \(part 1 of [2-9]\)/);
  });

  it('the CLI writes PDF, CSV and HTML, and refuses to write over the workspace', async () => {
    const dir = await tempDir();
    const ws = path.join(dir, 'study.headroom.json');
    const original = serializeWorkspace(sampleWorkspace());
    await writeFile(ws, original);
    const run = async (...args: string[]): Promise<void> => {
      const program = new Command().exitOverride();
      registerReport(program);
      await program.parseAsync(['node', 'headroom', 'report', ws, ...args]);
    };
    await expect(run('--pdf', ws)).rejects.toThrow(/refusing to write the PDF over a workspace/);
    await run('--pdf', path.join(dir, 'out.pdf'), '--csv', path.join(dir, 'csv'), '--html', path.join(dir, 'out.html'), '--only', 'smp.analytic', '--paper', 'letter');
    expect(pageSize(path.join(dir, 'out.pdf'))).toBe('612 x 792');
    expect(await readdir(path.join(dir, 'csv'))).toEqual(['README.txt', 'provenance.csv', 'smp-analytic-io.csv', 'smp-analytic-no-io.csv']);
    expect(await readFile(path.join(dir, 'out.html'), 'utf8')).toContain('window.__reportReady');
    expect(await readFile(ws, 'utf8')).toBe(original);
  });
});

describe('without Chromium', () => {
  it('says so with a clear error, and the CLI writes the HTML instead', async () => {
    expect(() => findChromium('/nonexistent/chromium')).toThrow(NoChromiumError);
    expect(() => findChromium(undefined, { CHROMIUM: '/nonexistent/chrome' })).toThrow(/no Chromium found .*\/nonexistent\/chrome/);
    const dir = await tempDir();
    const program = new Command().exitOverride();
    registerReport(program);
    let exitCode: typeof process.exitCode;
    try {
      await program.parseAsync(['node', 'headroom', 'report', samplePath, '--pdf', path.join(dir, 'out.pdf'), '--only', 'notes', '--chromium', '/nonexistent/chromium']);
    } finally {
      exitCode = process.exitCode;
      process.exitCode = 0;
    }
    expect(exitCode).toBe(2);
    expect(await readdir(dir)).toEqual(['out.html']);
    expect(await readFile(path.join(dir, 'out.html'), 'utf8')).toContain('Study notes');
  });
});
