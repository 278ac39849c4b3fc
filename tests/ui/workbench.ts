import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test as base } from '@playwright/test';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

export interface Workbench {
  /** The launch URL with its token, as `headroom serve` printed it. */
  url: string;
  port: number;
  token: string;
  /** A scratch folder for files the test saves. */
  dir: string;
}

/** Starts `headroom serve --port 0` as a user would and reads the URL it prints. */
export async function startServe(cwd: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'headroom.js'), 'serve', '--port', '0'], {
    cwd, env: { ...process.env, HEADROOM_LOG_LEVEL: 'warn', HEADROOM_CONFIG_DIR: path.join(cwd, '.config') }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (match) { clearTimeout(timer); resolve(match[1]!); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${out}`)); });
  });
  return { child, url };
}

export const test = base.extend<object, { workbench: Workbench }>({
  workbench: [async ({}, use) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-ui-'));
    const { child, url } = await startServe(dir);
    const parsed = new URL(url);
    await use({ url, port: Number(parsed.port), token: parsed.searchParams.get('token')!, dir });
    child.kill('SIGTERM');
  }, { scope: 'worker' }],
});

export { expect } from '@playwright/test';

/** Open a workspace file as a user does: File > Open, the in-app dialog, a double click. */
export async function openStudy(page: import('@playwright/test').Page, url: string, file: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('engine-status')).toHaveText(/connected/);
  await page.getByTestId('menu-file').click();
  await page.getByTestId('cmd-open').click();
  await chooseInDialog(page, path.dirname(file), path.basename(file));
  await expect(page.getByTestId('document-state')).toHaveText('Saved');
}

/**
 * Pick a file in the in-app dialog: go to the folder and wait until the list shows it (a slow
 * first listing of another folder, which may hold a file of the same name, must not be clicked).
 */
export async function chooseInDialog(page: import('@playwright/test').Page, folder: string, name: string): Promise<void> {
  const dialog = page.getByTestId('file-dialog');
  // As a user would: wait for the dialog's first listing before typing over its folder field.
  await expect(dialog.getByTestId('file-dialog-list')).not.toHaveAttribute('data-dir', '');
  await dialog.getByTestId('file-dialog-folder').fill(folder);
  await dialog.getByTestId('file-dialog-folder').press('Enter');
  await expect(dialog.getByTestId('file-dialog-list')).toHaveAttribute('data-dir', folder);
  await dialog.getByText(name, { exact: true }).dblclick();
}

/** samples/policies/gold-bronze.yaml in `dir` (polling each second), with gw1's secret beside it; optionally a tighter latency target. */
export async function writePolicy(dir: string, targetMs?: number): Promise<string> {
  const sample = await readFile(path.join(repoRoot, 'samples', 'policies', 'gold-bronze.yaml'), 'utf8');
  await mkdir(path.join(dir, 'secrets'), { recursive: true });
  await writeFile(path.join(dir, 'secrets', 'gw1.secret'), 'ui-test-secret\n');
  const policy = path.join(dir, 'gold-bronze.yaml');
  let text = sample.replace(/pollIntervalMs: \d+/, 'pollIntervalMs: 1000');
  // A tight target makes the UI test's short run show a violation and its correction for sure.
  if (targetMs !== undefined) text = text.replace(/(latencyTarget:\s*\n\s*percentile: p\d\d\s*\n\s*ms:) \d+/, `$1 ${targetMs}`);
  await writeFile(policy, text);
  return policy;
}

/** In the focused Monaco editor, start a new line holding exactly `text`, whatever its auto-indent did. */
export async function newLine(page: import('@playwright/test').Page, text: string): Promise<void> {
  // Close any suggestions (word suggestions open a moment after typing), so none takes the keys below.
  await expect(async () => {
    await page.keyboard.press('Escape');
    await expect(page.locator('.suggest-widget')).toBeHidden({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await page.keyboard.press('End');
  // The line break goes in as typed text, not as an Enter key: a word suggestion that opens just
  // after the check above would take the Enter, and Shift+Home would then select (and the typing
  // replace) the line before.
  await page.keyboard.insertText('\n');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.type(text);
}
