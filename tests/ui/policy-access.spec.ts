import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { chooseInDialog, expect, openStudy, repoRoot, newLine, test, writePolicy } from './workbench.js';

test('Policies: completion and hover offer the access lists (lun, gateway, hosts; host, mode; rw and ro)', async ({ page, workbench }) => {
  const file = path.join(workbench.dir, 'access.headroom.json');
  await copyFile(path.join(repoRoot, 'samples', 'capacity-study.headroom.json'), file);
  await writePolicy(workbench.dir);
  await openStudy(page, workbench.url, file);
  await page.getByTestId('explorer-policies').click();
  const view = page.getByTestId('policies-view');
  await view.getByTestId('policy-open').click();
  await chooseInDialog(page, workbench.dir, 'gold-bronze.yaml');
  const editor = view.getByTestId('policy-editor');
  await expect(editor.locator('.view-lines')).toContainText('gold-bronze');
  await expect(view.getByTestId('policy-problems')).toContainText('No problems.');

  const suggestions = page.locator('.suggest-widget');
  await editor.locator('.view-line').filter({ hasText: /name:\s*gold-bronze/ }).click();
  await page.keyboard.press('Control+End');
  // At the top level, the new key is offered.
  await newLine(page, 'acc');
  await page.keyboard.press('Control+Space');
  await expect(suggestions).toBeVisible();
  await expect(suggestions).toContainText('access');
  await page.keyboard.press('Escape');
  await page.keyboard.type('ess:');
  // In a list entry: the LUN, the gateway and the hosts.
  await newLine(page, '  - ');
  await page.keyboard.press('Control+Space');
  await expect(suggestions).toBeVisible();
  for (const key of ['lun', 'gateway', 'hosts']) await expect(suggestions).toContainText(key);
  await page.keyboard.press('Escape');
  await page.keyboard.type('lun: lun0');
  await newLine(page, '    hosts:');
  // hosts without a list is an error at its line: the checker follows the typing.
  await expect(view.getByTestId('policy-problems')).toContainText('must be array');
  // In a host entry: host and mode, and mode's two values.
  await newLine(page, '      - ');
  await page.keyboard.press('Control+Space');
  await expect(suggestions).toBeVisible();
  await expect(suggestions).toContainText('host');
  await expect(suggestions).toContainText('mode');
  await page.keyboard.press('Escape');
  await page.keyboard.type('host: gold');
  await newLine(page, '        mode: ');
  await page.keyboard.press('Control+Space');
  await expect(suggestions).toBeVisible();
  await expect(suggestions.locator('.monaco-list-row')).toHaveText([/^ro/, /^rw/]); // exactly the two modes (Monaco sorts them)
  await page.keyboard.press('Escape');
  await page.keyboard.type('ro');
  await page.keyboard.press('Escape');
  // What was typed is a valid policy: the engine's checker agrees with the completion.
  await expect(editor.locator('.view-line').filter({ hasText: /^\s*-\s*host:\s*gold\s*$/ })).toHaveCount(2); // the binding's and the access list's
  await expect(view.getByTestId('policy-problems')).toContainText('No problems.');

  // Hover on mode explains it from the same schema.
  const modeKey = editor.locator('.view-line').filter({ hasText: /^\s*mode:\s*ro\s*$/ }).getByText('mode');
  await expect(async () => {
    await modeKey.hover({ position: { x: 6, y: 6 } });
    await modeKey.hover({ position: { x: 12, y: 7 } });
    await expect(page.locator('.monaco-hover').filter({ hasText: 'read-only' }).first()).toBeVisible({ timeout: 2000 });
  }).toPass({ timeout: 20_000 });
});
