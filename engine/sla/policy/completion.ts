import { policyJsonSchema } from './schema.js';

export interface PolicyCompletion {
  label: string;
  kind: 'property' | 'value';
  /** Text to insert (`name: ` for a property). */
  insertText: string;
  doc: string;
}

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  enum?: unknown[];
  const?: unknown;
  description?: string;
}

/**
 * Completions at a cursor (1-based line and column) from the policy schema: property names
 * inside a mapping, allowed values after `key:`. Works line by line on block-style YAML, since
 * the text being typed is rarely valid; flow style (`{ a: 1 }`) gets no completion.
 */
export function policyCompletionsAt(text: string, line: number, column: number): PolicyCompletion[] {
  const lines = text.split('\n');
  const current = lines[line - 1];
  if (current === undefined) return [];
  const prefix = current.slice(0, Math.max(0, column - 1));
  const valueMatch = /^(\s*)(?:-\s+)?([A-Za-z_$][\w$]*):\s*([^\s#{}[\]]*)$/.exec(prefix);
  const keyMatch = /^(\s*)(-\s+)?([A-Za-z_$][\w$]*)?$/.exec(prefix);
  if (!valueMatch && !keyMatch) return [];
  const indent = valueMatch ? valueMatch[1]!.length : keyMatch![1]!.length + (keyMatch![2]?.length ?? 0);
  const keys = enclosingKeys(lines, line - 1, indent);
  if (valueMatch) {
    const node = schemaFor([...keys, valueMatch[2]!]);
    if (!node) return [];
    const values = node.enum ?? (node.const !== undefined ? [node.const] : node.type === 'boolean' ? [true, false] : []);
    return values.map((v) => ({ label: String(v), kind: 'value' as const, insertText: String(v), doc: node.description ?? '' }));
  }
  const node = unwrap(schemaFor(keys));
  const present = siblingKeys(lines, line - 1, indent);
  return Object.entries(node?.properties ?? {})
    .filter(([name]) => !present.has(name))
    .map(([name, child]) => ({ label: name, kind: 'property' as const, insertText: `${name}: `, doc: unwrap(child)?.description ?? child.description ?? '' }));
}

const indentOf = (l: string): number => {
  const m = /^(\s*)(-\s+)?/.exec(l)!;
  return m[1]!.length + (m[2]?.length ?? 0);
};
const isBlank = (l: string): boolean => /^\s*(#.*)?$/.test(l);

/** Keys of the mappings enclosing a line at this indentation, outermost first. */
function enclosingKeys(lines: readonly string[], index: number, indent: number): string[] {
  const keys: string[] = [];
  let level = indent;
  for (let i = index - 1; i >= 0 && level > 0; i--) {
    const l = lines[i]!;
    if (isBlank(l)) continue;
    const own = /^(\s*)/.exec(l)![1]!.length;
    // A `- key:` line opens an item whose keys sit at the column after the dash.
    const itemIndent = indentOf(l);
    const m = /^\s*(?:-\s+)?([A-Za-z_$][\w$]*):\s*(#.*)?$/.exec(l);
    if (own < level && m) {
      keys.unshift(m[1]!);
      level = own;
    } else if (itemIndent <= level && own < level && /^\s*-\s/.test(l)) {
      level = own;
    }
  }
  return keys;
}

function siblingKeys(lines: readonly string[], index: number, indent: number): Set<string> {
  const keys = new Set<string>();
  const collect = (from: number, step: number) => {
    for (let i = from; i >= 0 && i < lines.length; i += step) {
      const l = lines[i]!;
      if (isBlank(l)) continue;
      const ind = indentOf(l);
      if (ind < indent) break;
      if (ind === indent) {
        const m = /^\s*(?:-\s+)?([A-Za-z_$][\w$]*):/.exec(l);
        if (m) keys.add(m[1]!);
        if (step < 0 && /^\s*-\s/.test(l)) break; // the start of this list item
      }
      if (step > 0 && /^\s*-\s/.test(l) && ind === indent) break; // the next item
    }
  };
  collect(index - 1, -1);
  collect(index + 1, 1);
  return keys;
}

function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  while (n?.type === 'array' && n.items) n = n.items;
  return n;
}

function schemaFor(keys: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = policyJsonSchema as SchemaNode;
  for (const key of keys) node = unwrap(node)?.properties?.[key];
  return node;
}
