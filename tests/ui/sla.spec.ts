import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../../engine/runtime/ports.js';
import { bronzeJob, goldJob, nbdkitArgs } from '../e2e/gold-bronze.js';
import { fioArgs, startChild, stopAll, stopChild, waitForListener, type Child } from '../e2e/harness.js';
import { chooseInDialog, expect, openStudy, repoRoot, newLine, screenshotDir, test, writePolicy } from './workbench.js';

test('Policies: Monaco edits the policy with schema completion and inline errors; the checker names line and column', async ({ page, workbench }) => {
  const csp: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) csp.push(m.text()); });
  const file = path.join(workbench.dir, 'policies.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  const policy = await writePolicy(workbench.dir);
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-policies').click();
  const view = page.getByTestId('policies-view');
  await view.getByTestId('policy-open').click();
  await chooseInDialog(page, workbench.dir, 'gold-bronze.yaml');

  const editor = view.getByTestId('policy-editor');
  await expect(editor.locator('.view-lines')).toContainText('gold-bronze');
  await expect(view.getByTestId('policy-problems')).toContainText('No problems.');

  // Hover documentation comes from the policy schema.
  const priorityKey = editor.locator('.view-line').filter({ hasText: /^\s*priority:\s*1\s*$/ }).getByText('priority');
  // Monaco shows hovers after the pointer rests on a word; nudge it until it does.
  await expect(async () => {
    await priorityKey.hover({ position: { x: 6, y: 6 } });
    await priorityKey.hover({ position: { x: 12, y: 7 } });
    await expect(page.locator('.monaco-hover').filter({ hasText: 'most important' }).first()).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 20_000 });
  await page.mouse.move(0, 0);

  // A priority that is not a number: the schema marks it as you type and the engine's checker names line and column.
  const priority = editor.locator('.view-line').filter({ hasText: /^\s*priority:\s*1\s*$/ });
  await priority.click();
  await page.keyboard.press('End');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('top');
  await expect(view.getByTestId('policy-problems')).toContainText('error');
  await expect(view.getByTestId('policy-problems')).toContainText('13:');
  await expect(editor.locator('.squiggly-error').first()).toBeAttached();
  await expect(view.getByTestId('policy-apply')).toBeDisabled();

  // Completion from the schema: a new key in a class offers the schema's properties.
  // A new line at exactly a class property's indentation.
  await newLine(page, '    ');
  await page.keyboard.press('Control+Space');
  await expect(page.locator('.suggest-widget')).toBeVisible();
  await expect(page.locator('.suggest-widget')).toContainText(/throttleable|floor|limit|reservation/);
  await page.keyboard.press('Escape');
  await view.screenshot({ path: path.join(screenshotDir, 'policies.png') });
  expect(csp).toEqual([]);
  // Nothing is written until the user saves.
  expect(await readFile(policy, 'utf8')).toContain('priority: 1');
});

test('Monitor: the SLA server in the engine polls a real gateway, throttles bronze, and shows it live', async ({ page, workbench }) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1500, height: 2200 });
  const file = path.join(workbench.dir, 'monitor.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  const policy = await writePolicy(workbench.dir, 4);
  expect(await readFile(policy, 'utf8')).toMatch(/ms: 4\b/);
  const [storagePort, gatewayPort, serverPort] = [await freePort(), await freePort(), await freePort()];
  // What the children said, in the failure message: a Monitor with no actions must say why.
  const outputs = (...children: Child[]): string => children.map((c) => `--- ${c.name} (exit ${c.process.exitCode}):\n${c.output().slice(-1500)}`).join('\n');
  try {
    const storage = startChild('nbdkit', 'nbdkit', nbdkitArgs(storagePort));
    await waitForListener(storage, storagePort, 10_000);
    await openStudy(page, workbench.url, file);
    await page.getByTestId('explorer-monitor').click();
    const view = page.getByTestId('monitor-view');
    // The study names its policy; the Monitor starts the server with it.
    await page.getByTestId('explorer-policies').click();
    await page.getByTestId('policy-open').click();
    await chooseInDialog(page, workbench.dir, 'gold-bronze.yaml');
    await page.getByTestId('explorer-monitor').click();
    await view.getByTestId('monitor-listen').fill(`127.0.0.1:${serverPort}`);
    await view.getByTestId('monitor-start').click();
    await expect(view.getByTestId('monitor-status')).toContainText(`127.0.0.1:${serverPort}`);

    const gateway = startChild('gateway', process.execPath, [path.join(repoRoot, 'bin', 'headroom.js'), 'gateway', '--listen', `127.0.0.1:${gatewayPort}`,
      '--export', `lun0=nbd://127.0.0.1:${storagePort}`, '--export', `lun1=nbd://127.0.0.1:${storagePort}`,
      '--server', `127.0.0.1:${serverPort}`, '--secret-file', path.join(workbench.dir, 'secrets', 'gw1.secret'), '--gateway-id', 'gw1']);
    await expect(view.getByTestId('monitor-gateways')).toContainText('gw1', { timeout: 20_000 });

    // fio runs until the test has seen what it needs, then is stopped; its runtime only bounds it.
    const fio = startChild('fio', 'fio', fioArgs([goldJob(gatewayPort), bronzeJob(gatewayPort)], 90));
    const explained = (err: unknown): never => { throw new Error(`${err instanceof Error ? err.message : String(err)}\n${outputs(fio, gateway, storage)}`); };
    await expect(view.getByTestId('monitor-actions')).toContainText('bronze', { timeout: 40_000 }).catch(explained);
    await expect(view.getByTestId('monitor-actions')).toContainText('yes', { timeout: 10_000 }).catch(explained);
    // The hosts the gateway met after registering (gold and bronze connected later) are listed.
    await expect(view.getByTestId('monitor-gateways')).toContainText(/gold.*bronze|bronze.*gold/);
    // A few intervals under control, so the charts show before and after.
    await page.waitForTimeout(3000);
    await stopChild(fio);
    await expect(view.getByTestId('monitor-classes')).toContainText('gold');
    await expect(view.getByTestId('chart-latency').locator('.scatterlayer .trace').first()).toBeAttached();
    await expect(view.getByTestId('chart-timeline').locator('.scatterlayer .trace')).toHaveCount(2);
    // Keep the last few minutes for a report, and read them back from the live database.
    await view.getByTestId('period-name').fill('UI test incident');
    await view.getByTestId('period-minutes').fill('5');
    await view.getByTestId('period-add').click();
    await expect(view.getByTestId('period-list')).toContainText('UI test incident');
    await view.screenshot({ path: path.join(screenshotDir, 'monitor.png') });
    await page.getByTestId('menu-file').click();
    await page.getByTestId('cmd-export').click();
    const reports = page.getByTestId('reports-view');
    await expect(reports.getByTestId('report-item-sla.period.period-1')).toBeChecked();
    await reports.getByTestId('report-preview').click();
    const preview = reports.getByTestId('report-preview-body');
    await expect(preview).toContainText('Period: UI test incident');
    await expect(preview).toContainText('Throttle actions');
    await expect(preview).toContainText(/protect class "gold"/);
    await reports.screenshot({ path: path.join(screenshotDir, 'reports-sla.png') });
    await page.getByTestId('explorer-monitor').click();
    await view.getByTestId('monitor-stop').click();
    await expect(view.getByTestId('monitor-start')).toBeVisible();
  } finally {
    await stopAll();
  }
});
