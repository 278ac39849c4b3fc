// Runs Electronegativity (Doyensec's Electron security scanner) over the shell (electron/, without
// its tests) and the page (renderer/), offline, and fails on any finding the allowlist does not
// explain, and on allowlist entries that no longer match anything (so the list stays short and true).
//
//   node scripts/electronegativity.mjs [--input DIR]... [--allowlist FILE] [--json FILE]
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    input: { type: 'string', multiple: true, default: ['electron', 'renderer'] },
    allowlist: { type: 'string', default: 'electron/electronegativity-allowlist.json' },
    json: { type: 'string' },
  },
});

/** Findings that depend on the network (Electron's release feed) are not this gate's business: npm audit's. */
const EXCLUDED_CHECKS = ['AvailableSecurityFixesGlobalCheck'];

const require = createRequire(import.meta.url);
const scannerDir = path.dirname(require.resolve('@doyensec/electronegativity'));
// The scanner downloads translations on start; the gate runs offline, so its HTTP client fails at once.
const gotPath = require.resolve('got', { paths: [scannerDir] });
const offline = () => Promise.reject(new Error('offline'));
offline.head = offline;
require.cache[gotPath] = { id: gotPath, filename: gotPath, loaded: true, exports: offline };
const run = require('@doyensec/electronegativity');

function readAllowlist(file) {
  const where = path.relative(root, file);
  let entries;
  try { entries = JSON.parse(readFileSync(file, 'utf8')); } catch (err) { throw new Error(`${where}: ${err.message}`); }
  if (!Array.isArray(entries)) throw new Error(`${where}: expected an array of { check, file, reason }`);
  entries.forEach((e, i) => {
    if (typeof e?.check !== 'string' || typeof e.file !== 'string' || typeof e.reason !== 'string' || e.reason.trim() === '' || e.reason.includes('\n')) {
      throw new Error(`${where}: entry ${i}: needs "check", "file" and a one-line "reason"`);
    }
  });
  return entries;
}

// The inputs are copied into one folder so global checks (CSP, navigation, permission handler)
// see the shell and the page together, and files are named as in the repository.
const staging = mkdtempSync(path.join(os.tmpdir(), 'headroom-electronegativity-'));
const logged = [];
try {
  for (const input of values.input) {
    const from = path.resolve(root, input);
    cpSync(from, path.join(staging, path.basename(from)), {
      recursive: true,
      filter: (src) => !/\.test\.tsx?$/.test(src) && path.basename(src) !== 'test' && path.basename(src) !== 'node_modules',
    });
  }
  const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const allowlist = readAllowlist(path.resolve(root, values.allowlist));
  const log = console.log;
  console.log = (...args) => { logged.push(args.join(' ')); };
  let result;
  try {
    result = await run({ input: staging, isRelative: true, electronVersionOverride: electronVersion, excludeFromScan: EXCLUDED_CHECKS.map((c) => c.toLowerCase()) });
  } finally {
    console.log = log;
  }
  const used = new Set();
  const rows = result.issues.map((issue) => {
    const file = issue.file.split(path.sep).join('/');
    const index = allowlist.findIndex((e) => e.check === issue.id && e.file === file);
    if (index >= 0) used.add(index);
    return { check: issue.id, file, line: issue.location.line, column: issue.location.column, severity: issue.severity.name, confidence: issue.confidence.name, reason: index >= 0 ? allowlist[index].reason : null };
  });
  const unexplained = rows.filter((r) => r.reason === null);
  const stale = allowlist.filter((_, i) => !used.has(i));
  const errors = result.errors.filter((e) => !e.tolerable);

  console.log(`electronegativity ${JSON.parse(readFileSync(path.join(scannerDir, '../package.json'), 'utf8')).version} over ${values.input.join(', ')} (Electron ${electronVersion}): ${result.globalChecks} global and ${result.atomicChecks} atomic checks, ${rows.length} findings, ${rows.length - unexplained.length} explained, ${unexplained.length} unexplained`);
  for (const r of rows) {
    console.log(`  ${r.reason === null ? 'UNEXPLAINED' : 'allowed    '} ${r.check} ${r.file}:${r.line}:${r.column} (${r.severity}, ${r.confidence})${r.reason === null ? '' : ` — ${r.reason}`}`);
  }
  for (const e of stale) console.log(`  STALE       allowlist entry ${e.check} ${e.file} matches no finding: remove it`);
  for (const e of errors) console.log(`  PARSE ERROR ${path.relative(staging, e.file)}: ${e.message}`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows, stale, errors }, null, 2));
  process.exitCode = unexplained.length || stale.length || errors.length ? 1 : 0;
} finally {
  rmSync(staging, { recursive: true, force: true });
}
