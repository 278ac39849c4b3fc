import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawNbdClient, requestHeader } from './raw-client.js';
import { peakRssBytes, startGatewayProcess, startNbdkit, type Spawned } from './harness.js';
import { CMD_FLUSH, CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES } from './nbd-constants.js';

const haveNbdkit = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, 'nbdkit')));
if (!haveNbdkit) console.warn('gateway request tests skipped: nbdkit missing (apt-get install nbdkit)');
const withNbdkit = haveNbdkit ? describe : describe.skip;

const MiB = 1024 * 1024;
const SIZE = 64 * MiB;

/** Requests with hostile fields, all answered by nbdkit without closing the connection. */
const HOSTILE: readonly { name: string; type: number; offset: bigint; length: number; payload?: number }[] = [
  { name: 'flush at offset 2^64-1 (the crash)', type: CMD_FLUSH, offset: 0xffffffffffffffffn, length: 0 },
  { name: 'flush with a length', type: CMD_FLUSH, offset: 0n, length: 1 },
  { name: 'read at offset 2^63', type: CMD_READ, offset: 1n << 63n, length: 512 },
  { name: 'read whose end wraps past 2^64', type: CMD_READ, offset: 0xfffffffffffffe00n, length: 1024 },
  { name: 'read at 2^53+1 (not exact as a double)', type: CMD_READ, offset: (1n << 53n) + 1n, length: 512 },
  { name: 'read across the end', type: CMD_READ, offset: BigInt(SIZE - 512), length: 4096 },
  { name: 'read of length 0', type: CMD_READ, offset: 0n, length: 0 },
  { name: 'write across the end', type: CMD_WRITE, offset: BigInt(SIZE - 512), length: 4096, payload: 4096 },
  { name: 'write at offset 2^64-512', type: CMD_WRITE, offset: 0xfffffffffffffe00n, length: 512, payload: 512 },
  { name: 'trim of 4 GiB - 1', type: CMD_TRIM, offset: 0n, length: 0xffffffff },
  { name: 'write_zeroes at 2^64-1', type: CMD_WRITE_ZEROES, offset: 0xffffffffffffffffn, length: 512 },
];

async function answers(port: number, exportName: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const client = await RawNbdClient.connect(port);
  try {
    await client.open(exportName);
    for (const r of HOSTILE) out[r.name] = (await client.request(r.type, r.offset, r.length, r.payload ? Buffer.alloc(r.payload, 0x5a) : undefined)).errno;
    // Still serving after all of them.
    out['then a good read'] = (await client.request(CMD_READ, 0n, 4096)).errno;
  } finally {
    client.destroy();
  }
  return out;
}

withNbdkit('the gateway under hostile requests (gateway as its own process)', () => {
  let dir: string;
  let nbdkit: Spawned;
  let gateway: Spawned & { url: string };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-req-'));
    nbdkit = await startNbdkit(['memory', String(SIZE)]);
    gateway = await startGatewayProcess([
      '--export', `mem=nbd://127.0.0.1:${nbdkit.port}/`, '--export', `file=file:${path.join(dir, 'lun.img')}:${SIZE}`,
    ]);
  });

  afterAll(async () => {
    await gateway?.stop();
    await nbdkit?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers NBD_CMD_FLUSH at offset 0xFFFFFFFFFFFFFFFF on an nbd:// LUN with EINVAL, as nbdkit does, and stays up', async () => {
    const client = await RawNbdClient.connect(gateway.port);
    try {
      await client.open('mem');
      const flush = await client.request(CMD_FLUSH, 0xffffffffffffffffn, 0);
      expect(flush.errno).toBe(22);
      expect((await client.request(CMD_READ, 0n, 512)).errno).toBe(0);
    } finally {
      client.destroy();
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(gateway.child.exitCode).toBeNull();
    expect(gateway.stderr()).not.toMatch(/RangeError/);
  });

  it('gives every out-of-range request the errno nbdkit gives, on both backends, and keeps the connection', async () => {
    const reference = await answers(nbdkit.port, '');
    expect(Object.values(reference).slice(0, -1).every((e) => e !== 0)).toBe(true);
    expect(await answers(gateway.port, 'mem')).toEqual(reference);
    expect(await answers(gateway.port, 'file')).toEqual(reference);
    expect(gateway.child.exitCode).toBeNull();
  });

  it('disconnects at once on a WRITE header claiming 0xFFFFFFFF bytes, as nbdkit does, with one log line', async () => {
    for (const [port, name] of [[nbdkit.port, ''], [gateway.port, 'mem'], [gateway.port, 'file']] as const) {
      const client = await RawNbdClient.connect(port);
      await client.open(name);
      client.write(requestHeader(CMD_WRITE, 0, 0xffffffff));
      // Nothing more is sent: a server waiting to discard 4 GiB would never close.
      expect(await client.waitClosed(3000)).toBe(true);
      client.destroy();
    }
    expect(gateway.stderr()).toMatch(/write of 4294967295 bytes is over twice the 33554432-byte maximum payload; disconnecting/);
  });

  it('skips a write between the maximum payload and twice it (EINVAL), and answers an over-long read with EINVAL, connection kept', async () => {
    const client = await RawNbdClient.connect(gateway.port);
    try {
      await client.open('file');
      expect((await client.request(CMD_WRITE, 0n, 40 * MiB, Buffer.alloc(40 * MiB, 1))).errno).toBe(22);
      expect((await client.request(CMD_READ, 0n, 33 * MiB)).errno).toBe(22);
      expect((await client.request(CMD_READ, 0n, 512)).errno).toBe(0);
    } finally {
      client.destroy();
    }
  });

  it('keeps its RSS under 300 MB when sent 64 READs of 32 MiB in one packet whose replies are never read', async () => {
    const client = await RawNbdClient.connect(gateway.port);
    try {
      await client.open('file');
      client.socket.pause(); // never read a reply
      client.write(Buffer.concat(Array.from({ length: 64 }, (_, i) => requestHeader(CMD_READ, 0, 32 * MiB, i))));
      // Long enough for an unbounded gateway to read all 2 GiB; sample the peak throughout.
      let peak = 0;
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 150));
        peak = Math.max(peak, peakRssBytes(gateway.child.pid!) ?? 0);
      }
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThan(300 * 1e6);
      expect(gateway.stderr()).toMatch(/connection in-flight byte budget reached/);
    } finally {
      client.destroy();
    }
    // The gateway lets go of the held bytes and serves others.
    const other = await RawNbdClient.connect(gateway.port);
    try {
      await other.open('file');
      expect((await other.request(CMD_READ, 0n, 4096)).errno).toBe(0);
    } finally {
      other.destroy();
    }
  });
});
