// Loader hooks of module-trace.mjs (they run on the loader's own thread in Node 20).
import { appendFileSync } from 'node:fs';

let out = '';
export function initialize(data) { out = data.out; }

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(out, `${resolved.url}\t${context.parentURL ?? ''}\n`);
  return resolved;
}
