import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLists, NbdGateway, openFileBackend, parseAllowSpec } from './index.js';
import { RawNbdClient } from './raw-client.js';
import { FLAG_READ_ONLY, REP_ACK, REP_ERR_POLICY } from './nbd-constants.js';

let dir: string;
let gateway: NbdGateway;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-gw-policy-access-'));
  const luns = await Promise.all(['lun0', 'lun1'].map(async (name) => ({ name, backend: await openFileBackend({ path: path.join(dir, `${name}.img`), size: 1 << 20 }) })));
  gateway = new NbdGateway({ luns, access: [parseAllowSpec('lun1=app1:ro')] });
  ({ port } = await gateway.listen('127.0.0.1', 0));
});
afterAll(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

async function openAs(name: string): Promise<{ client: RawNbdClient; type: number; flags: number }> {
  const client = await RawNbdClient.connect(port);
  await client.start();
  const reply = await client.go(name);
  return { client, type: reply.type >>> 0, flags: reply.flags };
}

describe('the policy layer of access lists', () => {
  it('replaces --allow per LUN, and falls back to it when the policy drops the LUN', () => {
    const lists = new AccessLists([parseAllowSpec('lun0=a'), parseAllowSpec('lun1=b:ro')]);
    const update = lists.setPolicy([{ lun: 'lun0', hosts: [{ host: 'c', mode: 'ro' }] }, { lun: 'gone', hosts: [] }], (l) => l !== 'gone');
    expect(update).toEqual({ luns: ['lun0', 'gone'], notExported: ['gone'] });
    expect([lists.modeFor('lun0', 'a'), lists.modeFor('lun0', 'c'), lists.modeFor('lun1', 'b'), lists.modeFor('lun2', 'z')]).toEqual([null, 'ro', 'ro', 'rw']);
    // Names an object would answer are hosts like any other.
    lists.setPolicy([{ lun: 'lun0', hosts: [{ host: '*', mode: 'ro' }] }], () => true);
    expect([lists.modeFor('lun0', 'constructor'), lists.modeFor('constructor', 'a'), lists.modeFor('__proto__', 'toString')]).toEqual(['ro', 'rw', 'rw']);
    lists.setPolicy([], () => true);
    expect([lists.modeFor('lun0', 'a'), lists.modeFor('lun0', 'c')]).toEqual(['rw', null]);
  });

  it('closes a read-write connection whose host is cut to read-only; its reconnection is read-only; gaining write access closes nothing', async () => {
    gateway.setPolicyAccess([{ lun: 'lun0', hosts: [{ host: 'app1', mode: 'rw' }] }]);
    const rw = await openAs('app1/lun0');
    expect(rw.type).toBe(REP_ACK);
    expect(rw.flags & FLAG_READ_ONLY).toBe(0);
    const ro = await openAs('app1/lun1'); // read-only by --allow
    expect(ro.flags & FLAG_READ_ONLY).toBe(FLAG_READ_ONLY);
    expect((await openAs('app2/lun0')).type).toBe(REP_ERR_POLICY);

    gateway.setPolicyAccess([{ lun: 'lun0', hosts: [{ host: 'app1', mode: 'ro' }] }, { lun: 'lun1', hosts: [{ host: 'app1', mode: 'rw' }] }]);
    expect(await rw.client.waitClosed(5000)).toBe(true);
    expect(ro.client.isClosed).toBe(false);
    expect((await ro.client.request(0, 0, 512)).errno).toBe(0);
    const again = await openAs('app1/lun0');
    expect(again.type).toBe(REP_ACK);
    expect(again.flags & FLAG_READ_ONLY).toBe(FLAG_READ_ONLY);
    expect((await again.client.request(1, 0, 512, Buffer.alloc(512))).errno).toBe(1); // EPERM
    for (const c of [ro.client, again.client]) c.destroy();
  });
});
