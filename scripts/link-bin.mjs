// Links the `headroom` command into node_modules/.bin at install, so `npx headroom` inside the
// repository runs this checkout at once. package.json deliberately has no "bin": with one, npx
// installs the repository as a package into its cache and builds it there (minutes, and an
// interrupted first run leaves a cache folder that breaks every later npx call).
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const binDir = path.join(root, 'node_modules', '.bin');
const target = path.join(root, 'bin', 'headroom.js');
mkdirSync(binDir, { recursive: true });
chmodSync(target, 0o755);
if (process.platform === 'win32') {
  writeFileSync(path.join(binDir, 'headroom.cmd'), `@node "${target}" %*\r\n`);
} else {
  const link = path.join(binDir, 'headroom');
  rmSync(link, { force: true });
  symlinkSync(path.relative(binDir, target), link);
}
