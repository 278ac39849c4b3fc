import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chooseInDialog, expect, repoRoot, screenshotDir, test } from './workbench.js';

const sample = path.join(repoRoot, 'samples', 'capacity-study.headroom.json');

test('the workbench loads and shows the engine as connected', async ({ page, workbench }) => {
  await page.goto(workbench.url);
  await expect(page.getByTestId('engine-status')).toHaveText(/Engine connected \(WebSocket\)/);
  // The token leaves the address bar once taken.
  expect(page.url()).not.toContain('token=');
  await expect(page.getByTestId('welcome-view')).toBeVisible();
  await expect(page.getByTestId('explorer')).toContainText('Q3 storage and compute headroom');
  await page.screenshot({ path: path.join(screenshotDir, 'workbench-start.png') });
});

test('a page without the token gets no engine', async ({ page, workbench }) => {
  await page.goto(`http://127.0.0.1:${workbench.port}/`);
  await expect(page.getByText('needs the launch link')).toBeVisible();
  const status = await page.evaluate(async (port) => new Promise<string>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=wrong`);
    ws.onopen = () => resolve('open');
    ws.onerror = () => resolve('refused');
  }), workbench.port);
  expect(status).toBe('refused');
});

test('open a sample, edit it, save it, reopen it and see the edit', async ({ page, workbench }) => {
  const file = path.join(workbench.dir, 'study.headroom.json');
  await copyFile(sample, file);
  await page.goto(workbench.url);
  await expect(page.getByTestId('engine-status')).toHaveText(/connected/);

  // File > Open through the in-app dialog, browsing the engine's file system.
  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-open').click();
  const dialog = page.getByTestId('file-dialog');
  await expect(dialog.getByTestId('file-dialog-list')).not.toHaveAttribute('data-dir', '');
  await dialog.getByTestId('file-dialog-folder').fill(workbench.dir);
  await dialog.getByTestId('file-dialog-folder').press('Enter');
  await expect(dialog.getByTestId('file-dialog-list')).toHaveAttribute('data-dir', workbench.dir);
  await dialog.getByText('study.headroom.json', { exact: true }).click();
  await dialog.getByTestId('file-dialog-confirm').click();

  await expect(page.getByTestId('study-name')).toHaveValue('Q3 storage and compute headroom');
  await expect(page.getByTestId('document-state')).toHaveText('Saved');
  await page.getByTestId('study-description').fill('Edited in the UI test: 12 CPUs, 3% background I/O.');
  await expect(page.getByTestId('document-state')).toHaveText('● Unsaved changes');
  await page.screenshot({ path: path.join(screenshotDir, 'workbench-study-dirty.png') });
  await page.keyboard.press('Control+s');
  await expect(page.getByTestId('document-state')).toHaveText('Saved');

  const onDisk = JSON.parse(await readFile(file, 'utf8')) as { description: string };
  expect(onDisk.description).toBe('Edited in the UI test: 12 CPUs, 3% background I/O.');
  // The engine remembers it among the recent files, which survive the page.
  await page.getByTestId('tab-welcome').click();
  await expect(page.getByTestId('welcome-view')).toContainText(file);

  // Reopen in a fresh page: the edit comes back from the file, not from page state.
  await page.reload();
  await expect(page.getByTestId('engine-status')).toHaveText(/connected/);
  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-open').click();
  await chooseInDialog(page, workbench.dir, 'study.headroom.json');
  await expect(page.getByTestId('study-description')).toHaveValue('Edited in the UI test: 12 CPUs, 3% background I/O.');
});

test('save as a new file, then a corrupt file gives a readable error and stays byte-for-byte', async ({ page, workbench }) => {
  const corrupt = path.join(workbench.dir, 'corrupt.headroom.json');
  const bytes = '{\n  "schemaVersion": 1,\n  "name": "Half-written study",\n  "notes": [ {"title": "x"} ]\n';
  await writeFile(corrupt, bytes);
  await page.goto(workbench.url);
  await expect(page.getByTestId('engine-status')).toHaveText(/connected/);

  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-open').click();
  const dialog = page.getByTestId('file-dialog');
  await chooseInDialog(page, workbench.dir, 'corrupt.headroom.json');
  const error = page.getByTestId('notice-error');
  await expect(error).toContainText(corrupt);
  await expect(error).toContainText(/line \d+, column \d+/);
  await page.screenshot({ path: path.join(screenshotDir, 'workbench-corrupt-error.png') });
  expect(await readFile(corrupt, 'utf8')).toBe(bytes);

  // A new study saved with Save As onto the corrupt file's name is refused; the file is unchanged.
  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-new').click();
  await page.getByTestId('study-name').fill('Replacement');
  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-save-as').click();
  await expect(dialog.getByTestId('file-dialog-list')).not.toHaveAttribute('data-dir', '');
  await dialog.getByTestId('file-dialog-folder').fill(workbench.dir);
  await dialog.getByTestId('file-dialog-folder').press('Enter');
  await expect(dialog.getByTestId('file-dialog-list')).toHaveAttribute('data-dir', workbench.dir);
  await dialog.getByTestId('file-dialog-name').fill('corrupt.headroom.json');
  await dialog.getByTestId('file-dialog-confirm').click();
  await expect(page.getByTestId('notice-error').last()).toContainText('refusing to overwrite');
  expect(await readFile(corrupt, 'utf8')).toBe(bytes);

  // Saved under a new name instead, it is a valid workspace.
  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-save-as').click();
  await dialog.getByTestId('file-dialog-name').fill('replacement');
  await dialog.getByTestId('file-dialog-confirm').click();
  await expect(page.getByTestId('document-state')).toHaveText('Saved');
  const saved = JSON.parse(await readFile(path.join(workbench.dir, 'replacement.headroom.json'), 'utf8')) as { name: string };
  expect(saved.name).toBe('Replacement');
});
