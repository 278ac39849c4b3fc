#!/usr/bin/env node
// The CLI runs the compiled engine (npm ci builds it through the "prepare" script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/engine/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('headroom: the engine is not built; run "npm run build" in the Headroom folder\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
