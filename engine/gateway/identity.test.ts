import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdGateway, openFileBackend, parseAllowSpec, type GatewayOptions } from './index.js';
import { RawNbdClient, goData, optionHeader } from './raw-client.js';
import { startNbdkit, type Spawned } from './harness.js';
import { FLAG_READ_ONLY, INFO_DESCRIPTION, OPT_EXPORT_NAME, OPT_INFO, OPT_LIST, REP_ACK, REP_ERR_POLICY, REP_ERR_TOO_BIG, REP_INFO, REP_SERVER } from './nbd-constants.js';

const hasNbdkit = (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, 'nbdkit')));

/** Log lines the gateway wrote, as parsed pino records. */
function captureLog(): { logger: GatewayOptions['logger']; lines: { msg: string; bound?: string }[] } {
  const lines: { msg: string; bound?: string }[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { msg: string }); done(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

let dir: string;
const open: NbdGateway[] = [];

async function gatewayWith(options: Omit<GatewayOptions, 'luns'> & { lunNames?: string[] }): Promise<{ gateway: NbdGateway; port: number }> {
  const luns = await Promise.all((options.lunNames ?? ['lun0']).map(async (name) => ({
    name, backend: await openFileBackend({ path: path.join(dir, `${name}-${open.length}.img`), size: 1 << 20 }),
  })));
  const gateway = new NbdGateway({ ...options, luns });
  open.push(gateway);
  const { port } = await gateway.listen('127.0.0.1', 0);
  return { gateway, port };
}

async function started(port: number, localAddress?: string): Promise<RawNbdClient> {
  const c = await RawNbdClient.connect(port, localAddress);
  await c.start();
  return c;
}

beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-gw-id-')); });
afterAll(async () => {
  await Promise.all(open.map((g) => g.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('handshake bounds', () => {
  let nbdkit: Spawned | null = null;
  let nbdkitPort = 0;
  beforeAll(async () => {
    if (!hasNbdkit) return;
    nbdkit = await startNbdkit(['memory', '1M']);
    nbdkitPort = nbdkit.port;
  });
  afterAll(async () => { await nbdkit?.stop(); });

  it('disconnects at once on an option of 0x7fffffff bytes, as nbdkit does, and logs why; a 100 kB option is answered and skipped', async () => {
    const log = captureLog();
    const { port } = await gatewayWith({ logger: log.logger });
    const servers = [{ name: 'gateway', port }, ...(hasNbdkit ? [{ name: 'nbdkit', port: nbdkitPort }] : [])];
    for (const server of servers) {
      const absurd = await started(server.port);
      absurd.write(optionHeader(3, 0x7fffffff));
      // Closed without our sending a byte of the 2 GiB: no waiting to discard it.
      await Promise.race([absurd.closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`${server.name} kept the connection open`)), 5000))]);
      const moderate = await started(server.port);
      moderate.write(Buffer.concat([optionHeader(99, 100_000), Buffer.alloc(100_000)]));
      const head = await moderate.read(20);
      // nbdkit reads it and says unsupported; the gateway skips it unread with the spec's TOO_BIG. Either way the session goes on.
      expect(head.readUInt32BE(12) >>> 0).toBe(server.name === 'gateway' ? REP_ERR_TOO_BIG : 0x80000001);
      await moderate.read(head.readUInt32BE(16));
      expect((await moderate.go('lun0')).type).toBe(REP_ACK);
      moderate.destroy();
    }
    expect(log.lines.filter((l) => l.msg.includes('2147483647 bytes is over the 67108864-byte limit'))).toHaveLength(1);
  });

  it('disconnects a client that does not finish the handshake in time, with one log line', async () => {
    const log = captureLog();
    const { port } = await gatewayWith({ logger: log.logger, bounds: { handshakeTimeoutMs: 300 } });
    const idle = await started(port);
    await Promise.race([idle.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('still open')), 10_000))]);
    expect(log.lines.filter((l) => l.bound === 'handshakeTimeoutMs')).toHaveLength(1);
    // A client that finishes in time stays past the timeout.
    const quick = await started(port);
    expect((await quick.go('lun0')).type).toBe(REP_ACK);
    await new Promise((r) => setTimeout(r, 600));
    expect((await quick.command(0, 0, 512)).errno).toBe(0);
    quick.destroy();
  });

  it('caps connections in total and per host, logging the bound once per flood', async () => {
    const log = captureLog();
    const { port } = await gatewayWith({ logger: log.logger, bounds: { maxConnections: 4, maxConnectionsPerHost: 2 } });
    const web = [await started(port), await started(port)];
    for (const c of web) expect((await c.go('web/lun0')).type).toBe(REP_ACK);
    const third = await started(port);
    const refused = await third.go('web/lun0');
    expect(refused.type >>> 0).toBe(REP_ERR_POLICY);
    expect(refused.text).toContain('already has 2 connections');
    expect((await third.go('db/lun0')).type).toBe(REP_ACK); // another host is not held back
    const fourth = await started(port);
    const fifth = await RawNbdClient.connect(port);
    await Promise.race([fifth.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('fifth connection kept')), 5000))]);
    web[0]!.destroy();
    await web[0]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const again = await started(port);
    expect((await again.go('web/lun0')).type).toBe(REP_ACK);
    expect(log.lines.filter((l) => l.bound === 'maxConnectionsPerHost')).toHaveLength(1);
    expect(log.lines.filter((l) => l.bound === 'maxConnections')).toHaveLength(1);
    for (const c of [web[1]!, third, fourth, again]) c.destroy();
  });

  it('ages idle hosts out of the statistics after N intervals, keeps capped ones, and refuses new hosts when the table is full', async () => {
    const { gateway, port } = await gatewayWith({ bounds: { hostIdleIntervals: 2, maxHosts: 3 } });
    gateway.setLimit({ host: 'capped' }, { iops: 100 });
    const a = await started(port);
    expect((await a.go('a/lun0')).type).toBe(REP_ACK);
    const b = await started(port);
    expect((await b.go('b/lun0')).type).toBe(REP_ACK);
    expect((await b.command(0, 0, 512)).errno).toBe(0);
    const c = await started(port);
    expect((await c.go('c/lun0')).type >>> 0).toBe(REP_ERR_POLICY); // capped, a, b fill the table
    b.destroy();
    await b.closed;
    await new Promise((r) => setTimeout(r, 50));
    gateway.rollStats(); // b's read is in this interval
    gateway.rollStats();
    expect([...gateway.hosts()].sort()).toEqual(['a', 'b', 'capped']);
    gateway.rollStats();
    expect([...gateway.hosts()].sort()).toEqual(['a', 'capped']); // a still connected; capped holds a cap
    expect(gateway.rollStats().map((s) => s.name)).not.toContain('b/lun0');
    expect((await c.go('c/lun0')).type).toBe(REP_ACK);
    a.destroy();
    c.destroy();
  });
});

describe('identity and access', () => {
  it('refuses a client in bronze\'s range that names gold, or opens gold\'s LUN, and disconnects it on EXPORT_NAME', async () => {
    const log = captureLog();
    const { gateway, port } = await gatewayWith({
      logger: log.logger, lunNames: ['shared', 'goldlun'],
      attribution: { ranges: [{ host: 'bronze', cidr: '127.0.0.2/32' }, { host: 'gold', cidr: '127.0.0.3/32' }] },
      access: [parseAllowSpec('goldlun=gold')],
    });
    gateway.setLimit({ host: 'gold' }, { iops: 5000 });
    gateway.setLimit({ host: 'bronze' }, { iops: 500 });
    const bronze = await started(port, '127.0.0.2');
    const asGold = await bronze.go('gold/shared');
    expect(asGold.type >>> 0).toBe(REP_ERR_POLICY);
    expect(asGold.text).toContain('names host "gold" but the client is "bronze"');
    expect((await bronze.go('goldlun')).type >>> 0).toBe(REP_ERR_POLICY);
    expect((await bronze.go('bronze/goldlun')).type >>> 0).toBe(REP_ERR_POLICY);
    expect((await bronze.go('shared')).type).toBe(REP_ACK);
    const viaName = await started(port, '127.0.0.2');
    const name = Buffer.from('gold/shared');
    viaName.write(Buffer.concat([optionHeader(OPT_EXPORT_NAME, name.length), name]));
    await Promise.race([viaName.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('EXPORT_NAME as gold was served')), 5000))]);
    const gold = await started(port, '127.0.0.3');
    expect((await gold.go('goldlun')).type).toBe(REP_ACK);
    expect((await gold.command(1, 0, 4096, Buffer.alloc(4096, 7))).errno).toBe(0);
    // Bronze's I/O counts against bronze, gold's against gold: no budget changes hands.
    expect((await bronze.command(0, 0, 4096)).errno).toBe(0);
    const pairs = gateway.rollStats().filter((s) => s.kind === 'pair' && s.readIops + s.writeIops > 0).map((s) => s.name).sort();
    expect(pairs).toEqual(['bronze/shared', 'gold/goldlun']);
    expect(log.lines.filter((l) => l.msg.startsWith('access refused')).length).toBeGreaterThanOrEqual(4);
    for (const c of [bronze, gold]) c.destroy();
  });

  it('closes both escapes of a host capped at 500 IOPS: renaming itself capA-not, and an impostor naming itself capA', async () => {
    const { gateway, port } = await gatewayWith({ attribution: { ranges: [{ host: 'capA', cidr: '127.0.0.4/32' }] } });
    gateway.setLimit({ host: 'capA' }, { iops: 500 });
    const renamed = await started(port, '127.0.0.4');
    expect((await renamed.go('capA-not/lun0')).type >>> 0).toBe(REP_ERR_POLICY);
    const impostor = await started(port, '127.0.0.5');
    expect((await impostor.go('capA/lun0')).type >>> 0).toBe(REP_ERR_POLICY);
    // The impostor may still work under its own (self-declared) name, on its own budget.
    expect((await impostor.go('other/lun0')).type).toBe(REP_ACK);
    expect((await renamed.go('lun0')).type).toBe(REP_ACK);
    expect((await renamed.command(0, 0, 512)).errno).toBe(0);
    expect((await impostor.command(0, 0, 512)).errno).toBe(0);
    const hosts = gateway.rollStats().filter((s) => s.kind === 'pair' && s.readIops > 0).map((s) => s.host).sort();
    expect(hosts).toEqual(['capA', 'other']);
    renamed.destroy();
    impostor.destroy();
  });

  it('keeps app9 out of app1\'s LUN, gives read-only access as READ_ONLY with EPERM on write, and lists only what the host may open, without paths', async () => {
    const { port } = await gatewayWith({
      lunNames: ['lun0', 'lun1', 'open'],
      attribution: { ranges: [{ host: 'app1', cidr: '127.0.0.6/32' }, { host: 'app9', cidr: '127.0.0.7/32' }] },
      access: [parseAllowSpec('lun1=app1'), parseAllowSpec('lun0=app9:ro,app1')],
    });
    const app1 = await started(port, '127.0.0.6');
    expect((await app1.go('lun1')).type).toBe(REP_ACK);
    expect((await app1.command(1, 0, 4096, Buffer.alloc(4096, 0xa1))).errno).toBe(0);
    const app9 = await started(port, '127.0.0.7');
    const listed = await app9.option(OPT_LIST);
    const names = listed.filter((r) => r.type === REP_SERVER).map((r) => r.data.toString('utf8', 4, 4 + r.data.readUInt32BE(0)));
    expect(names).toEqual(['lun0', 'open']);
    for (const r of listed) expect(r.data.toString('utf8')).not.toMatch(/\.img|file:|\//);
    const info = await app9.option(OPT_INFO, goData('lun0', [INFO_DESCRIPTION]));
    for (const r of info) expect(r.data.toString('utf8')).not.toMatch(/\.img|file:|\//);
    expect(info.filter((r) => r.type === REP_INFO && r.data.readUInt16BE(0) === INFO_DESCRIPTION)).toHaveLength(0);
    expect((await app9.go('lun1')).type >>> 0).toBe(REP_ERR_POLICY);
    const ro = await app9.go('lun0');
    expect(ro.type).toBe(REP_ACK);
    expect(ro.flags & FLAG_READ_ONLY).toBe(FLAG_READ_ONLY);
    expect((await app9.command(1, 0, 4096, Buffer.alloc(4096, 9))).errno).toBe(1); // EPERM
    expect((await app9.command(0, 0, 4096)).errno).toBe(0);
    // app1 has read-write on lun0 by the same list.
    const app1b = await started(port, '127.0.0.6');
    const rw = await app1b.go('lun0');
    expect(rw.flags & FLAG_READ_ONLY).toBe(0);
    for (const c of [app1, app9, app1b]) c.destroy();
  });

  it('says once, at start, that host identities are self-declared when neither TLS nor ranges are configured', async () => {
    const plain = captureLog();
    await gatewayWith({ logger: plain.logger });
    expect(plain.lines.filter((l) => l.msg.includes('self-declared'))).toHaveLength(1);
    const ranged = captureLog();
    await gatewayWith({ logger: ranged.logger, attribution: { ranges: [{ host: 'db', cidr: '10.0.0.0/8' }] } });
    expect(ranged.lines.filter((l) => l.msg.includes('self-declared'))).toHaveLength(0);
  });
});
