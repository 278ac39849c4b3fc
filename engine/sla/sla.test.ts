import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { analysisRecords, EntityService, modelInterval, PerformanceAnalyzer, PolicyManager, SamplePacker, sampleRowsOf, SlaStore, type ModelPair } from './index.js';

it('a simulated run of the gold/bronze scenario leaves its story in the database', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-sla-'));
  const store = new SlaStore(path.join(dir, 'sla.db'));
  try {
    const manager = new PolicyManager({ now: () => 0 });
    manager.onApplied((v) => store.recordPolicy(v));
    const applied = manager.apply(readFileSync(path.join(import.meta.dirname, '../../samples/policies/gold-bronze.yaml'), 'utf8'), 'test');
    if (!applied.ok) throw new Error('sample policy refused');
    const policy = applied.policy;
    const entities = new EntityService();
    const analyzer = new PerformanceAnalyzer();
    const packer = new SamplePacker();
    const pairs: ModelPair[] = [
      { gatewayId: 'gw1', host: 'gold', lun: 'lun0', demandIops: 1000, mbPerIo: 0.004 },
      { gatewayId: 'gw1', host: 'bronze', lun: 'lun1', demandIops: 20_000, mbPerIo: 0.064 },
    ];
    for (let i = 1; i <= 10; i++) {
      const at = i * policy.pollIntervalMs;
      const stats = modelInterval({ backends: { gw1: { capacityIops: 10_000, serviceMs: 1 } } }, pairs, Object.values(analyzer.state().caps), i);
      for (const g of stats) entities.stats(g.gatewayId, policy.pollIntervalMs, g.entries, at);
      const result = analyzer.runInterval(policy, entities.latestStats(), at);
      for (const r of sampleRowsOf(policy, at, stats)) packer.add(r);
      store.ingest(packer.take()!);
      const records = analysisRecords(result);
      store.recordActions(records.actions);
      store.recordViolations(records.violations);
      store.recordAlerts(records.alerts);
    }
    const gold = store.classSeries({ className: 'gold', from: 0, to: 10_000 }).points;
    expect(gold.length).toBe(10);
    expect(gold[0]!.p99Us / 1000).toBeGreaterThan(20);
    expect(gold[1]!.p99Us / 1000).toBeLessThanOrEqual(20);
    const timeline = store.timeline({ from: 0, to: 10_000 });
    expect(timeline.actions[0]).toMatchObject({ t: 1000, host: 'bronze', kind: 'throttle', protects: 'gold' });
    expect(timeline.actions[0]!.reason).toMatch(/p99 of host gold/);
    expect(timeline.violations[0]).toMatchObject({ t: 1000, className: 'gold', measurement: 'p99' });
    expect(timeline.alerts.length).toBeGreaterThan(0);
    expect(store.policyHistory()).toEqual([expect.objectContaining({ version: 1, name: 'gold-bronze', source: 'test' })]);
    expect(store.latestPerGateway()).toEqual([expect.objectContaining({ gatewayId: 'gw1', lastSeen: 10_000 })]);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
