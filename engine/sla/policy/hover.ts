import { parseDocument, LineCounter, isMap, isSeq, isScalar, type Node } from 'yaml';
import { docForPath } from './schema.js';

export interface PolicyHover {
  /** Path of the key or value under the cursor, e.g. ['classes', 0, 'latencyTarget', 'ms']. */
  path: (string | number)[];
  /** The field's documentation from the schema. */
  doc: string;
}

/**
 * Documentation for the field under a cursor (1-based line and column, as Monaco's positions),
 * from the same schema the validator uses. Works on invalid text as far as YAML can parse it.
 */
export function policyHoverAt(text: string, line: number, column: number): PolicyHover | null {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineStart = lines.lineStarts[line - 1];
  if (lineStart === undefined) return null;
  const offset = lineStart + column - 1;
  const path: (string | number)[] = [];
  const inside = (n: Node | null | undefined): boolean => !!n?.range && offset >= n.range[0] && offset <= n.range[1];
  let node = doc.contents as Node | null;
  for (let depth = 0; depth < 64 && node; depth++) {
    if (isMap(node)) {
      const pair = node.items.find((p) => inside(p.key as Node) || inside(p.value as Node));
      if (!pair || !isScalar(pair.key)) break;
      path.push(String(pair.key.value));
      if (inside(pair.key as Node)) break;
      node = pair.value as Node | null;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => inside(item as Node));
      if (index < 0) break;
      path.push(index);
      node = node.items[index] as Node;
    } else {
      break;
    }
  }
  if (!path.length) return null;
  const text_ = docForPath(path);
  return text_ ? { path, doc: text_ } : null;
}
