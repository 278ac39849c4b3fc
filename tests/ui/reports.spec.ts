import { execFileSync } from 'node:child_process';
import { copyFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

test('Reports: choose sections, preview, and export PDF and CSV from browser mode', async ({ page, workbench }) => {
  test.setTimeout(120_000);
  const file = path.join(workbench.dir, 'report.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await openStudy(page, workbench.url, file);

  // File > Export… leads to the Reports view.
  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-export').click();
  const view = page.getByTestId('reports-view');
  await expect(view).toBeVisible();
  await view.getByTestId('report-preview').click();
  const preview = view.getByTestId('report-preview-body');
  await expect(preview).toContainText('Q3 storage and compute headroom');
  await expect(preview).toContainText('29.0');

  const pdf = path.join(workbench.dir, 'out', 'study.pdf');
  const csv = path.join(workbench.dir, 'out', 'csv');
  await execFileSync('mkdir', ['-p', path.dirname(pdf)]);
  await view.getByTestId('report-pdf').fill(pdf);
  await view.getByTestId('report-csv').fill(csv);
  await view.getByTestId('report-export').click();
  await expect(view.getByTestId('report-result')).toContainText('PDF:', { timeout: 90_000 });
  await view.screenshot({ path: path.join(screenshotDir, 'reports.png') });

  const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
  expect(text).toContain('Q3 storage and compute headroom');
  for (const cpi of ['4.7', '5.0', '5.9', '7.4', '9.5', '12.2', '15.5', '19.4', '23.9', '29.0']) expect(text).toContain(cpi);
  const files = await readdir(csv);
  expect(files).toContain('provenance.csv');
  expect(files).toContain('smp-analytic-no-io.csv');
  const rows = parse(await readFile(path.join(csv, 'smp-analytic-no-io.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
  expect(rows).toHaveLength(10);
  // Units are in the column names; the CSV keeps full precision, which rounds to Table 2.
  expect(rows.map((r) => Number(Number(r.cpi_cycles).toFixed(1)))).toEqual([4.7, 5.0, 5.9, 7.4, 9.5, 12.2, 15.5, 19.4, 23.9, 29.0]);
});
