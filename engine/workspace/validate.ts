import { compileSchema, jsonPathOf, describeSchemaError } from '../runtime/schema.js';
import { parseTree, findNodeAtLocation, printParseErrorCode, type ParseError, type Node } from 'jsonc-parser';
import { WorkspaceSchema, WORKSPACE_SCHEMA_VERSION, type Workspace } from './schema.js';
import { WorkspaceError } from './errors.js';

const validateSchema = compileSchema(WorkspaceSchema);

function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/**
 * Parse and validate workspace text. Strict JSON (no comments, no trailing commas): the file is
 * written by tools as often as by hand, and a lenient parse would be rewritten differently on save.
 */
export function parseWorkspace(file: string, text: string): Workspace {
  const errors: ParseError[] = [];
  const tree: Node | undefined = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  const first = errors[0];
  if (first || tree === undefined) {
    const at = first ? lineColumn(text, first.offset) : 'line 1, column 1';
    throw new WorkspaceError(file, at, `not valid JSON (${first ? printParseErrorCode(first.error) : 'empty file'})`, 'parse');
  }
  const value: unknown = JSON.parse(text);
  return validateWorkspace(file, value, text, tree);
}

export function validateWorkspace(file: string, value: unknown, text?: string, tree?: Node): Workspace {
  if (typeof value === 'object' && value !== null && 'schemaVersion' in value) {
    const version = (value as { schemaVersion: unknown }).schemaVersion;
    if (typeof version === 'number' && version > WORKSPACE_SCHEMA_VERSION) {
      throw new WorkspaceError(file, '$.schemaVersion',
        `written by a newer Headroom (format ${version}; this one reads ${WORKSPACE_SCHEMA_VERSION})`, 'newer-version');
    }
  }
  if (validateSchema(value)) return value;
  const errors = validateSchema.errors ?? [];
  const error = errors[0];
  if (!error) throw new WorkspaceError(file, '$', 'does not match the workspace schema', 'invalid');
  const placeOf = (e: typeof error): { where: string; sentence: string } => {
    const path = jsonPathOf(e.instancePath);
    let where = path;
    // describeSchemaError leads with the path; the place goes in `where`, so keep the sentence only.
    const sentence = describeSchemaError(e).slice(path.length + 2);
    if (text !== undefined && tree !== undefined) {
      const segments = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
      const node = findNodeAtLocation(tree, segments);
      if (node) where = `${path} (${lineColumn(text, node.offset)})`;
    }
    return { where, sentence };
  };
  const { where, sentence } = placeOf(error);
  const problems = errors.length > 1 ? errors.map((e) => { const p = placeOf(e); return `${p.where}: ${p.sentence}`; }) : [];
  const more = errors.length - 1;
  throw new WorkspaceError(file, where, sentence + (more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''), 'invalid', problems);
}
