import { describe, expect, it } from 'vitest';
import type { StatsEntry } from '../../protocol/index.js';
import { EntityService } from './index.js';

const e = (host: string, lun: string, iops: number, p99: number): StatsEntry => ({ host, lun, iops, mbps: iops / 100, latencyP50Us: p99 / 4, latencyP95Us: p99 / 2, latencyP99Us: p99, queueDepth: 1 });

describe('EntityService', () => {
  it('keeps the latest statistics per gateway, host and LUN', () => {
    const s = new EntityService();
    s.registered('gw1', { luns: [{ lunId: 'a', sizeBytes: 1 }], hosts: ['h1', 'h2'], remote: '127.0.0.1:5' }, 10);
    expect(s.gateway('gw1')).toMatchObject({ state: 'registered', lastPollAt: null });
    s.stats('gw1', 1000, [e('h1', 'a', 100, 800), e('h1', 'b', 50, 2000), e('h2', 'a', 10, 500)], 20);
    expect(s.host('gw1', 'h1')).toMatchObject({ iops: 150, latencyP99Us: 2000, at: 20 });
    expect(s.lun('gw1', 'a')).toMatchObject({ iops: 110, latencyP99Us: 800 });
    expect(s.gateway('gw1')).toMatchObject({ state: 'polled', lastPollAt: 20, intervalMs: 1000 });
    // The next reply replaces the last: a host that stopped is gone, not stale.
    s.stats('gw1', 1000, [e('h2', 'a', 30, 400)], 30);
    expect(s.host('gw1', 'h1')).toBeUndefined();
    expect(s.lun('gw1', 'a')).toMatchObject({ iops: 30, at: 30 });
    expect(s.latestStats()).toEqual([{ gatewayId: 'gw1', entries: [e('h2', 'a', 30, 400)] }]);
  });

  it('keeps gateways apart and hands out copies', () => {
    const s = new EntityService();
    s.stats('gw2', 1000, [e('h', 'a', 1, 1)], 1);
    s.stats('gw1', 1000, [e('h', 'a', 2, 2)], 1);
    const snap = s.snapshot();
    expect(snap.gateways.map((g) => g.gatewayId)).toEqual(['gw1', 'gw2']);
    expect(snap.hosts.map((h) => [h.gatewayId, h.iops])).toEqual([['gw1', 2], ['gw2', 1]]);
    snap.gateways[0]!.entries[0]!.iops = 999;
    expect(s.gateway('gw1')!.entries[0]!.iops).toBe(2);
    s.setState('gw1', 'disconnected');
    expect(s.gateway('gw1')!.state).toBe('disconnected');
    s.forget('gw1');
    expect(s.snapshot().gateways.map((g) => g.gatewayId)).toEqual(['gw2']);
  });
});
