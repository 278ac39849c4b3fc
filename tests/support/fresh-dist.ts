// Worker threads, the fleet and the CLI that tests start run the compiled engine in dist/.
// A test run after an edit must not test yesterday's code: when any engine source is newer than
// its compiled file, build once here, and stop the run loudly if the build fails.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sources(full, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Engine sources whose compiled file in dist/ is missing or older than they are. */
export function staleSources(): string[] {
  return sources(path.join(root, 'engine')).filter((source) => {
    const compiled = path.join(root, 'dist', path.relative(root, source)).replace(/\.ts$/, '.js');
    try {
      return statSync(compiled).mtimeMs < statSync(source).mtimeMs;
    } catch {
      return true;
    }
  });
}

export default function setup(): void {
  const stale = staleSources();
  if (stale.length === 0) return;
  const shown = stale.slice(0, 3).map((s) => path.relative(root, s)).join(', ');
  process.stderr.write(`tests: dist/ is older than ${stale.length} engine source(s) (${shown}${stale.length > 3 ? ', ...' : ''}); building the engine first\n`);
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    const output = err instanceof Error && 'stdout' in err ? String((err as { stdout: unknown }).stdout) : String(err);
    throw new Error(`tests: the engine does not build, so tests would run stale code in dist/:\n${output}`);
  }
  const still = staleSources();
  if (still.length > 0) throw new Error(`tests: after building, dist/ still lacks ${still.map((s) => path.relative(root, s)).join(', ')}`);
}
