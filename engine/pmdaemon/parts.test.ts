import { describe, expect, it } from 'vitest';
import { StatsBatchWriter } from '../protocol/index.js';
import { CommandRouter, CYCLE_HISTORY, GatewayRegistry, PollCycle, TokenBucket } from './index.js';
import type { ShardCommand } from './mailbox.js';

// The daemon's parts, without threads or sockets: registration, the poll cycle, command routing, rate limits.

const gateway = (gatewayId: string) => ({ gatewayId, luns: [], hosts: [], remote: '127.0.0.1:1' });

describe('GatewayRegistry (registration)', () => {
  it('holds each gateway on one worker; a newer registration elsewhere names the worker to close the old one on', () => {
    const r = new GatewayRegistry<'a' | 'b'>();
    expect(r.register('a', gateway('constructor'))).toBeNull();
    expect(r.get('toString')).toBeUndefined();
    expect(r.register('b', gateway('constructor'))).toBe('a');
    // The old worker's late "unregistered" changes nothing: the gateway lives on b.
    expect(r.unregister('a', 'constructor')).toBe(false);
    expect(r.get('constructor')?.slot).toBe('b');
    r.register('b', gateway('gw2'));
    expect([...r.slots()]).toEqual(['b']);
    expect(r.countOn('b')).toBe(2);
    expect(r.dropSlot('b').sort()).toEqual(['constructor', 'gw2']);
    expect(r.size).toBe(0);
  });
});

describe('PollCycle (poll cycle)', () => {
  it('polls every worker with registered gateways, matches replies to their cycle, and keeps a bounded history', () => {
    const sent: Array<[string, number]> = [];
    const closed: number[] = [];
    const ids = ['gw1', 'gw2'];
    const poll = new PollCycle<string>(1000, 500, {
      registeredIds: () => ids,
      pollSlots: () => ['shard0'],
      sendPoll: (slot, cycle) => sent.push([slot, cycle]),
      onClosed: (r) => closed.push(r.cycle),
      onBadBatch: (err) => { throw err; },
    });
    const cycle = poll.pollNow();
    expect(sent).toEqual([['shard0', cycle]]);
    const w = new StatsBatchWriter();
    w.add('gw1', cycle, 1000, [{ host: 'h', lun: 'l', iops: 1, mbps: 1, latencyP50Us: 1, latencyP95Us: 1, latencyP99Us: 1, queueDepth: 1 }]);
    poll.onStats(w.take()!);
    expect(poll.progress).toMatchObject({ cycle, polled: 2, waiting: 1 });
    expect(poll.latestStats('gw1')).toHaveLength(1);
    poll.pollNow();
    expect(poll.cycles()[0]).toMatchObject({ cycle, onTime: 1, missed: 1, missedGateways: ['gw2'] });
    expect(closed).toEqual([cycle]);
    poll.forget('gw1');
    expect(poll.latestStats('gw1')).toBeUndefined();
    for (let i = 0; i < CYCLE_HISTORY + 10; i++) poll.pollNow();
    expect(poll.cycles()).toHaveLength(CYCLE_HISTORY);
    poll.stop();
  });
});

describe('CommandRouter (command routing)', () => {
  it('sends a request to the gateway\'s worker, resolves it with the ack, and answers for unknown gateways and timeouts', async () => {
    const sent: ShardCommand[] = [];
    const router = new CommandRouter<string>({ slotOf: (id) => (id === 'gw1' ? 'shard0' : undefined), send: (_slot, c) => sent.push(c) });
    const pending = router.throttle('gw1', { host: 'h', lun: 'l', iopsLimit: 10, mbpsLimit: 0 });
    const c = sent[0];
    if (c?.kind !== 'throttle') throw new Error('no throttle sent');
    expect(router.onAck({ kind: 'throttleAck', gatewayId: 'gw1', reqId: c.reqId, ok: true, iopsLimit: 10, mbpsLimit: 0, reason: '' })).toBe(true);
    expect(await pending).toMatchObject({ ok: true, iopsLimit: 10 });
    expect(router.onAck({ kind: 'throttleAck', gatewayId: 'gw1', reqId: c.reqId, ok: true, iopsLimit: 10, mbpsLimit: 0, reason: '' })).toBe(false);
    expect(await router.throttle('constructor', { host: 'h', lun: 'l', iopsLimit: 1, mbpsLimit: 1 })).toMatchObject({ ok: false, reason: 'gateway constructor is not registered' });
    expect(await router.throttle('gw1', { host: 'h', lun: 'l', iopsLimit: Number.NaN, mbpsLimit: 1 })).toMatchObject({ ok: false, reason: expect.stringMatching(/not a rate/) });
    expect(await router.configure('gw1', [], 20)).toEqual({ ok: false, reason: 'gateway gw1 did not answer within 20 ms' });
    router.stop();
  });
});

describe('TokenBucket', () => {
  it('allows the burst, then the rate', () => {
    const b = new TokenBucket(5, 20, 0);
    let passed = 0;
    for (let i = 0; i < 1000; i++) if (b.take(0)) passed++;
    expect(passed).toBe(20);
    for (let t = 0; t <= 2000; t += 10) if (b.take(t)) passed++;
    expect(passed).toBe(30);
  });
});
