import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fitStorageModel, readStoredProbes } from '../../engine/storage/index.js';
import { ratedLun } from '../../engine/storage/testing/rated-lun.js';
import { writeSyntheticDb } from '../../engine/storage/testing/synthetic-db.js';
import type { Workspace } from '../../engine/workspace/schema.js';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

test('Headroom: a LUN probed from the view through a real gateway, with progress and cancel; each probe joins the workspace and its SLA database', async ({ page, workbench }) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1500, height: 2000 });
  // nbdkit behind the rate filter (16 Mbit/s: 488 IOPS of 4 KiB) behind a Headroom gateway, in this process; the engine's fio dials it.
  const lun = await ratedLun(16_000_000);
  try {
    const workspace = JSON.parse(await readFile(path.join(repoRoot, 'samples', 'storage-probe.headroom.json'), 'utf8')) as Workspace;
    const db = path.join(workbench.dir, 'probe-view-sla.db');
    writeSyntheticDb({ file: db, start: Date.UTC(2026, 0, 1), stepMs: 3_600_000, intervals: 30 * 24, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'growing', capacityIops: 1000, serviceMs: 2, demand: (i) => 400 + (10 * i) / 24 }] });
    const file = path.join(workbench.dir, 'probe-view.headroom.json');
    await writeFile(file, JSON.stringify({ ...workspace, sla: { dbFile: db } }, null, 2));
    await openStudy(page, workbench.url, file);
    await page.getByTestId('explorer-headroom').click();
    const form = page.getByTestId('storage-probe-form');
    await expect(form.getByTestId('storage-probe-db-note')).toContainText(db);

    // Refused in place: a URI naming no export, and an export the gateway does not have.
    await form.getByTestId('storage-probe-uri').fill(`nbd://127.0.0.1:${lun.port}`);
    await form.getByTestId('storage-probe-run').click();
    await expect(form.getByTestId('storage-probe-error')).toContainText('names no export');
    await form.getByTestId('storage-probe-uri').fill(`nbd://127.0.0.1:${lun.port}/probe/nosuch`);
    await form.getByTestId('storage-probe-seconds').fill('7');
    await form.getByTestId('storage-probe-run').click();
    await expect(form.getByTestId('storage-probe-error')).toContainText(/fio against .*nosuch failed/, { timeout: 30_000 });

    // A longer probe, cancelled once its first step (iodepth 32) has finished: that step is kept.
    await form.getByTestId('storage-probe-uri').fill(lun.uri);
    await form.getByTestId('storage-probe-seconds').fill('21');
    await form.getByTestId('storage-probe-run').click();
    const progress = form.getByTestId('storage-probe-progress');
    await expect(progress).toContainText('0 / 7 steps: warm-up');
    await form.screenshot({ path: '/tmp/probe-view-progress.png' });
    await expect(progress.locator('progress')).toHaveAttribute('max', '7');
    await expect(progress).toContainText('2 / 7 steps: iodepth 16', { timeout: 30_000 });
    await form.getByTestId('storage-probe-cancel').click();
    await expect(form.getByTestId('storage-probe-outcome')).toContainText('Cancelled after 1 finished step, kept');
    await expect(form.getByTestId('storage-probe-id')).toHaveText('storage-1');
    await expect(page.getByTestId('document-state')).toHaveText('● Unsaved changes');
    await expect(page.getByTestId('headroom-probe-storage-1')).toContainText('(cancelled before the last step)');

    // A whole probe: its panel shows the capacity fitted from its steps.
    await form.getByTestId('storage-probe-seconds').fill('7');
    await form.getByTestId('storage-probe-run').click();
    await expect(progress).toBeVisible();
    await expect(form.getByTestId('storage-probe-outcome')).toContainText('Probed', { timeout: 60_000 });
    await expect(form.getByTestId('storage-probe-outcome')).toContainText(`Stored in the SLA database ${db} as probe 2`);
    await expect(form.getByTestId('storage-probe-id')).toHaveText('storage-3');
    const panel = page.getByTestId('headroom-probe-storage-3');
    await expect(panel.getByTestId(`chart-probe-latency-storage-3`).locator('.scatterlayer .trace')).toHaveCount(2);
    await page.screenshot({ path: '/tmp/probe-view.png' });
    await form.screenshot({ path: path.join(screenshotDir, 'storage-probe-form.png') });
    // The outcome names the new probe; clicking it brings its panel up.
    await form.getByTestId('storage-probe-id').click();
    await expect(panel).toBeInViewport();
    await panel.screenshot({ path: path.join(screenshotDir, 'storage-probe-panel.png') });

    // Saved with the workspace, as the CLI's --save adds it; the same steps are in the SLA database.
    await page.keyboard.press('Control+s');
    await expect(page.getByTestId('document-state')).toHaveText('Saved');
    const saved = JSON.parse(await readFile(file, 'utf8')) as Workspace;
    expect(saved.storageProbes!.map((p) => p.id)).toEqual(['storage-2', 'storage-1', 'storage-3']);
    const added = saved.storageProbes![2]!.result;
    expect(added.complete).toBe(true);
    expect(added.steps.map((s) => s.iodepth)).toEqual([1, 2, 4, 8, 16, 32]);
    expect(readStoredProbes(db).map((p) => p.result)).toEqual([saved.storageProbes![1]!.result, added]);
    const model = fitStorageModel(added.steps, added.blockBytes);
    if (model.fitted) await expect(panel.getByTestId('probe-capacity')).toHaveText(model.capacityIops.value.toFixed(1));
    else await expect(panel.getByTestId('probe-refusal')).toContainText(model.reason);
  } finally {
    await lun.close();
  }
});
