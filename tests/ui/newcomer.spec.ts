import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

test('Monitor: Demo storage starts real storage, a gateway and fio inside the engine, and Stop ends it all', async ({ page, workbench }) => {
  const file = path.join(workbench.dir, 'demo.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-monitor').click();
  const view = page.getByTestId('monitor-view');
  await view.getByTestId('monitor-demo').click();
  // nbdkit and fio are test tools here, so the demo runs the real pieces, not the simulated fleet.
  await expect(view.getByTestId('monitor-demo-info')).toContainText('nbdkit', { timeout: 30_000 });
  await expect(view.getByTestId('monitor-gateways')).toContainText('gw1', { timeout: 30_000 });
  await expect(view.getByTestId('monitor-gateways')).toContainText(/gold.*bronze|bronze.*gold/, { timeout: 30_000 });
  // The gold/bronze policy reacts to bronze's load: a throttle action appears in the feed or the timeline.
  await expect(view).toContainText(/cap|throttle/i, { timeout: 45_000 });
  await view.screenshot({ path: path.join(screenshotDir, 'monitor-demo.png') });
  await view.getByTestId('monitor-stop').click();
  await expect(view.getByTestId('monitor-start')).toBeVisible({ timeout: 20_000 });
  await expect(view.getByTestId('monitor-demo-info')).toHaveCount(0);
});

test('Messaging: sizing for 2,000 gateways shows the document formula and the measured rule with their inputs', async ({ page, workbench }) => {
  const file = path.join(workbench.dir, 'sizing.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-messaging').click();
  const panel = page.getByTestId('sizing-panel');
  await panel.getByTestId('sizing-gateways').fill('2000');
  // The document's own example: T_ptmax 200 µs and a 10 ms quantum give 50 gateways per pair, so 40 pairs.
  await panel.getByTestId('sizing-ptmax').fill('200');
  await panel.getByTestId('sizing-run').click();
  const result = panel.getByTestId('sizing-result');
  await expect(result).toContainText('n = 2000, T_thr = 10 ms, T_ptmax = 200 µs: 50 gateways per pair');
  await expect(result.locator('tr').nth(1).locator('td').nth(1)).toHaveText('40');
  await expect(result).toContainText('Measured rule');
  await expect(result).toContainText('(measured)');
  await panel.screenshot({ path: path.join(screenshotDir, 'messaging-sizing.png') });
});
