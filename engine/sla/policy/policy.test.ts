import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileSchema } from '../../runtime/index.js';
import { checkPolicy, classOf, docForPath, PolicyManager, policyJsonSchema, PolicySchema, type PolicyDiagnostic } from './index.js';

const samples = path.join(import.meta.dirname, '../../../samples/policies');
const goldBronze = readFileSync(path.join(samples, 'gold-bronze.yaml'), 'utf8');

const base = `version: 1
name: t
pollIntervalMs: 1000
classes:
  - name: gold
    priority: 1
    latencyTarget: { percentile: p99, ms: 5 }
  - name: bronze
    priority: 2
    throttleable: true
    floor: { iops: 100 }
bindings:
  - { host: a, class: gold }
  - { host: b, class: bronze }
gateways:
  - id: gw1
    address: 127.0.0.1:10900
    secretFile: s
`;

function errors(text: string, options = {}): PolicyDiagnostic[] {
  return checkPolicy(text, options).diagnostics.filter((d) => d.severity === 'error');
}

/** The text a diagnostic's range covers. */
function covered(text: string, d: PolicyDiagnostic): string {
  const lines = text.split('\n');
  if (d.line !== d.endLine) return lines[d.line - 1]!.slice(d.column - 1);
  return lines[d.line - 1]!.slice(d.column - 1, d.endColumn - 1);
}

describe('checkPolicy', () => {
  it('accepts every sample policy except the deliberately invalid one', () => {
    for (const f of ['gold-bronze.yaml', 'gold-silver-bronze.yaml']) {
      const r = checkPolicy(readFileSync(path.join(samples, f), 'utf8'));
      expect(r.diagnostics.filter((d) => d.severity === 'error'), f).toEqual([]);
      expect(r.policy, f).toBeDefined();
    }
    expect(checkPolicy(readFileSync(path.join(samples, 'invalid-example.yaml'), 'utf8')).policy).toBeUndefined();
  });

  it('resolves the gold/bronze scenario with its defaults', () => {
    const p = checkPolicy(goldBronze).policy!;
    const gold = p.classes.find((c) => c.name === 'gold')!;
    const bronze = p.classes.find((c) => c.name === 'bronze')!;
    expect(gold.latencyTarget).toEqual({ percentile: 'p99', ms: 20 });
    expect(gold.throttleable).toBe(false);
    expect(bronze.throttleable).toBe(true);
    expect(bronze.floor.iops).toBeGreaterThan(0);
    expect(classOf(p, 'gw1', 'gold', 'lun0')?.name).toBe('gold');
    expect(classOf(p, 'gw1', 'bronze', 'lun1')?.name).toBe('bronze');
    expect(classOf(p, 'gw1', 'stranger', 'lun0')).toBeUndefined();
  });

  it('reports a YAML syntax error with its line and column', () => {
    const text = base.replace('    priority: 1\n', '    priority: [1\n');
    const [d] = errors(text);
    expect(d?.code).toBe('yaml');
    expect(d?.line).toBeGreaterThanOrEqual(6);
  });

  it('points a schema error at the offending value', () => {
    const text = base.replace('ms: 5', 'ms: -5');
    const [d] = errors(text);
    expect(d?.code).toBe('schema');
    expect(d?.path).toBe('$.classes[0].latencyTarget.ms');
    expect(d?.line).toBe(7);
    expect(covered(text, d!)).toBe('-5');
  });

  it('names an unknown property at its key and suggests the right one', () => {
    const text = base.replace('    throttleable: true', '    throttleabel: true');
    const [d] = errors(text);
    expect(d?.message).toContain('unknown property "throttleabel"');
    expect(d?.message).toContain('did you mean "throttleable"');
    expect(covered(text, d!)).toBe('throttleabel');
  });

  it('refuses an inline secret with a message that says where secrets go', () => {
    const text = base.replace('    secretFile: s', '    secret: hunter2');
    const messages = errors(text).map((d) => d.message).join('\n');
    expect(messages).toContain('secretFile');
    expect(messages).toMatch(/never written/);
  });

  it('finds an unknown class in a binding', () => {
    const text = base.replace('{ host: b, class: bronze }', '{ host: b, class: platinum }');
    const ds = errors(text);
    expect(ds.map((d) => d.code)).toEqual(['unknown-class']);
    expect(ds[0]!.line).toBe(14);
    expect(covered(text, ds[0]!)).toBe('platinum');
  });

  it('finds duplicate class names, gateways and bindings', () => {
    expect(errors(base.replace('  - name: bronze', '  - name: gold')).map((d) => d.code)).toContain('duplicate-class');
    expect(errors(base + '  - id: gw1\n    address: 127.0.0.1:1\n    secretFile: t\n').map((d) => d.code)).toContain('duplicate-gateway');
    expect(errors(base.replace('{ host: b, class: bronze }', '{ host: a, class: bronze }')).map((d) => d.code)).toContain('duplicate-binding');
  });

  it('finds a floor above the limit', () => {
    const text = base.replace('floor: { iops: 100 }', 'floor: { iops: 100 }\n    limit: { iops: 50 }');
    const ds = errors(text);
    expect(ds.map((d) => d.code)).toEqual(['floor-above-limit']);
    expect(ds[0]!.path).toBe('$.classes[1].floor.iops');
  });

  it('checks reservations against declared and known capacity', () => {
    const reserved = base.replace('ms: 5 }', 'ms: 5 }\n    reservation: { iops: 600 }');
    expect(errors(reserved)).toEqual([]);
    expect(errors(reserved, { knownCapacity: { gw1: { iops: 500 } } }).map((d) => d.code)).toEqual(['reservations-exceed-capacity']);
    expect(errors(reserved, { knownCapacity: { gw1: { iops: 700 } } })).toEqual([]);
    const declared = reserved.replace('    secretFile: s', '    secretFile: s\n    capacity: { iops: 100 }');
    expect(errors(declared, { knownCapacity: { gw1: { iops: 10_000 } } }).map((d) => d.code)).toEqual(['reservations-exceed-capacity']);
  });

  it('warns about a throttleable class without a floor', () => {
    const r = checkPolicy(base.replace('    floor: { iops: 100 }\n', ''));
    expect(r.policy).toBeDefined();
    expect(r.diagnostics.map((d) => d.code)).toContain('no-floor');
  });

  it('reports an empty document and duplicate keys', () => {
    expect(errors('').length).toBe(1);
    expect(errors('# just a comment\n').length).toBe(1);
    expect(errors(base + 'pollIntervalMs: 5\n').map((d) => d.code)).toContain('yaml');
  });

  it('never crashes, and every diagnostic lies inside the text, on random and mutated input', () => {
    const lineCount = (t: string) => t.split('\n').length;
    const wellPlaced = (text: string) => {
      const r = checkPolicy(text);
      for (const d of r.diagnostics) {
        expect(d.line).toBeGreaterThanOrEqual(1);
        expect(d.line).toBeLessThanOrEqual(lineCount(text));
        expect(d.endLine).toBeGreaterThanOrEqual(d.line);
        expect(d.column).toBeGreaterThanOrEqual(1);
        expect(typeof d.message).toBe('string');
      }
      // A policy comes back only without errors, and then it satisfies the schema.
      if (r.policy) expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(false);
      return r;
    };
    const seeds = [base, goldBronze];
    const mutation = fc.record({
      seed: fc.integer({ min: 0, max: seeds.length - 1 }),
      edits: fc.array(fc.record({
        at: fc.nat(),
        del: fc.integer({ min: 0, max: 8 }),
        insert: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(':', '-', '[', '{', '"', '&a', '*a', '!!binary', '\n  ', '\t', '# ', '0x', '1e400', 'null', '~', '<<: *a')),
      }), { minLength: 1, maxLength: 6 }),
    });
    fc.assert(fc.property(mutation, ({ seed, edits }) => {
      let text = seeds[seed]!;
      for (const e of edits) {
        const at = e.at % (text.length + 1);
        text = text.slice(0, at) + e.insert + text.slice(at + e.del);
      }
      wellPlaced(text);
    }), { numRuns: 400 });
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => { wellPlaced(text); }), { numRuns: 300 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => { wellPlaced(JSON.stringify(value)); }), { numRuns: 200 });
  });

  it('survives an alias bomb', () => {
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n';
    expect(errors(bomb).length).toBeGreaterThan(0);
  });
});

describe('schema for the editor', () => {
  it('is the validator\'s schema and documents the fields', () => {
    const validate = compileSchema(PolicySchema);
    expect(validate({ version: 1, pollIntervalMs: 1000, classes: [{ name: 'g', priority: 1 }], bindings: [], gateways: [] })).toBe(true);
    expect(JSON.stringify(policyJsonSchema)).toBe(JSON.stringify(PolicySchema));
    expect(docForPath(['classes', 0, 'latencyTarget', 'ms'])).toMatch(/milliseconds/);
    expect(docForPath(['gateways', 3, 'secretFile'])).toMatch(/never written/);
    expect(docForPath(['pollIntervalMs'])).toMatch(/poll/);
  });
});

describe('PolicyManager', () => {
  it('applies valid policies, refuses invalid ones, and keeps the last valid one active', () => {
    let clock = 1000;
    const manager = new PolicyManager({ now: () => clock });
    const applied: number[] = [];
    manager.onApplied((v) => applied.push(v.version));
    expect(manager.active()).toBeNull();
    const first = manager.apply(goldBronze, 'test');
    expect(first.ok).toBe(true);
    clock = 2000;
    const bad = manager.apply(goldBronze.replace('class: bronze', 'class: nosuch'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['unknown-class']);
      expect(bad.active?.version).toBe(1);
    }
    expect(manager.active()?.name).toBe('gold-bronze');
    clock = 3000;
    const second = manager.apply(goldBronze.replace('ms: 20', 'ms: 15'));
    expect(second.ok).toBe(true);
    expect(manager.active()?.classes[0]!.latencyTarget?.ms).toBe(15);
    expect(manager.history().map((v) => [v.version, v.appliedAt])).toEqual([[1, 1000], [2, 3000]]);
    expect(manager.history()[0]!.text).toBe(goldBronze);
    expect(applied).toEqual([1, 2]);
    expect(manager.check('version: 2').ok).toBe(false);
    expect(manager.history().length).toBe(2);
  });

  it('admits only the gateways of the active policy', () => {
    const manager = new PolicyManager();
    expect(manager.admitGateway('gw1').admitted).toBe(false);
    manager.apply(goldBronze);
    expect(manager.admitGateway('gw1').admitted).toBe(true);
    const refused = manager.admitGateway('rogue');
    expect(refused.admitted).toBe(false);
  });

  it('resumes from a recorded history', () => {
    const manager = new PolicyManager({ history: [{ version: 7, appliedAt: 5, name: 'gold-bronze', text: goldBronze, source: 'db', warnings: [] }] });
    expect(manager.active()?.name).toBe('gold-bronze');
    const next = manager.apply(goldBronze);
    expect(next.ok && next.version.version).toBe(8);
  });
});

describe('policyHoverAt', () => {
  it('documents the key or value under the cursor', async () => {
    const { policyHoverAt } = await import('./index.js');
    const lines = base.split('\n');
    const at = (needle: string, lineNo: number) => policyHoverAt(base, lineNo, lines[lineNo - 1]!.indexOf(needle) + 1);
    expect(at('pollIntervalMs', 3)?.path).toEqual(['pollIntervalMs']);
    expect(at('ms', 7)).toMatchObject({ path: ['classes', 0, 'latencyTarget', 'ms'], doc: expect.stringMatching(/milliseconds/) });
    expect(at('5', 7)?.path).toEqual(['classes', 0, 'latencyTarget', 'ms']);
    expect(at('throttleable', 10)?.doc).toMatch(/throttle/);
    expect(policyHoverAt(base, 999, 1)).toBeNull();
    fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.nat(20), fc.nat(80), (text, l, c) => { policyHoverAt(text, l + 1, c + 1); }), { numRuns: 200 });
  });
});

describe('policyCompletionsAt', () => {
  it('offers the schema\'s properties and values where the cursor is', async () => {
    const { policyCompletionsAt } = await import('./index.js');
    const labels = (text: string) => {
      const lines = text.split('\n');
      return policyCompletionsAt(text, lines.length, lines.at(-1)!.length + 1).map((c) => c.label);
    };
    expect(labels('version: 1\npoll')).toContain('pollIntervalMs');
    expect(labels('version: 1\npoll')).not.toContain('version');
    expect(labels('classes:\n  - name: gold\n    ')).toEqual(expect.arrayContaining(['priority', 'latencyTarget', 'floor']));
    expect(labels('classes:\n  - name: gold\n    ')).not.toContain('name');
    expect(labels('classes:\n  - name: gold\n    latencyTarget:\n      percentile: ')).toEqual(['p95', 'p99']);
    expect(labels('classes:\n  - name: gold\n    throttleable: ')).toEqual(['true', 'false']);
    expect(labels('atRisk:\n  alert: ')).toEqual(['none', 'info', 'warning', 'critical']);
    expect(labels('gateways:\n  - ')).toEqual(expect.arrayContaining(['id', 'address', 'secretFile']));
    fc.assert(fc.property(fc.string({ maxLength: 200 }), fc.nat(20), fc.nat(80), (text, l, c) => { policyCompletionsAt(text, l + 1, c + 1); }), { numRuns: 300 });
  });
});
