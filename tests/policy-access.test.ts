import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlAgent, NbdGateway, openFileBackend, parseAllowSpec, type AccessRule } from '../engine/gateway/index.js';
import { RawNbdClient } from '../engine/gateway/raw-client.js';
import { FLAG_READ_ONLY, REP_ACK, REP_ERR_POLICY } from '../engine/gateway/nbd-constants.js';
import net from 'node:net';
import { FrameDecoder, encodeFrame, type ControlMessage } from '../engine/protocol/index.js';
import { freePort } from '../engine/runtime/ports.js';
import { SlaServer } from '../engine/sla/server/index.js';

// The SLA server starts the daemon's and the database's worker threads from dist/: build first (npm run build:engine).

const samples = path.join(import.meta.dirname, '../samples/policies');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const CMD_READ = 0;
const CMD_WRITE = 1;
const EPERM = 1;

/** The gold/bronze sample policy with a short poll interval and the given access section. */
function policyText(access: string): string {
  const sample = readFileSync(path.join(samples, 'gold-bronze.yaml'), 'utf8').replace('pollIntervalMs: 1000', 'pollIntervalMs: 200');
  return `${sample}\naccess:\n${access}`;
}

function captureLog(): { logger: pino.Logger; lines: { msg: string }[] } {
  const lines: { msg: string }[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { msg: string }); done(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A client that greets and asks for `name`; the GO reply's type and flags. */
async function openAs(port: number, name: string): Promise<{ client: RawNbdClient; type: number; flags: number }> {
  const client = await RawNbdClient.connect(port);
  cleanups.push(() => client.destroy());
  await client.start();
  const reply = await client.go(name);
  return { client, type: reply.type >>> 0, flags: reply.flags };
}

const listsOf = (rules: readonly AccessRule[], lun: string): string[] =>
  (rules.find((r) => r.lun === lun)?.hosts ?? []).map((h) => `${h.host}:${h.mode}`).sort();

describe('access lists from the SLA policy reach the gateway', () => {
  it('A rw and B ro on lun0: B cannot write, C cannot open; revoking A closes its connection and refuses its next open; --allow holds where the policy is silent', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-policy-access-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, 'secrets'));
    copyFileSync(path.join(samples, 'secrets/gw1.secret'), path.join(dir, 'secrets/gw1.secret'));
    const secret = readFileSync(path.join(dir, 'secrets/gw1.secret'), 'utf8').trim();
    const policyFile = path.join(dir, 'policy.yaml');
    writeFileSync(policyFile, policyText('  - lun: lun0\n    hosts:\n      - { host: appA, mode: rw }\n      - { host: appB, mode: ro }\n'));

    const [serverPort, gatewayPort] = [await freePort(), await freePort()];
    const server = await SlaServer.start({ policyFile, dbFile: path.join(dir, 'sla.db'), listen: { host: '127.0.0.1', port: serverPort }, shards: 1, log: pino({ level: 'silent' }) });
    cleanups.push(() => server.stop());

    const log = captureLog();
    const luns = await Promise.all(['lun0', 'lun1'].map(async (name) => ({ name, backend: await openFileBackend({ path: path.join(dir, `${name}.img`), size: 1 << 20 }) })));
    // The gateway's own list for lun1, which the policy does not mention; and one for lun0, which the policy replaces.
    const gateway = new NbdGateway({ luns, logger: log.logger, access: [parseAllowSpec('lun1=appC'), parseAllowSpec('lun0=appC')] });
    cleanups.push(() => gateway.close());
    await gateway.listen('127.0.0.1', gatewayPort);
    const agent = new ControlAgent({ server: { host: '127.0.0.1', port: serverPort }, secret, gatewayId: 'gw1', gateway, rollOnPoll: true, reconnectMs: 50 });
    agent.start();
    cleanups.push(() => agent.stop());

    await waitFor(() => listsOf(gateway.accessRules(), 'lun0').length === 2, 'the policy\'s lists at the gateway');
    expect(listsOf(gateway.accessRules(), 'lun0')).toEqual(['appA:rw', 'appB:ro']);
    expect(listsOf(gateway.accessRules(), 'lun1')).toEqual(['appC:rw']);

    const a = await openAs(gatewayPort, 'appA/lun0');
    expect(a.type).toBe(REP_ACK);
    expect(a.flags & FLAG_READ_ONLY).toBe(0);
    expect((await a.client.request(CMD_WRITE, 0, 4096, Buffer.alloc(4096, 0xaa))).errno).toBe(0);

    const b = await openAs(gatewayPort, 'appB/lun0');
    expect(b.type).toBe(REP_ACK);
    expect(b.flags & FLAG_READ_ONLY).toBe(FLAG_READ_ONLY);
    expect((await b.client.request(CMD_WRITE, 0, 4096, Buffer.alloc(4096, 0xbb))).errno).toBe(EPERM);
    const read = await b.client.request(CMD_READ, 0, 4096);
    expect(read.errno).toBe(0);
    expect(read.data.equals(Buffer.alloc(4096, 0xaa))).toBe(true); // B's refused write changed nothing

    // C is on the gateway's own list for lun0, but the policy's list replaces it there.
    expect((await openAs(gatewayPort, 'appC/lun0')).type).toBe(REP_ERR_POLICY);
    // Where the policy says nothing, --allow holds: C opens lun1, A does not.
    expect((await openAs(gatewayPort, 'appC/lun1')).type).toBe(REP_ACK);
    expect((await openAs(gatewayPort, 'appA/lun1')).type).toBe(REP_ERR_POLICY);

    // A reload that revokes A: its open connection ends (logged), its next open is refused; B keeps reading.
    const applied = server.applyPolicy(policyText('  - lun: lun0\n    hosts:\n      - { host: appB, mode: ro }\n'), 'test');
    expect(applied.ok).toBe(true);
    expect(await a.client.waitClosed(10_000)).toBe(true);
    expect(listsOf(gateway.accessRules(), 'lun0')).toEqual(['appB:ro']);
    expect(log.lines.some((l) => /access revoked: host "appA" may no longer open LUN "lun0"; connection closed/.test(l.msg))).toBe(true);
    await expect(a.client.request(CMD_READ, 0, 4096)).rejects.toThrow(/closed/);
    expect((await openAs(gatewayPort, 'appA/lun0')).type).toBe(REP_ERR_POLICY);
    expect(b.client.isClosed).toBe(false);
    expect((await b.client.request(CMD_READ, 0, 4096)).errno).toBe(0);

    // A policy without access lists hands lun0 back to --allow (C again), and cuts nobody who is still allowed.
    expect(server.applyPolicy(policyText('  []\n'), 'test').ok).toBe(true);
    await waitFor(() => listsOf(gateway.accessRules(), 'lun0').join() === 'appC:rw', 'lun0 back on the gateway\'s own list');
    expect(await b.client.waitClosed(10_000)).toBe(true); // B is on neither list now
    expect((await openAs(gatewayPort, 'appC/lun0')).type).toBe(REP_ACK);
  }, 60_000);

  it('a peer that has not finished the handshake cannot set access lists: it gets a refusal and the lists stay', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-policy-access-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const gateway = new NbdGateway({ luns: [{ name: 'lun0', backend: await openFileBackend({ path: path.join(dir, 'lun0.img'), size: 1 << 20 }) }], access: [parseAllowSpec('lun0=appA')] });
    cleanups.push(() => gateway.close());
    const replies: ControlMessage[] = [];
    // A rogue control server: it answers hello with an access message instead of a challenge.
    const rogue = net.createServer((socket) => {
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk).frames) {
          if (frame.message.type === 'hello') socket.write(encodeFrame(5, { type: 'access', luns: [{ lun: 'lun0', hosts: [{ host: '*', mode: 'rw' }] }] }));
          else replies.push(frame.message);
        }
      });
      socket.on('error', () => undefined);
    });
    const port = await freePort();
    await new Promise<void>((resolve) => rogue.listen(port, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => rogue.close(() => resolve())));
    const agent = new ControlAgent({ server: { host: '127.0.0.1', port }, secret: 'x', gatewayId: 'gw1', gateway, rollOnPoll: true, reconnectMs: 60_000 });
    agent.start();
    cleanups.push(() => agent.stop());
    await waitFor(() => replies.length > 0, 'the gateway\'s answer');
    expect(replies[0]).toEqual({ type: 'configAck', ok: false, reason: 'access lists are taken only once registered' });
    expect(listsOf(gateway.accessRules(), 'lun0')).toEqual(['appA:rw']);
  });
});
