import { describe, expect, it } from 'vitest';
import { soakGateway } from './fuzz.js';

/** Connections in the bounded run; HEADROOM_FUZZ_CONNECTIONS raises it for a local hunt. */
const CONNECTIONS = Number(process.env.HEADROOM_FUZZ_CONNECTIONS ?? 20_000);

describe('the gateway fuzzed over real sockets (file and nbd:// backends)', () => {
  it(`survives ${CONNECTIONS} connections of random and mutated handshakes and requests while a well-behaved client's data stays intact`, async () => {
    const counts = await soakGateway({ connections: CONNECTIONS, seconds: 80, concurrency: 48 });
    console.log(JSON.stringify(counts));
    expect(counts.connections).toBeGreaterThanOrEqual(CONNECTIONS);
    expect(counts.connectFailures).toBe(0);
    expect(counts.exports.length).toBe(2);
    // Every kind of input was exercised, and the gateway answered requests, not only closed.
    expect(Object.values(counts.scenarios).every((n) => n > CONNECTIONS / 20)).toBe(true);
    expect(counts.reachedTransmission).toBeGreaterThan(CONNECTIONS / 4);
    expect(Object.keys(counts.replies).length).toBeGreaterThan(2);
    expect(counts.badReplies, counts.lastBadReply).toBe(0);
    expect(counts.guard.failures).toBe(0);
    expect(counts.guard.mismatches).toBe(0);
    expect(counts.guard.rounds).toBeGreaterThan(3);
  }, 120_000);
});
