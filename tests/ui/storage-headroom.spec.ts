import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fitFromDatabase, fitStorageModel, forecastFromDatabase } from '../../engine/storage/index.js';
import { writeSyntheticDb } from '../../engine/storage/testing/synthetic-db.js';
import type { Workspace } from '../../engine/workspace/schema.js';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

const sample = path.join(repoRoot, 'samples', 'storage-probe.headroom.json');

test('Headroom: a saved storage probe shows the capacity the engine fits; an SLA database gives each LUN its capacity, headroom and exhaustion date', async ({ page, workbench }) => {
  await page.setViewportSize({ width: 1500, height: 2600 });
  const workspace = JSON.parse(await readFile(sample, 'utf8')) as Workspace;
  // 30 days of hourly intervals, demand growing 10 IOPS a day on a 1000-IOPS LUN; and a LUN too new to fit.
  const db = path.join(workbench.dir, 'headroom-sla.db');
  const start = Date.UTC(2026, 0, 1);
  writeSyntheticDb({ file: db, start, stepMs: 3_600_000, intervals: 30 * 24, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'growing', capacityIops: 1000, serviceMs: 2, demand: (i) => 400 + (10 * i) / 24 }] });
  writeSyntheticDb({ file: db, start: start + 31 * 86_400_000, stepMs: 10_000, intervals: 5, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'new', capacityIops: 1000, serviceMs: 2, demand: () => 500 }] });
  const file = path.join(workbench.dir, 'storage.headroom.json');
  await writeFile(file, JSON.stringify({ ...workspace, sla: { dbFile: db } }, null, 2));

  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-headroom').click();
  const view = page.getByTestId('headroom-view');

  // The probe: the capacity the engine fits from the saved steps (nbdkit's rate filter at 488 IOPS of 4 KiB).
  const probe = workspace.storageProbes![0]!;
  const model = fitStorageModel(probe.result.steps, probe.result.blockBytes);
  if (!model.fitted) throw new Error(`the sample's probe does not fit: ${model.reason}`);
  const panel = view.getByTestId(`headroom-probe-${probe.id}`);
  await expect(panel.getByTestId('probe-capacity')).toHaveText(model.capacityIops.value.toFixed(1));
  await expect(panel.getByTestId(`chart-probe-latency-${probe.id}`).locator('.scatterlayer .trace')).toHaveCount(2);

  // Each LUN: capacity and exhaustion date as the engine computes them; the one it cannot fit says why.
  const [fit] = fitFromDatabase(db, { lun: 'growing' });
  const [forecast] = forecastFromDatabase(db, { lun: 'growing' });
  if (!fit!.model.fitted || !forecast!.demand.fitted || !forecast!.exhaustion?.at) throw new Error('expected the growing LUN to fit and run out');
  const row = view.getByTestId('lun-row-growing');
  await expect(row.getByTestId('lun-capacity')).toHaveText(fit!.model.capacityIops.value.toFixed(0));
  await expect(row).toContainText(`${((fit!.model.capacityIops.value / forecast!.demand.currentIops.value - 1) * 100).toFixed(1)}%`);
  await expect(row).toContainText(new Date(forecast!.exhaustion.at).toISOString().slice(0, 10));
  await expect(view.getByTestId('lun-new').getByTestId('lun-problem').first()).toContainText('no capacity fitted: needs at least 12 active intervals');
  // Latency against load: measured and model; demand: stored points, band (two edges), trend and capacity line.
  await expect(view.getByTestId('chart-lun-latency-growing').locator('.scatterlayer .trace')).toHaveCount(2);
  await expect(view.getByTestId('chart-lun-trend-growing').locator('.scatterlayer .trace')).toHaveCount(5);
  await page.screenshot({ path: path.join(screenshotDir, 'storage-headroom.png'), fullPage: true });
});

test('Headroom: with no probe and no SLA database, the view says what to do', async ({ page, workbench }) => {
  const file = path.join(workbench.dir, 'empty.headroom.json');
  await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), 'utf8')), name: 'No storage yet' }, null, 2));
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-headroom').click();
  const empty = page.getByTestId('headroom-empty');
  await expect(empty).toContainText('headroom storage probe');
  await expect(empty).toContainText(`--save ${file}`);
  await expect(empty).toContainText('SLA database');
  await empty.screenshot({ path: path.join(screenshotDir, 'storage-headroom-empty.png') });
});
