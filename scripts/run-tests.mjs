// npm test: every check a change must keep green, in order, with one summary line at the end.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Not test-results/: Playwright empties that folder when it starts.
const results = path.join(root, 'test-reports');
mkdirSync(results, { recursive: true });
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const only = process.argv.slice(2);

function step(name, command, args, env = {}) {
  if (only.length && !only.includes(name)) return;
  console.log(`\n=== ${name}: ${[command, ...args].join(' ')}`);
  const run = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (run.status !== 0) {
    summarize();
    console.error(`\n${name} failed (exit ${run.status ?? run.signal})`);
    process.exit(run.status || 1);
  }
}

function readJson(file) {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return null; }
}

function summarize() {
  let passed = 0, failed = 0, skipped = 0;
  const unit = readJson(path.join(results, 'unit.json'));
  const e2e = readJson(path.join(results, 'e2e.json'));
  for (const r of [unit, e2e]) if (r) { passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0); }
  const ui = readJson(path.join(results, 'ui.json'));
  if (ui?.stats) { passed += ui.stats.expected; failed += ui.stats.unexpected; skipped += ui.stats.skipped; }
  if (unit || e2e || ui) console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

for (const file of ['unit.json', 'e2e.json', 'ui.json']) if (existsSync(path.join(results, file))) spawnSync('rm', ['-f', path.join(results, file)]);
step('setup', process.execPath, ['scripts/test-setup.mjs']);
step('build', npm, ['run', 'build']);
step('typecheck', npm, ['run', 'typecheck']);
step('unit', npm, ['exec', '--', 'vitest', 'run', '--exclude', 'tests/e2e/**', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(results, 'unit.json')}`]);
// The end-to-end tests time real I/O through real processes: they run alone, not beside test
// files that start fleets and daemons of their own on the same two cores, and one file at a time.
step('e2e', npm, ['exec', '--', 'vitest', 'run', 'tests/e2e', '--no-file-parallelism', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(results, 'e2e.json')}`]);
step('ui', npm, ['exec', '--', 'playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(results, 'ui.json') });
summarize();
