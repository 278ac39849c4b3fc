import { parseDocument, LineCounter, isMap, isSeq, isScalar, type Document, type Node } from 'yaml';
import { compileSchema, jsonPathOf } from '../../runtime/index.js';
import type { ErrorObject } from 'ajv';
import { PolicySchema, policyJsonSchema, type PolicyDocument, type Rate } from './schema.js';
import { resolvePolicy, type Policy } from './resolve.js';
import { accessProblems } from './access.js';

export type DiagnosticSeverity = 'error' | 'warning' | 'info';

/** One problem in a policy text. Lines and columns are 1-based (as Monaco's markers); end is exclusive. */
export interface PolicyDiagnostic {
  severity: DiagnosticSeverity;
  /** `yaml` (syntax), `schema` or a semantic check's name (e.g. `unknown-class`). */
  code: string;
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** JSON path of the offending value, e.g. `$.bindings[2].class`. */
  path: string;
}

export interface CheckOptions {
  /** Capacity measured or declared outside the policy, per gateway id (a policy's own gateways[].capacity wins). */
  knownCapacity?: Readonly<Record<string, Rate>>;
  /** LUNs each registered gateway exports now, per gateway id: access lists naming another LUN get a warning. */
  knownLuns?: ReadonlyMap<string, readonly string[]>;
}

export interface CheckResult {
  /** Present when there is no error (warnings allowed). */
  policy?: Policy;
  diagnostics: PolicyDiagnostic[];
}

type PathSeg = string | number;

const validate = compileSchema(PolicySchema);

/** Texts beyond this are refused before parsing: a policy is written by people, and YAML parsing is superlinear on some inputs. */
export const MAX_POLICY_BYTES = 4 * 1024 * 1024;

/**
 * Parse, validate and check a policy. Never throws on any input: every problem, from a YAML
 * syntax error to a binding naming an unknown class, comes back as a diagnostic with its place.
 */
export function checkPolicy(text: string, options: CheckOptions = {}): CheckResult {
  const lines = new LineCounter();
  const at = new Locator(text, lines);
  if (text.length > MAX_POLICY_BYTES) {
    return { diagnostics: [at.diag('error', 'too-large', `the policy is ${text.length} characters; at most ${MAX_POLICY_BYTES} are read`, [0, 0], [])] };
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (e) {
    return { diagnostics: [at.diag('error', 'yaml', `cannot parse: ${(e as Error).message}`, [0, 0], [])] };
  }
  const diagnostics: PolicyDiagnostic[] = [];
  for (const e of doc.errors) diagnostics.push(at.diag('error', 'yaml', firstLine(e.message), e.pos, []));
  for (const w of doc.warnings) diagnostics.push(at.diag('warning', 'yaml', firstLine(w.message), w.pos, []));
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics: sortDiagnostics(diagnostics) };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    diagnostics.push(at.diag('error', 'yaml', firstLine((e as Error).message), [0, 0], []));
    return { diagnostics: sortDiagnostics(diagnostics) };
  }
  if (value === null || value === undefined) {
    diagnostics.push(at.diag('error', 'schema', 'the policy is empty: it needs at least version, pollIntervalMs, classes, bindings and gateways', [0, 0], []));
    return { diagnostics: sortDiagnostics(diagnostics) };
  }

  if (!validate(value)) {
    diagnostics.push(...schemaDiagnostics(validate.errors ?? [], doc, at));
    return { diagnostics: sortDiagnostics(diagnostics) };
  }
  diagnostics.push(...semanticDiagnostics(value, doc, at, options));
  const ok = !diagnostics.some((d) => d.severity === 'error');
  return ok ? { policy: resolvePolicy(value), diagnostics: sortDiagnostics(diagnostics) } : { diagnostics: sortDiagnostics(diagnostics) };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

function sortDiagnostics(list: PolicyDiagnostic[]): PolicyDiagnostic[] {
  return list.sort((a, b) => a.line - b.line || a.column - b.column || a.message.localeCompare(b.message));
}

/** Maps YAML offsets and JSON paths to places in the text. */
class Locator {
  constructor(private readonly text: string, private readonly lines: LineCounter) {}

  diag(severity: DiagnosticSeverity, code: string, message: string, range: readonly [number, number], path: readonly PathSeg[]): PolicyDiagnostic {
    const start = Math.max(0, Math.min(range[0], this.text.length));
    let end = Math.max(start, Math.min(range[1], this.text.length));
    // An empty range is invisible in an editor: widen it to the rest of its line (or one character).
    if (end === start) {
      const nl = this.text.indexOf('\n', start);
      end = nl === -1 ? this.text.length : nl;
      if (end === start) end = Math.min(start + 1, this.text.length);
    }
    const s = this.lines.linePos(start);
    const e = this.lines.linePos(end);
    return { severity, code, message, line: s.line, column: s.col, endLine: e.line, endColumn: e.col, path: toJsonPath(path) };
  }

  /** A diagnostic on the value at `path` (or on its key, or on the nearest ancestor found). */
  onPath(doc: Document, severity: DiagnosticSeverity, code: string, message: string, path: readonly PathSeg[], onKey = false): PolicyDiagnostic {
    const found = locate(doc, path);
    const node = onKey && found.complete ? found.key ?? found.node : found.complete ? found.node : found.key ?? found.node;
    const range = node?.range ? [node.range[0], node.range[1]] as const : [0, 0] as const;
    return this.diag(severity, code, message, range, path);
  }
}

function toJsonPath(path: readonly PathSeg[]): string {
  return jsonPathOf(path.length === 0 ? '' : '/' + path.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/'));
}

interface Located {
  node: Node | null;
  key: Node | null;
  /** Whether the whole path exists; otherwise node/key are the deepest ancestor found. */
  complete: boolean;
}

function locate(doc: Document, path: readonly PathSeg[]): Located {
  let node = doc.contents as Node | null;
  let key: Node | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { node, key, complete: false };
      key = isScalar(pair.key) ? pair.key : null;
      node = (pair.value as Node | null) ?? key;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return { node, key, complete: false };
      node = item;
      key = null;
    } else {
      return { node, key, complete: false };
    }
  }
  return { node, key, complete: true };
}

function pointerToPath(pointer: string): PathSeg[] {
  if (pointer === '') return [];
  return pointer.split('/').slice(1).map((raw) => {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(seg) ? Number(seg) : seg;
  });
}

function schemaDiagnostics(errors: readonly ErrorObject[], doc: Document, at: Locator): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    let message: string;
    let onKey = false;
    let target = path;
    if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      target = [...path, extra];
      onKey = true;
      message = /^secret$|^password$|^key$|^token$/i.test(extra) && path[0] === 'gateways'
        ? `secrets are never written in a policy: put it in a file and name it with secretFile`
        : `unknown property "${extra}"${suggest(extra, schemaAt(path))}`;
    } else if (e.keyword === 'required') {
      message = `missing property "${String((e.params as { missingProperty: string }).missingProperty)}"`;
      onKey = true;
    } else if (e.keyword === 'enum') {
      message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    } else if (e.keyword === 'pattern') {
      message = path.at(-1) === 'address' ? 'must be host:port'
        : path[0] === 'access' && path.at(-1) === 'lun' ? 'a LUN name may hold letters, digits and _ . : - (starting with a letter or digit; no "/")'
          : path[0] === 'access' && path.at(-1) === 'host' ? 'a host name may hold letters, digits and _ . : - (starting with a letter or digit; no "/"), or be * for any host'
            : 'may hold letters, digits and _ . : / - (starting with a letter or digit)';
    } else {
      message = e.message ?? e.keyword;
    }
    const where = toJsonPath(target);
    const full = `${where}: ${message}`;
    if (seen.has(full)) continue;
    seen.add(full);
    out.push(at.onPath(doc, 'error', 'schema', full, target, onKey));
  }
  return out;
}

/** The sub-schema describing the value at `path` (ajv reports it only in verbose mode). */
function schemaAt(path: readonly PathSeg[]): unknown {
  let node: unknown = policyJsonSchema;
  for (const seg of path) {
    const n = node as { properties?: Record<string, unknown>; items?: unknown } | undefined;
    node = typeof seg === 'number' ? n?.items : n?.properties?.[seg];
  }
  return node;
}

function suggest(word: string, objectSchema: unknown): string {
  const props = Object.keys((objectSchema as { properties?: object } | undefined)?.properties ?? {});
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const p of props) {
    const d = editDistance(word.toLowerCase(), p.toLowerCase());
    if (d < bestDistance) { best = p; bestDistance = d; }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Infinity;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function semanticDiagnostics(p: PolicyDocument, doc: Document, at: Locator, options: CheckOptions): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const err = (code: string, message: string, path: PathSeg[]) => out.push(at.onPath(doc, 'error', code, message, path));
  const warn = (code: string, message: string, path: PathSeg[]) => out.push(at.onPath(doc, 'warning', code, message, path));

  const classIndex = new Map<string, number>();
  p.classes.forEach((c, i) => {
    const first = classIndex.get(c.name);
    if (first !== undefined) err('duplicate-class', `class "${c.name}" is already defined (classes[${first}])`, ['classes', i, 'name']);
    else classIndex.set(c.name, i);
  });
  const gatewayIndex = new Map<string, number>();
  p.gateways.forEach((g, i) => {
    const first = gatewayIndex.get(g.id);
    if (first !== undefined) err('duplicate-gateway', `gateway "${g.id}" is already listed (gateways[${first}])`, ['gateways', i, 'id']);
    else gatewayIndex.set(g.id, i);
  });
  const addressIndex = new Map<string, number>();
  p.gateways.forEach((g, i) => {
    if (g.address === undefined) return; // a gateway that connects in
    const first = addressIndex.get(g.address);
    if (first !== undefined) warn('duplicate-address', `gateways[${first}] dials the same address ${g.address}`, ['gateways', i, 'address']);
    else addressIndex.set(g.address, i);
  });

  p.classes.forEach((c, i) => {
    for (const dim of ['iops', 'mbps'] as const) {
      const limit = c.limit?.[dim] ?? 0;
      const floor = c.floor?.[dim] ?? 0;
      const reservation = c.reservation?.[dim] ?? 0;
      if (limit > 0 && floor > limit) err('floor-above-limit', `floor ${floor} ${unit(dim)} is above the class limit of ${limit} ${unit(dim)}`, ['classes', i, 'floor', dim]);
      if (limit > 0 && reservation > limit) err('reservation-above-limit', `reservation ${reservation} ${unit(dim)} is above the class limit of ${limit} ${unit(dim)}`, ['classes', i, 'reservation', dim]);
      if (c.throttleable && reservation > 0 && floor > 0 && floor < reservation) {
        warn('floor-below-reservation', `floor ${floor} ${unit(dim)} is below the reservation of ${reservation} ${unit(dim)}: throttling stops at the reservation`, ['classes', i, 'floor', dim]);
      }
    }
    if (c.floor !== undefined && !c.throttleable) warn('floor-not-throttleable', `class "${c.name}" has a floor but is not throttleable: the floor has no effect`, ['classes', i, 'floor']);
    if (c.throttleable && (c.floor?.iops ?? 0) === 0 && (c.floor?.mbps ?? 0) === 0 && (c.reservation?.iops ?? 0) === 0 && (c.reservation?.mbps ?? 0) === 0) {
      warn('no-floor', `class "${c.name}" is throttleable without a floor or reservation: it may be throttled to a trickle`, ['classes', i, 'throttleable']);
    }
    const protects = c.latencyTarget !== undefined || (c.reservation?.iops ?? 0) > 0 || (c.reservation?.mbps ?? 0) > 0;
    if (protects && (p.atRisk?.throttleLowerClasses ?? true) && !p.classes.some((o) => o.priority > c.priority && o.throttleable === true)) {
      warn('nothing-to-throttle', `class "${c.name}" has targets but no throttleable class has a lower priority (a larger number): the analyzer can only alert`, ['classes', i, 'priority']);
    }
    if (!p.bindings.some((b) => b.class === c.name)) warn('unused-class', `no binding uses class "${c.name}"`, ['classes', i, 'name']);
  });

  const bindingKeys = new Map<string, number>();
  p.bindings.forEach((b, i) => {
    if (!classIndex.has(b.class)) {
      const known = [...classIndex.keys()];
      err('unknown-class', `unknown class "${b.class}"${known.length ? ` (classes: ${known.join(', ')})` : ''}`, ['bindings', i, 'class']);
    }
    if (b.gateway !== undefined && !gatewayIndex.has(b.gateway)) err('unknown-gateway', `unknown gateway "${b.gateway}": it is not in gateways`, ['bindings', i, 'gateway']);
    const key = `${b.gateway ?? '*'}\u0000${b.host}\u0000${b.lun ?? '*'}`;
    const first = bindingKeys.get(key);
    if (first !== undefined) err('duplicate-binding', `host "${b.host}"${b.lun ? ` LUN "${b.lun}"` : ''} is already bound (bindings[${first}])`, ['bindings', i, 'host']);
    else bindingKeys.set(key, i);
  });

  for (const problem of accessProblems(p, options.knownLuns)) out.push(at.onPath(doc, problem.severity, problem.code, problem.message, problem.path));
  out.push(...capacityDiagnostics(p, doc, at, options));
  return out;
}

function unit(dim: 'iops' | 'mbps'): string {
  return dim === 'iops' ? 'IOPS' : 'MB/s';
}

/**
 * Reservations must fit in what the storage behind each gateway can deliver. A binding counts
 * against the gateway it names, or against the only gateway when there is one; a binding for
 * "every gateway" in a larger fleet cannot be placed statically and is not counted.
 */
function capacityDiagnostics(p: PolicyDocument, doc: Document, at: Locator, options: CheckOptions): PolicyDiagnostic[] {
  const out: PolicyDiagnostic[] = [];
  const classes = new Map(p.classes.map((c) => [c.name, c]));
  p.gateways.forEach((g) => {
    const capacity = { iops: g.capacity?.iops ?? options.knownCapacity?.[g.id]?.iops ?? 0, mbps: g.capacity?.mbps ?? options.knownCapacity?.[g.id]?.mbps ?? 0 };
    for (const dim of ['iops', 'mbps'] as const) {
      if (capacity[dim] <= 0) continue;
      let total = 0;
      let reported = false;
      p.bindings.forEach((b, bi) => {
        const onThis = b.gateway === g.id || (b.gateway === undefined && p.gateways.length === 1);
        const reservation = classes.get(b.class)?.reservation?.[dim] ?? 0;
        if (!onThis || reservation <= 0) return;
        total += reservation;
        if (total > capacity[dim] && !reported) {
          reported = true;
          const source = g.capacity?.[dim] !== undefined ? 'its declared capacity' : 'its known capacity';
          out.push(at.onPath(doc, 'error', 'reservations-exceed-capacity',
            `reservations on gateway "${g.id}" reach ${total} ${unit(dim)} with this binding, above ${source} of ${capacity[dim]} ${unit(dim)}`,
            ['bindings', bi, 'class']));
        }
      });
    }
  });
  return out;
}
