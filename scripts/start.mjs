// npm start: the Electron app through Forge where the Electron runtime is installed; otherwise
// one line saying so, and the same workbench served to the browser.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Looks for Electron's binary without asking the electron package, which would try to download it. */
export function electronRuntime() {
  const pkg = path.join(root, 'node_modules', 'electron');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  let relative = null;
  try { relative = readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim(); } catch { /* not installed */ }
  if (override) return existsSync(path.join(override, relative ?? 'electron')) ? path.join(override, relative ?? 'electron') : null;
  if (!relative) return null;
  const binary = path.join(pkg, 'dist', relative);
  return existsSync(binary) ? binary : null;
}

const binary = electronRuntime();
if (binary && !process.argv.includes('--browser')) {
  const forge = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-forge.cmd' : 'electron-forge');
  const child = spawn(forge, ['start'], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const reason = binary ? 'browser mode requested' : 'the Electron runtime is not installed here (node_modules/electron/dist is missing)';
  process.stdout.write(`Headroom: ${reason}; serving the workbench in your browser instead.\n`);
  const { serveWorkbench } = await import(path.join(root, 'dist', 'engine', 'cli', 'commands', 'serve.js'));
  const canOpen = process.env.HEADROOM_NO_OPEN !== '1' && (process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY));
  await serveWorkbench({ port: 0, open: canOpen, banner: 'Open the workbench at' });
}
