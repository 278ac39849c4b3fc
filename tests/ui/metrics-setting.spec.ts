import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../engine/runtime/ports.js';
import { expect, openStudy, repoRoot, screenshotDir, test } from './workbench.js';

/** GET the URL; null when nothing listens there. */
async function scrape(url: string): Promise<string | null> {
  try {
    const res = await fetch(url);
    return res.ok ? await res.text() : null;
  } catch {
    return null;
  }
}

test('Monitor: the Prometheus opt-in serves /metrics while the SLA server runs, loopback only, and is kept across reloads', async ({ page, workbench }) => {
  const file = path.join(workbench.dir, 'metrics.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-monitor').click();
  const view = page.getByTestId('monitor-view');
  const setting = view.getByTestId('metrics-setting');
  // Off until the user turns it on.
  await expect(setting.getByTestId('metrics-status')).toContainText('Off: nothing listens');
  await expect(setting.getByTestId('metrics-enabled')).not.toBeChecked();

  // A wider address is refused in the app, with the reason.
  await setting.getByTestId('metrics-enabled').check();
  await setting.getByTestId('metrics-address').fill('0.0.0.0:9464');
  await setting.getByTestId('metrics-apply').click();
  await expect(setting.getByTestId('metrics-error')).toContainText('not a loopback address');
  await expect(setting.getByTestId('metrics-status')).toContainText('Off');

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  await setting.getByTestId('metrics-address').fill(`127.0.0.1:${port}`);
  await setting.getByTestId('metrics-apply').click();
  await expect(setting.getByTestId('metrics-status')).toHaveText(`On: /metrics listens on 127.0.0.1:${port} while the SLA server runs.`);
  await expect(setting.getByTestId('metrics-error')).toHaveCount(0);
  expect(await scrape(url)).toBeNull();

  // Kept by the engine: a new page shows it as saved.
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-monitor').click();
  await expect(setting.getByTestId('metrics-enabled')).toBeChecked();
  await expect(setting.getByTestId('metrics-address')).toHaveValue(`127.0.0.1:${port}`);

  await view.getByTestId('monitor-demo').click();
  await expect(setting.getByTestId('metrics-status')).toHaveText(`Prometheus can scrape ${url} (series named headroom_…).`, { timeout: 30_000 });
  // What Prometheus reads: the SLA server's series, its poll cycles counted once the first cycle is in.
  await expect.poll(async () => /^headroom_sla_poll_cycles_total [1-9]/m.test((await scrape(url)) ?? ''), { timeout: 30_000 }).toBe(true);
  const text = (await scrape(url))!;
  expect(text).toContain('# TYPE headroom_sla_poll_cycle_seconds histogram');
  expect(text).toMatch(/^headroom_sla_gateways_registered [1-9]/m);
  await expect(view.getByTestId('monitor-gateways')).toContainText('gw1', { timeout: 30_000 });
  await view.getByTestId('monitor-status').scrollIntoViewIfNeeded();
  await view.locator('section.panel').first().screenshot({ path: path.join(screenshotDir, 'monitor-metrics-setting.png') });

  // Stop ends the endpoint with the server; the setting stays on for the next start.
  await view.getByTestId('monitor-stop').click();
  await expect(view.getByTestId('monitor-start')).toBeVisible({ timeout: 20_000 });
  await expect(setting.getByTestId('metrics-status')).toContainText('while the SLA server runs');
  expect(await scrape(url)).toBeNull();

  // Turned off, it is off.
  await setting.getByTestId('metrics-enabled').uncheck();
  await setting.getByTestId('metrics-apply').click();
  await expect(setting.getByTestId('metrics-status')).toContainText('Off: nothing listens');
});
