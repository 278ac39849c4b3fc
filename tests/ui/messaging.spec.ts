import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

test('Messaging: measure thread pair against thread per agent, chart it, fit USL, size shards, save', async ({ page, workbench }) => {
  test.setTimeout(240_000);
  await page.setViewportSize({ width: 1500, height: 2600 });
  const file = path.join(workbench.dir, 'messaging.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-messaging').click();
  const view = page.getByTestId('messaging-view');

  // A measurement can be cancelled while it runs.
  await view.getByTestId('messaging-gateways').fill('50,100');
  await view.getByTestId('messaging-interval').fill('1000');
  await view.getByTestId('messaging-cycles').fill('20');
  await view.getByTestId('messaging-run').click();
  await expect(view.getByTestId('messaging-progress')).toBeVisible();
  await view.getByTestId('messaging-cancel').click();
  await expect(view.getByText(/cancelled/)).toBeVisible({ timeout: 30_000 });

  // Six gateway counts give each architecture enough points for a USL fit.
  await view.getByTestId('messaging-gateways').fill('2,4,6,8,10,12');
  await view.getByTestId('messaging-interval').fill('200');
  await view.getByTestId('messaging-cycles').fill('3');
  await view.getByTestId('messaging-run').click();
  await expect(view.getByTestId('messaging-results')).toBeVisible({ timeout: 180_000 });
  await expect(view.getByTestId('messaging-table').locator('tbody tr')).toHaveCount(12);
  for (const chart of ['chart-cycle', 'chart-throughput', 'chart-memory', 'chart-threads', 'chart-model']) {
    await expect(view.getByTestId(chart).locator('.main-svg').first()).toBeVisible();
  }
  await expect(view.getByTestId('messaging-sizing').locator('tbody tr')).toHaveCount(6);
  await expect(view.getByTestId('messaging-usl')).toContainText('thread pair');
  // The figures carry the machine that measured them.
  await expect(view.getByTestId('messaging-machine')).toContainText(/GiB, .*Node\.js v\d+/);
  // The TCP floor (on by default) is drawn with the cycle times and compared in the summary.
  await expect(view.getByTestId('chart-cycle')).toContainText('TCP floor p50');
  await expect(view.getByTestId('messaging-floor-summary')).toContainText(/At 12 gateways the TCP floor is [\d.]+ ms p50/);
  await view.screenshot({ path: path.join(screenshotDir, 'messaging.png') });

  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('document-state')).toHaveText('Saved');
  const saved = JSON.parse(await readFile(file, 'utf8')) as { messaging: { studies: Array<{ result: { rows: Array<{ arch: string; threads: number; gateways: number }>; floor: Array<{ gateways: number }> } }> } };
  const rows = saved.messaging.studies[0]!.result.rows;
  expect(saved.messaging.studies[0]!.result.floor.map((f) => f.gateways)).toEqual([2, 4, 6, 8, 10, 12]);
  expect(rows).toHaveLength(12);
  // The per-agent baseline runs a thread per gateway; the pair daemon does not grow with gateways.
  const perAgent12 = rows.find((r) => r.arch === 'per-agent' && r.gateways === 12)!;
  const pair12 = rows.find((r) => r.arch === 'pair' && r.gateways === 12)!;
  expect(perAgent12.threads).toBe(12);
  expect(pair12.threads).toBeLessThanOrEqual(2);
});
