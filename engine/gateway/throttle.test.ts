import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntityStats, ThrottleGate, compileAttributionRule, parseExportSpec, parseLimitSpec, parseSize } from './index.js';
import { VirtualClock } from './virtual-clock.js';

interface Io { throttleBytes: number; id: number }

/** A closed-loop client with `depth` requests outstanding, like fio at an iodepth. */
function closedLoop(gate: ThrottleGate<Io>, released: Io[], depth: number, bytes: number): { submit: () => void } {
  let next = 0;
  const submit = (): void => {
    const io = { throttleBytes: bytes, id: next++ };
    if (gate.tryPass(bytes)) released.push(io);
    else gate.enqueue(io);
  };
  for (let i = 0; i < depth; i++) submit();
  return { submit };
}

function runCapped(limits: { iops?: number; mbps?: number }, bytes: number, seconds: number, lateMs: number, depth = 16): number {
  const clock = new VirtualClock();
  const released: Io[] = [];
  const gate = new ThrottleGate<Io>((io) => { released.push(io); }, clock);
  gate.setLimits(limits);
  const loop = closedLoop(gate, released, depth, bytes);
  // Each released request completes within the millisecond and the client sends the next:
  // the gate alone sets the pace.
  let handled = 0;
  const drainPassed = (): void => { while (handled < released.length) { handled++; loop.submit(); } };
  const end = seconds * 1000;
  for (let t = 0; t <= end; t += 1) { clock.runUntil(t, lateMs); drainPassed(); if (released.length > 5e6) break; }
  return released.length;
}

describe('token-bucket throttles', () => {
  it('holds a steady closed-loop workload at the IOPS cap within 5%, even with late timers (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 50, max: 20_000 }), fc.integer({ min: 0, max: 4 }), (cap, late) => {
      const done = runCapped({ iops: cap }, 4096, 5, late);
      expect(done / 5).toBeGreaterThan(cap * 0.95);
      expect(done / 5).toBeLessThan(cap * 1.05);
    }), { numRuns: 25 });
  });

  it('caps bandwidth in MB/s, including requests larger than the burst', () => {
    for (const bytes of [4096, 1 << 20]) {
      const done = runCapped({ mbps: 50 }, bytes, 5, 1);
      const mbps = (done * bytes) / 1e6 / 5;
      expect(mbps).toBeGreaterThan(50 * 0.95);
      expect(mbps).toBeLessThan(50 * 1.05);
    }
  });

  it('makes requests wait, in order, never refusing one; a live change applies to the queue at once', () => {
    const clock = new VirtualClock();
    const released: number[] = [];
    const gate = new ThrottleGate<Io>((io) => released.push(io.id), clock);
    gate.setLimits({ iops: 100 });
    let passedNow = 0;
    for (let id = 0; id < 300; id++) {
      if (gate.tryPass(0)) { passedNow++; released.push(id); } else gate.enqueue({ throttleBytes: 0, id });
    }
    expect(passedNow).toBeLessThanOrEqual(6); // the 50 ms burst, plus one on credit
    clock.runUntil(1000);
    const afterOneSecond = released.length;
    expect(afterOneSecond - passedNow).toBeGreaterThan(95);
    expect(afterOneSecond - passedNow).toBeLessThan(105);
    gate.setLimits({ iops: 1000 });
    clock.runUntil(1100);
    expect(released.length - afterOneSecond).toBeGreaterThan(95);
    gate.setLimits({});
    expect(released.length).toBe(300);
    expect(released).toEqual([...released].sort((a, b) => a - b));
    expect(gate.waiting).toBe(0);
  });
});

describe('per-interval statistics', () => {
  it('reports IOPS, MB/s, latency percentiles from the histogram, queue depth and errors, then starts afresh', () => {
    const stats = new EntityStats('pair', 'db1', 'lun0', { wall: 0, mono: 0 });
    for (let i = 1; i <= 1000; i++) { stats.arrive(); stats.complete(true, false, 4096, i, false); }
    for (let i = 0; i < 10; i++) { stats.arrive(); stats.arrive(); stats.complete(false, true, 65536, 100, false); stats.complete(false, true, 65536, 100, true); }
    const s = stats.take({ wall: 2000, mono: 2000 });
    expect(s.readIops).toBeCloseTo(500, 6);
    expect(s.writeIops).toBeCloseTo(5, 6);
    expect(s.readMBps).toBeCloseTo((1000 * 4096) / 1e6 / 2, 6);
    expect(s.readLatencyUs.p50).toBeGreaterThanOrEqual(495);
    expect(s.readLatencyUs.p50).toBeLessThanOrEqual(505);
    expect(s.readLatencyUs.p99).toBeGreaterThanOrEqual(985);
    expect(s.readLatencyUs.p99).toBeLessThanOrEqual(1000);
    expect(s.readLatencyUs.max).toBeGreaterThanOrEqual(995);
    expect(s.queueDepthMax).toBe(2);
    expect(s.errors).toBe(10);
    expect(s.name).toBe('db1/lun0');
    const next = stats.take({ wall: 3000, mono: 3000 });
    expect(next.readIops).toBe(0);
    expect(next.readLatencyUs.count).toBe(0);
  });
});

describe('host and LUN figures from their pairs', () => {
  it('sums counts and merges histograms of every pair of a host, keeping the host\'s own queue depth', () => {
    const now = { wall: 0, mono: 0 };
    const host = new EntityStats('host', 'web', '', now);
    const a = new EntityStats('pair', 'web', 'lun0', now);
    const b = new EntityStats('pair', 'web', 'lun1', now);
    for (let i = 0; i < 100; i++) { a.arrive(); host.arrive(); a.complete(true, false, 4096, 100, false); host.leave(); }
    for (let i = 0; i < 100; i++) { b.arrive(); b.arrive(); host.arrive(); host.arrive(); b.complete(true, false, 4096, 10_000, false); b.complete(false, false, 0, 5, true); host.leave(); host.leave(); }
    host.absorb(a);
    host.absorb(b);
    const end = { wall: 1000, mono: 1000 };
    const h = host.take(end);
    expect(h.readIops).toBeCloseTo(200, 6);
    expect(h.errors).toBe(100);
    expect(h.readLatencyUs.p50).toBeLessThanOrEqual(101);
    expect(h.readLatencyUs.p99).toBeGreaterThanOrEqual(9900);
    expect(h.queueDepthMax).toBe(2);
    expect(a.take(end).readIops).toBeCloseTo(100, 6);
  });
});

describe('attribution and configuration', () => {
  it('takes the host from TLS, then an address range; refuses a HOST/LUN that disagrees; lets others self-declare', () => {
    const rule = compileAttributionRule({ ranges: [{ host: 'db', cidr: '10.1.0.0/16' }, { host: 'lo2', cidr: '127.0.0.2' }], provenHosts: ['gold'] });
    const plain = (address: string) => ({ address, tlsIdentity: null });
    expect(rule.resolve('lun0', plain('::ffff:10.1.2.3'))).toEqual({ ok: true, attribution: { host: 'db', lun: 'lun0', via: 'address-range' } });
    expect(rule.resolve('db/lun0', plain('10.1.2.3'))).toMatchObject({ ok: true, attribution: { host: 'db' } });
    expect(rule.resolve('lun0', plain('127.0.0.2'))).toMatchObject({ ok: true, attribution: { host: 'lo2' } });
    // In db's range, naming another host: refused, not a new budget.
    expect(rule.resolve('web/lun0', plain('10.1.2.3'))).toMatchObject({ ok: false, reason: expect.stringContaining('"web" but the client is "db"') });
    // Outside every range: a host bound to a range or a PSK cannot be claimed; an unbound one can.
    expect(rule.resolve('db/lun0', plain('10.2.0.1'))).toMatchObject({ ok: false });
    expect(rule.resolve('gold/lun0', plain('10.2.0.1'))).toMatchObject({ ok: false });
    expect(rule.resolve('web/lun0', plain('10.2.0.1'))).toEqual({ ok: true, attribution: { host: 'web', lun: 'lun0', via: 'export-name' } });
    expect(rule.resolve('lun0', plain('10.2.0.1'))).toEqual({ ok: true, attribution: { host: '10.2.0.1', lun: 'lun0', via: 'address' } });
    // TLS identity wins over the address range.
    expect(rule.resolve('gold/lun0', { address: '10.1.2.3', tlsIdentity: 'gold' })).toMatchObject({ ok: true, attribution: { host: 'gold', via: 'tls' } });
    expect(rule.resolve('db/lun0', { address: '10.1.2.3', tlsIdentity: 'gold' })).toMatchObject({ ok: false });
    expect(rule.selfDeclared).toBe(false);
    expect(compileAttributionRule({ ranges: [] }).selfDeclared).toBe(true);
    expect(() => compileAttributionRule({ ranges: [{ host: 'x', cidr: '10.0.0.0/40' }] })).toThrow(/x=10.0.0.0\/40/);
  });

  it('parses --export and --limit, naming the bad text', () => {
    expect(parseExportSpec('lun0=file:/tmp/a b.img:1G')).toEqual({ name: 'lun0', kind: 'file', path: '/tmp/a b.img', size: 2 ** 30, readOnly: false });
    expect(parseExportSpec('m=nbd://127.0.0.1:10809/disk')).toMatchObject({ kind: 'nbd', host: '127.0.0.1', port: 10809, exportName: 'disk' });
    expect(parseExportSpec('m=nbd://[::1]:99')).toMatchObject({ host: '::1', port: 99, exportName: '' });
    expect(parseExportSpec('m=nbd+unix:///disk?socket=/run/nbd.sock')).toMatchObject({ kind: 'nbd', socketPath: '/run/nbd.sock', exportName: 'disk' });
    expect(() => parseExportSpec('m=nbd+unix:///disk')).toThrow(/needs \?socket=PATH/);
    expect(() => parseExportSpec('lun0=file:/tmp/x:lots')).toThrow(/--export lun0=file:\/tmp\/x:lots: "lots" is not a size/);
    expect(() => parseExportSpec('a/b=file:/x:1M')).toThrow(/cannot contain/);
    expect(parseLimitSpec('app1=iops:2000')).toEqual({ target: { host: 'app1' }, limits: { iops: 2000 } });
    expect(parseLimitSpec('app1/lun0=iops:10,mbps:5.5')).toEqual({ target: { host: 'app1', lun: 'lun0' }, limits: { iops: 10, mbps: 5.5 } });
    expect(parseLimitSpec('*/lun0=mbps:100')).toEqual({ target: { lun: 'lun0' }, limits: { mbps: 100 } });
    expect(() => parseLimitSpec('app1=iops:-1')).toThrow(/--limit app1=iops:-1/);
    expect(() => parseLimitSpec('app1=qps:3')).toThrow(/unknown cap "qps"/);
    expect(parseSize('512M')).toBe(512 * 2 ** 20);
    expect(parseSize('0')).toBeNull();
  });
});
