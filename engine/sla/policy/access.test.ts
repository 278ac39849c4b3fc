import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { accessListsFor, checkPolicy, policyCompletionsAt, policyHoverAt, type PolicyDiagnostic } from './index.js';

const base = `version: 1
name: t
pollIntervalMs: 1000
classes:
  - name: gold
    priority: 1
bindings:
  - { host: a, class: gold }
gateways:
  - id: gw1
    secretFile: s
  - id: gw2
    secretFile: s
`;

function withAccess(access: string): string {
  return `${base}access:\n${access}`;
}

function diagnostics(text: string, knownLuns?: ReadonlyMap<string, readonly string[]>): PolicyDiagnostic[] {
  return checkPolicy(text, knownLuns ? { knownLuns } : {}).diagnostics;
}

/** The text of the line a diagnostic points at, from its column. */
function at(text: string, d: PolicyDiagnostic): string {
  return text.split('\n')[d.line - 1]!.slice(d.column - 1);
}

describe('policy access lists', () => {
  it('accept per-LUN lists of hosts with rw/ro modes, and hand each gateway its own (a gateway-specific list wins)', () => {
    const text = withAccess(`  - lun: lun0
    hosts:
      - { host: a, mode: rw }
      - { host: b, mode: ro }
  - lun: lun0
    gateway: gw2
    hosts:
      - host: c
  - lun: lun1
    hosts: []
`);
    const result = checkPolicy(text);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const policy = result.policy!;
    expect(accessListsFor(policy, 'gw1')).toEqual([
      { lun: 'lun0', hosts: [{ host: 'a', mode: 'rw' }, { host: 'b', mode: 'ro' }] },
      { lun: 'lun1', hosts: [] },
    ]);
    // The mode defaults to rw; gw2's own list for lun0 replaces the list for every gateway.
    expect(accessListsFor(policy, 'gw2')).toEqual([{ lun: 'lun0', hosts: [{ host: 'c', mode: 'rw' }] }, { lun: 'lun1', hosts: [] }]);
    expect(accessListsFor(checkPolicy(base).policy!, 'gw1')).toEqual([]);
  });

  it('name the line and column of a bad mode, a duplicate host, a duplicate list and an unknown gateway', () => {
    const text = withAccess(`  - lun: lun0
    hosts:
      - { host: a, mode: rx }
  - lun: lun1
    gateway: gw9
    hosts:
      - host: b
      - host: c
      - host: b
  - lun: lun1
    gateway: gw9
    hosts: []
`);
    const mode = diagnostics(text).find((d) => d.path === '$.access[0].hosts[0].mode')!;
    expect(mode).toMatchObject({ severity: 'error', code: 'schema', line: 17 });
    expect(mode.message).toContain('"rw", "ro"');
    expect(at(text, mode)).toMatch(/^rx/);
    const fixed = text.replace('mode: rx', 'mode: ro');
    const found = diagnostics(fixed).filter((d) => d.severity === 'error');
    expect(found.map((d) => [d.code, d.line, d.path])).toEqual([
      ['unknown-gateway', 19, '$.access[1].gateway'],
      ['duplicate-host', 23, '$.access[1].hosts[2].host'],
      ['duplicate-access', 24, '$.access[2].lun'],
      ['unknown-gateway', 25, '$.access[2].gateway'],
    ]);
    expect(found[1]!.message).toContain('hosts[0]');
    expect(found[2]!.message).toContain('access[1]');
    expect(at(fixed, found[1]!)).toBe('b');
  });

  it('refuse a LUN name with a slash, an empty host, and prototype names as hosts or LUNs are ordinary names', () => {
    const slash = diagnostics(withAccess('  - lun: gold/lun0\n    hosts: []\n'));
    expect(slash.find((d) => d.path === '$.access[0].lun')?.message).toContain('no "/"');
    expect(diagnostics(withAccess('  - lun: lun0\n    hosts:\n      - host: ""\n')).some((d) => d.path === '$.access[0].hosts[0].host' && d.severity === 'error')).toBe(true);
    // __proto__ cannot be a name at all (it starts with _), and is reported, not merged into an object.
    const proto = diagnostics(withAccess('  - lun: __proto__\n    hosts:\n      - host: __proto__\n'));
    expect(proto.filter((d) => d.severity === 'error').map((d) => d.path)).toEqual(['$.access[0].lun', '$.access[0].hosts[0].host']);
    // Names that a plain object would answer (constructor, toString) are hosts and LUNs like any other.
    const text = withAccess(`  - lun: constructor
    hosts:
      - { host: toString }
      - { host: hasOwnProperty, mode: ro }
      - { host: toString }
`);
    const duplicate = diagnostics(text, new Map([['gw1', ['constructor']], ['gw2', []]])).filter((d) => d.severity === 'error');
    expect(duplicate.map((d) => d.code)).toEqual(['duplicate-host']);
    const ok = checkPolicy(text.replace(/\n {6}- \{ host: toString \}\n$/, '\n'));
    expect(accessListsFor(ok.policy!, 'gw1')).toEqual([{ lun: 'constructor', hosts: [{ host: 'toString', mode: 'rw' }, { host: 'hasOwnProperty', mode: 'ro' }] }]);
  });

  it('warn, at its place, about a LUN no registered gateway exports', () => {
    const text = withAccess('  - lun: lun7\n    gateway: gw1\n    hosts: []\n  - lun: lun0\n    hosts: []\n');
    const known = new Map([['gw1', ['lun0', 'lun1']]]);
    const found = diagnostics(text, known);
    expect(found.filter((d) => d.code === 'unknown-lun').map((d) => [d.severity, d.line, d.path])).toEqual([['warning', 15, '$.access[0].lun']]);
    expect(found.find((d) => d.code === 'unknown-lun')!.message).toContain('it exports lun0, lun1');
    expect(checkPolicy(text, { knownLuns: known }).policy).toBeDefined();
    expect(diagnostics(text).some((d) => d.code === 'unknown-lun')).toBe(false);
  });

  it('bound the number of hosts in all lists', () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => `      - host: h${i}`).join('\n');
    const lists = Array.from({ length: 9 }, (_, i) => `  - lun: lun${i}\n    hosts:\n${hosts}\n`).join('');
    const found = diagnostics(withAccess(lists)).filter((d) => d.code === 'too-many-access-hosts');
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe('$.access[8].hosts');
  });

  it('property: any generated lists check clean and come back for each gateway exactly as written, unique and bounded', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,12}$/);
    const host = fc.oneof(name, fc.constant('*'), fc.constantFrom('constructor', 'toString', 'valueOf'));
    const entry = fc.record({
      lun: fc.oneof(name, fc.constantFrom('constructor', 'hasOwnProperty')),
      gateway: fc.option(fc.constantFrom('gw1', 'gw2'), { nil: undefined }),
      hosts: fc.uniqueArray(fc.record({ host, mode: fc.option(fc.constantFrom('rw' as const, 'ro' as const), { nil: undefined }) }), { selector: (g) => g.host, maxLength: 6 }),
    });
    const entries = fc.uniqueArray(entry, { selector: (e) => `${e.gateway ?? ''}/${e.lun}`, maxLength: 8 });
    fc.assert(fc.property(entries, (list) => {
      const yaml = list.map((e) => `  - lun: "${e.lun}"\n${e.gateway ? `    gateway: ${e.gateway}\n` : ''}    hosts:${e.hosts.length ? '' : ' []'}\n${e.hosts.map((g) => `      - host: "${g.host}"\n${g.mode ? `        mode: ${g.mode}\n` : ''}`).join('')}`).join('');
      const result = checkPolicy(list.length ? withAccess(yaml) : base);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      for (const gw of ['gw1', 'gw2']) {
        const got = accessListsFor(result.policy!, gw);
        expect(new Set(got.map((l) => l.lun)).size).toBe(got.length);
        for (const l of got) {
          const source = list.find((e) => e.lun === l.lun && e.gateway === gw) ?? list.find((e) => e.lun === l.lun && e.gateway === undefined);
          expect(l.hosts).toEqual(source!.hosts.map((g) => ({ host: g.host, mode: g.mode ?? 'rw' })));
        }
        expect(got.length).toBe(new Set(list.filter((e) => e.gateway === undefined || e.gateway === gw).map((e) => e.lun)).size);
      }
    }), { numRuns: 200 });
  });

  it('completion and hover know the new keys', () => {
    const labels = (text: string): string[] => {
      const lines = text.split('\n');
      return policyCompletionsAt(text, lines.length, lines.at(-1)!.length + 1).map((c) => c.label);
    };
    expect(labels('version: 1\nacc')).toContain('access');
    expect(labels('access:\n  - ')).toEqual(expect.arrayContaining(['lun', 'gateway', 'hosts']));
    expect(labels('access:\n  - lun: lun0\n    hosts:\n      - ')).toEqual(['host', 'mode']);
    expect(labels('access:\n  - lun: lun0\n    hosts:\n      - host: a\n        mode: ')).toEqual(['rw', 'ro']);
    const text = withAccess('  - lun: lun0\n    hosts:\n      - host: a\n        mode: ro\n');
    expect(policyHoverAt(text, 18, 10)?.doc).toContain('read-only');
    expect(policyHoverAt(text, 14, 3)?.doc).toContain('Per-LUN access lists');
  });
});
