import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

test('What-if: a short bus probe from the view, measurement and model on one chart with the error, kept in the workspace', async ({ page, workbench }) => {
  await page.setViewportSize({ width: 1500, height: 2400 });
  const file = path.join(workbench.dir, 'probe.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-whatif').click();
  const section = page.getByTestId('whatif-probe');
  await expect(section).toContainText('No probe yet');

  // A long probe is cancelled from the view and leaves nothing behind.
  await section.getByTestId('probe-seconds').fill('300');
  await section.getByTestId('probe-run').click();
  await expect(section.getByTestId('probe-progress')).toBeVisible();
  await section.getByTestId('probe-cancel').click();
  await expect(section.getByTestId('probe-run')).toBeVisible();
  await expect(section.getByTestId('probe-results')).toHaveCount(0);

  // A short one runs to the end.
  await section.getByTestId('probe-threads').fill('2');
  await section.getByTestId('probe-seconds').fill('2');
  await section.getByTestId('probe-run').click();
  await expect(section.getByTestId('probe-results')).toBeVisible({ timeout: 60_000 });
  const chart = section.getByTestId('chart-probe');
  // Measured points (one curve for 2 threads), the idle point, the model line, the measured peak, and the error bars.
  await expect(chart.locator('.scatterlayer .trace')).toHaveCount(4);
  await expect(chart.locator('.barlayer .trace')).toHaveCount(1);
  await expect(section.getByTestId('probe-summary')).toContainText('Idle latency');
  await expect(section.getByTestId('probe-errors').locator('tbody tr')).toHaveCount(8);
  await section.screenshot({ path: path.join(screenshotDir, 'whatif-probe.png') });

  // Saved with the workspace: the machine and the curve.
  await page.keyboard.press('Control+s');
  await expect.poll(async () => JSON.parse(await readFile(file, 'utf8')).busProbes?.length ?? 0, { timeout: 10_000 }).toBe(1);
  const saved = JSON.parse(await readFile(file, 'utf8')) as { busProbes: Array<{ id: string; result: { machine: { cpus: number }; curves: unknown[] } }> };
  expect(saved.busProbes[0]!.id).toBe('probe-1');
  expect(saved.busProbes[0]!.result.curves).toHaveLength(1);
});
