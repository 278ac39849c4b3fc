import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fitFromDatabase } from '../../engine/storage/index.js';
import { writeGrowingClassesDb } from '../../engine/storage/testing/class-db.js';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

test('Headroom: each LUN of an SLA database shows headroom per class, with each class\'s target on the load–latency chart', async ({ page, workbench }) => {
  await page.setViewportSize({ width: 1500, height: 2000 });
  // Gold (p99 ≤ 20 ms), silver (p95 ≤ 10 ms) and bronze (no target) on one LUN, the policy stored in the database.
  const db = path.join(workbench.dir, 'classes-sla.db');
  writeGrowingClassesDb(db, Date.UTC(2026, 0, 1));
  const base = JSON.parse(await readFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), 'utf8')) as Record<string, unknown>;
  const file = path.join(workbench.dir, 'classes.headroom.json');
  await writeFile(file, JSON.stringify({ ...base, name: 'Classes on one LUN', sla: { dbFile: db } }, null, 2));

  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-headroom').click();
  const view = page.getByTestId('headroom-view');
  const table = view.getByTestId('lun-classes-lun0');
  await expect(table).toContainText('three-classes version 1');

  // The figures the engine computes for each class, as the CLI's storage fit --db prints them.
  const [lun] = fitFromDatabase(db, { lun: 'lun0' });
  for (const name of ['gold', 'silver']) {
    const c = lun!.classes.find((x) => x.className === name)!;
    if ('fitted' in c.headroom || !c.exhaustion?.at) throw new Error(`expected ${name} to fit and run out`);
    const row = table.getByTestId(`class-row-${name}`);
    await expect(row.getByTestId('class-load-at-target')).toHaveText(c.headroom.loadAtTargetIops.value.toFixed(0));
    await expect(row.getByTestId('class-headroom-percent')).toContainText(`${c.headroom.headroomPercent.value.toFixed(1)}%`);
    await expect(row.getByTestId('class-runs-out')).toHaveText(new Date(c.exhaustion.at).toISOString().slice(0, 10));
    await expect(row.getByTestId('class-protection')).toContainText(c.verdict!);
  }
  await expect(table.getByTestId('class-row-bronze').getByTestId('class-no-headroom')).toContainText('class "bronze" has no latency target');
  await expect(table.getByTestId('class-row-bronze').getByTestId('class-protection')).toContainText('keeps its');
  await expect(table.getByTestId('class-protection-summary')).toContainText('no throttling needed');

  // Load–latency: measured, the LUN's fit, and per class with a target its measured percentile, its target line and its own fit.
  const latency = view.getByTestId('chart-lun-latency-lun0');
  await expect(latency.locator('.scatterlayer .trace')).toHaveCount(8);
  await expect(latency.locator('.legend')).toContainText('gold target: p99 ≤ 20 ms');
  await expect(latency.locator('.legend')).toContainText('silver target: p95 ≤ 10 ms');
  // Demand: stored, band (two edges), trend, capacity, and the load at each class's target.
  const trend = view.getByTestId('chart-lun-trend-lun0');
  await expect(trend.locator('.scatterlayer .trace')).toHaveCount(7);
  await expect(trend.locator('.legend')).toContainText('gold: p99 target reached');
  await view.getByTestId('lun-lun0').scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/class-headroom.png', fullPage: true });
  await page.screenshot({ path: path.join(screenshotDir, 'storage-class-headroom.png'), fullPage: true });
});
