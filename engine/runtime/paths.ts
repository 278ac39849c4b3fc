import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';

/** The repository (or installed package) root: the folder holding package.json. */
export const packageRoot: string = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/**
 * Worker threads need JavaScript on disk. Tests run the engine from its TypeScript
 * sources, where the worker's `.js` sibling does not exist; `npm test` builds first,
 * so a source module maps its worker to the compiled copy under dist/.
 */
export function resolveWorkerScript(importMetaUrl: string, relativeJs: string): URL {
  const here = fileURLToPath(importMetaUrl);
  if (here.endsWith('.js')) return new URL(relativeJs, importMetaUrl);
  const relFromRoot = path.relative(packageRoot, path.dirname(here));
  const compiled = path.join(packageRoot, 'dist', relFromRoot, relativeJs);
  if (!existsSync(compiled)) {
    throw new Error(`worker script ${compiled} is missing: run "npm run build" first`);
  }
  return new URL(`file://${compiled}`);
}

/** Built renderer assets, served in browser mode and loaded over app:// in Electron. */
export function rendererDistDir(): string {
  return path.join(packageRoot, 'dist', 'renderer');
}

export function samplesDir(): string {
  return path.join(packageRoot, 'samples');
}

/** Per-user settings (recent files and the like): HEADROOM_CONFIG_DIR, else the platform's config folder. */
export function configDir(): string {
  if (process.env.HEADROOM_CONFIG_DIR) return process.env.HEADROOM_CONFIG_DIR;
  const home = process.env.HOME ?? process.env.USERPROFILE ?? '.';
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? home, 'Headroom');
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'Headroom');
  return path.join(process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'headroom');
}
