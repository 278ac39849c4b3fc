import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { NoChromiumError, ReportError, throwIfAborted } from './errors.js';
import type { Paper } from './model.js';

export interface PrintOptions {
  paper?: Paper;
  /** A Chromium or Chrome binary; else CHROMIUM, else the usual install places. */
  chromiumPath?: string;
  signal?: AbortSignal;
  /** Printed in the footer beside the page number. */
  footerTitle?: string;
  /** Longest wait for the page's charts, in ms. */
  renderTimeoutMs?: number;
  /** Called as printing moves on: Chromium started, each printing with its page count. */
  onProgress?: (progress: { done: number; total: number; label: string }) => void;
}

const candidates: readonly string[] = [
  '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe', 'C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe',
];

/**
 * The Chromium to print with. An explicit path or CHROMIUM is used as given (a wrong one is an
 * error, not a silent fallback to another browser); otherwise the first usual install place that exists.
 */
export function findChromium(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit ?? env.CHROMIUM;
  if (chosen !== undefined && chosen !== '') {
    if (existsSync(chosen)) return chosen;
    throw new NoChromiumError([chosen]);
  }
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new NoChromiumError(candidates);
  return found;
}

import { printSettings } from './print-settings.js';

export { printSettings };

export const chromiumArgs: readonly string[] = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** A Chromium session that can print several pages (the report prints twice to number its contents). */
export interface Printer {
  print(html: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function openPrinter(options: PrintOptions = {}): Promise<Printer> {
  const executablePath = findChromium(options.chromiumPath);
  throwIfAborted(options.signal);
  let browser: Browser;
  try {
    // Loaded on first print: playwright-core costs about 85 MB, which every other command (the
    // daemon, the gateway, the fleet) would otherwise carry for nothing.
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath, args: [...chromiumArgs] });
  } catch (err) {
    throw new ReportError(`${executablePath}: could not start Chromium (${firstLine(err)})`, 'print');
  }
  const onAbort = (): void => { void browser.close(); };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const paper = options.paper ?? 'A4';
  const settings = printSettings(paper, options.footerTitle);
  return {
    async print(html) {
      throwIfAborted(options.signal);
      const page = await browser.newPage({ viewport: { width: 794, height: 1123 } });
      try {
        await page.setContent(html, { waitUntil: 'load' });
        await page.waitForFunction('window.__reportReady === true', undefined, { timeout: options.renderTimeoutMs ?? 60_000 });
        const chartError = (await page.evaluate('window.__reportError ?? null')) as string | null;
        if (chartError !== null) throw new ReportError(`a chart did not render: ${chartError}`, 'print');
        return await page.pdf({
          format: paper,
          printBackground: settings.printBackground,
          displayHeaderFooter: settings.displayHeaderFooter,
          headerTemplate: settings.headerTemplate,
          footerTemplate: settings.footerTemplate,
          preferCSSPageSize: settings.preferCSSPageSize,
          outline: true,
          tagged: true,
        });
      } catch (err) {
        throwIfAborted(options.signal);
        if (err instanceof ReportError) throw err;
        throw new ReportError(`printing failed: ${firstLine(err)}`, 'print');
      } finally {
        await page.close().catch(() => undefined);
      }
    },
    async close() {
      options.signal?.removeEventListener('abort', onAbort);
      await browser.close();
    },
  };
}

/** Print one self-contained HTML page to PDF with Chromium. Throws NoChromiumError when there is none. */
export async function printPdf(html: string, options: PrintOptions = {}): Promise<Buffer> {
  const printer = await openPrinter(options);
  try {
    return await printer.print(html);
  } finally {
    await printer.close();
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
