// Preloaded with `node --import` by tests/cli-startup.test.ts: records every module the process
// loads into the file named by HEADROOM_MODULE_TRACE, one "url<TAB>importer" line each.
// ES modules are seen by a resolve hook; CommonJS ones (commander, and anything loaded with
// require) by the require cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const out = process.env.HEADROOM_MODULE_TRACE;
if (out) {
  register('./module-trace-hooks.mjs', import.meta.url, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const lines = Object.keys(require.cache).map((file) => `${pathToFileURL(file).href}\t(require)\n`);
    appendFileSync(out, lines.join(''));
  });
}
