// `headroom --help` must answer at once (issue 13: under a second). Timing it here would flake on a
// loaded machine, so this checks the cause instead: which modules the CLI loads before it prints help.
// An eager import of a feature (the gateway, the simulator, SQLite, Ajv, pino...) in a command module
// fails this test, naming the module and who imported it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './headroom-cli.js';

const run = promisify(execFile);
const engineUrl = pathToFileURL(path.join(repoRoot, 'dist', 'engine')).href + '/';
const modulesUrl = pathToFileURL(path.join(repoRoot, 'node_modules')).href + '/';

/**
 * Engine modules outside engine/cli that help may load: each holds option defaults or parsers the
 * help text shows, and imports nothing but Node's built-ins (checked below).
 */
const HELP_TIME_MODULES: ReadonlyMap<string, string> = new Map([
  ['runtime/version.js', '--version'],
  ['runtime/paths.js', 'where package.json is, for the version'],
  ['smp/analytic.js', "Table 1's defaults of `smp table`"],
  ['smp/bus/law.js', 'the law names of --bus'],
  ['gateway/config.js', "the gateway's option parsers"],
  ['gateway/limits.js', "the gateway's bounds"],
  ['gateway/byte-budget.js', 'the in-flight byte defaults'],
  ['gateway/nbd-constants.js', 'the payload default'],
  ['fleet/secret.js', "the fleet's default secret"],
]);

interface Load { url: string; importer: string }

/** Run the CLI with the module tracer preloaded; every module it loaded, with its importer. */
async function loadsOf(...args: string[]): Promise<{ stdout: string; loads: Load[] }> {
  const trace = path.join(await mkdtemp(path.join(os.tmpdir(), 'headroom-trace-')), 'modules.tsv');
  const { stdout } = await run(process.execPath, ['--import', pathToFileURL(path.join(repoRoot, 'tests', 'support', 'module-trace.mjs')).href, path.join(repoRoot, 'bin', 'headroom.js'), ...args], {
    cwd: repoRoot, env: { ...process.env, HEADROOM_LOG_LEVEL: 'silent', HEADROOM_MODULE_TRACE: trace },
  });
  const loads = (await readFile(trace, 'utf8')).split('\n').filter(Boolean).map((line) => {
    const [url = '', importer = ''] = line.split('\t');
    return { url, importer };
  });
  return { stdout, loads };
}

/** `commander` for …/node_modules/commander/index.js, `@scope/name` for scoped packages. */
function packageOf(url: string): string | null {
  if (!url.startsWith(modulesUrl)) return null;
  const parts = url.slice(modulesUrl.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

const engineModule = (url: string): string | null => (url.startsWith(engineUrl) ? url.slice(engineUrl.length) : null);
const short = (url: string): string => url.replace(pathToFileURL(repoRoot).href + '/', '');

describe('headroom CLI start-up', () => {
  for (const args of [['--help'], ['gateway', '--help'], ['--version']]) {
    it(`\`headroom ${args.join(' ')}\` loads no package but commander and no engine feature`, async () => {
      const { stdout, loads } = await loadsOf(...args);
      expect(stdout).toMatch(args[0] === '--version' ? /^\d+\.\d+\.\d+/ : /^Usage: headroom/);
      // The tracer saw the CLI itself, so an empty list below means something.
      expect(loads.some((l) => engineModule(l.url) === 'cli/main.js')).toBe(true);
      expect(loads.some((l) => packageOf(l.url) === 'commander')).toBe(true);

      const packages = [...new Set(loads.map((l) => packageOf(l.url)).filter((p) => p !== null))];
      expect(packages, 'a command module imports a package at the top; import it inside the action with await import()').toEqual(['commander']);

      const features = loads
        .filter((l) => { const m = engineModule(l.url); return m !== null && !m.startsWith('cli/') && !HELP_TIME_MODULES.has(m); })
        .map((l) => `${short(l.url)} (imported by ${short(l.importer)})`);
      expect(features, 'load engine features inside the command\'s action with await import(), not at the top of a command module').toEqual([]);

      // The modules help may load stay leaves: anything they import would load for every command.
      const fromLeaves = loads
        .filter((l) => { const m = engineModule(l.importer); return m !== null && HELP_TIME_MODULES.has(m) && !l.url.startsWith('node:') && !HELP_TIME_MODULES.has(engineModule(l.url) ?? ''); })
        .map((l) => `${short(l.importer)} imports ${short(l.url)}`);
      expect(fromLeaves).toEqual([]);
    });
  }
});
