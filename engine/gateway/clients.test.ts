import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdGateway, openFileBackend, openUpstreamBackend, parseLimitSpec, type GatewayEvent } from './index.js';
import { startNbdkit, type Spawned } from './harness.js';

const run = promisify(execFile);

function toolPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  return null;
}
const tools = ['fio', 'nbdkit', 'nbdinfo', 'nbdcopy', 'qemu-img'];
const missing = tools.filter((t) => toolPath(t) === null);
if (missing.length > 0) console.warn(`gateway client tests skipped: missing ${missing.join(', ')} (apt-get install fio nbdkit libnbd-bin qemu-utils)`);
const withTools = missing.length === 0 ? describe : describe.skip;


interface FioJob { error: number; read: { iops: number; io_bytes: number }; write: { iops: number; io_bytes: number } }

async function fio(args: string[]): Promise<FioJob[]> {
  const { stdout } = await run('fio', ['--output-format=json', ...args], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  const json = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: FioJob[] };
  return json.jobs;
}

withTools('the gateway with real NBD clients', () => {
  let dir: string;
  let nbdkit: Spawned;
  let nbdkitPort: number;
  let gateway: NbdGateway;
  let url: string;
  const events: GatewayEvent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-gw-'));
    nbdkit = await startNbdkit(['memory', '256M']);
    nbdkitPort = nbdkit.port;
    const file = await openFileBackend({ path: path.join(dir, 'lun0.img'), size: 64 * 1024 * 1024 });
    const upstream = await openUpstreamBackend({ target: { host: '127.0.0.1', port: nbdkitPort, exportName: '' }, connections: 2 });
    const ro = await openFileBackend({ path: path.join(dir, 'ro.img'), size: 1024 * 1024 });
    gateway = new NbdGateway({
      luns: [
        { name: 'lun0', backend: file },
        { name: 'mem', backend: upstream },
        { name: 'ro', backend: ro, readOnly: true },
      ],
    });
    gateway.on((e) => events.push(e));
    const address = await gateway.listen('127.0.0.1', 0);
    url = `nbd://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await gateway?.close();
    await nbdkit?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists every export with its size (nbdinfo --list, nbdinfo)', async () => {
    const { stdout } = await run('nbdinfo', ['--json', '--list', url]);
    const listed = (JSON.parse(stdout) as { exports: { 'export-name': string; 'export-size': number; is_read_only: boolean }[] }).exports;
    const byName = Object.fromEntries(listed.map((e) => [e['export-name'], e]));
    expect(byName.lun0?.['export-size']).toBe(64 * 1024 * 1024);
    expect(byName.mem?.['export-size']).toBe(256 * 1024 * 1024);
    expect(byName.ro?.is_read_only).toBe(true);
    const one = JSON.parse((await run('nbdinfo', ['--json', `${url}/app1/mem`])).stdout) as { exports: { 'export-size': number }[] };
    expect(one.exports[0]?.['export-size']).toBe(256 * 1024 * 1024);
  });

  it('copies an image through the gateway with qemu-img and nbdcopy, and the copies compare equal', async () => {
    const source = path.join(dir, 'source.img');
    const image = Buffer.alloc(8 * 1024 * 1024);
    randomBytes(3 * 1024 * 1024).copy(image, 1024 * 1024); // data with holes either side
    await writeFile(source, image);
    for (const lun of ['lun0', 'mem']) {
      await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', source, `${url}/${lun}`]);
      const back = path.join(dir, `back-${lun}.img`);
      await run('qemu-img', ['convert', '-f', 'raw', '-O', 'raw', `${url}/${lun}`, back]);
      const copied = await readFile(back);
      expect(copied.subarray(0, image.length).equals(image)).toBe(true);
      const viaNbdcopy = path.join(dir, `nbdcopy-${lun}.img`);
      await run('nbdcopy', [`${url}/${lun}`, viaNbdcopy]);
      const second = await readFile(viaNbdcopy);
      expect(second.length).toBe(lun === 'lun0' ? 64 * 1024 * 1024 : 256 * 1024 * 1024);
      expect(second.subarray(0, image.length).equals(image)).toBe(true);
      // qemu-img compare reads both through their own drivers: the NBD side through the gateway.
      await run('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', back, `${url}/${lun}`]);
    }
  });

  it('passes fio verify=crc32c with mixed-size random reads and writes, file and upstream backends', async () => {
    for (const lun of ['lun0', 'mem']) {
      const jobs = await fio([
        '--name=verify', '--ioengine=nbd', `--uri=${url}/${lun}`, '--rw=randrw', '--bssplit=4k/50:16k/30:64k/20',
        '--size=24m', '--iodepth=16', '--verify=crc32c', '--verify_fatal=1', '--do_verify=1',
      ]);
      expect(jobs[0]?.error).toBe(0);
      // The verify phase read back everything that was written.
      expect(jobs[0]!.read.io_bytes).toBeGreaterThanOrEqual(24 * 1024 * 1024);
    }
  });

  it('keeps serving others through garbage, a mid-request disconnect and out-of-range requests', async () => {
    // A known pattern written and flushed through the gateway first.
    const pattern = path.join(dir, 'pattern.img');
    await writeFile(pattern, randomBytes(1024 * 1024));
    await run('qemu-img', ['convert', '-n', '-f', 'raw', '-O', 'raw', pattern, `${url}/lun0`]);
    const port = Number(new URL(url).port);

    // Garbage instead of a handshake.
    const before = events.filter((e) => e.type === 'protocol-error').length;
    await rawSession(port, async (s, read) => {
      await read(18);
      s.write(randomBytes(64));
      await closed(s);
    });
    expect(events.filter((e) => e.type === 'protocol-error').length).toBeGreaterThan(before);

    // A client that disconnects halfway through a write's payload.
    await rawSession(port, async (s, read) => {
      await read(18);
      await goToExport(s, read, 'lun0');
      const header = requestHeader(1, 0, 0, 65536);
      s.write(Buffer.concat([header, Buffer.alloc(1000, 0xee)]));
      s.destroy();
    });

    // Past the end and read-only: errors with the right numbers, connection stays usable.
    await rawSession(port, async (s, read) => {
      await read(18);
      await goToExport(s, read, 'lun0');
      const size = 64 * 1024 * 1024;
      s.write(requestHeader(0, 1, size - 512, 4096)); // read past the end
      expect(errnoOf(await read(16))).toBe(22);
      s.write(Buffer.concat([requestHeader(1, 2, size - 512, 4096), Buffer.alloc(4096)])); // write past the end
      expect(errnoOf(await read(16))).toBe(28);
      s.write(requestHeader(4, 3, size, 1)); // trim past the end
      expect(errnoOf(await read(16))).toBe(22);
      s.write(requestHeader(99, 4, 0, 0)); // unknown command
      expect(errnoOf(await read(16))).toBe(22);
      s.write(Buffer.concat([requestHeader(1, 5, 0, 64 * 1024 * 1024), Buffer.alloc(64 * 1024 * 1024)])); // over the max payload
      expect(errnoOf(await read(16))).toBe(22);
      s.write(requestHeader(0, 6, 0, 512)); // still serving
      const ok = await read(16 + 512);
      expect(errnoOf(ok)).toBe(0);
      expect(ok.subarray(16).equals((await readFile(pattern)).subarray(0, 512))).toBe(true);
      s.write(requestHeader(2, 7, 0, 0)); // NBD_CMD_DISC
      await closed(s);
    });
    await rawSession(port, async (s, read) => {
      await read(18);
      await goToExport(s, read, 'ro');
      s.write(Buffer.concat([requestHeader(1, 9, 0, 512), Buffer.alloc(512)]));
      expect(errnoOf(await read(16))).toBe(1);
      s.destroy();
    });

    // Nothing written before was lost, and other clients still work.
    const back = path.join(dir, 'pattern-back.img');
    await run('nbdcopy', ['--', `${url}/lun0`, back]);
    expect((await readFile(back)).subarray(0, 1024 * 1024).equals(await readFile(pattern))).toBe(true);
  });

  it('holds a host capped with --limit app1=iops:2000 at 2000 IOPS within 5%, while app2 runs uncapped', async () => {
    const limit = parseLimitSpec('app1=iops:2000');
    gateway.setLimit(limit.target, limit.limits);
    try {
      const job = (host: string): Promise<FioJob[]> => fio([
        `--name=${host}`, '--ioengine=nbd', `--uri=${url}/${host}/mem`, '--rw=randrw', '--bs=4k', '--size=64m',
        '--iodepth=16', '--runtime=6', '--time_based', '--ramp_time=1',
      ]);
      const [capped, free] = await Promise.all([job('app1'), job('app2')]);
      const cappedIops = capped[0]!.read.iops + capped[0]!.write.iops;
      const freeIops = free[0]!.read.iops + free[0]!.write.iops;
      expect(cappedIops).toBeGreaterThan(2000 * 0.95);
      expect(cappedIops).toBeLessThan(2000 * 1.05);
      expect(freeIops).toBeGreaterThan(2000 * 2);
      const stats = gateway.rollStats();
      expect(stats.find((s) => s.kind === 'host' && s.name === 'app1')?.throttled).toBeGreaterThan(0);
      expect(stats.find((s) => s.kind === 'host' && s.name === 'app2')?.throttled).toBe(0);
    } finally {
      gateway.setLimit(limit.target, {});
    }
  });

  it('reports an upstream failure, fails its I/O with EIO without hanging, and recovers when the upstream returns', async () => {
    let upstream = await startNbdkit(['memory', '16M']);
    const port = upstream.port;
    const backend = await openUpstreamBackend({ target: { host: '127.0.0.1', port, exportName: '' }, connections: 2, reconnectMs: 100 });
    const own = new NbdGateway({ luns: [{ name: 'fragile', backend }] });
    const health: string[] = [];
    own.on((e) => { if (e.type === 'backend-health') health.push(e.health.state); });
    const address = await own.listen('127.0.0.1', 0);
    try {
      upstream.child.kill('SIGKILL');
      await upstream.stop();
      await rawSession(address.port, async (s, read) => {
        await read(18);
        await goToExport(s, read, 'fragile');
        s.write(requestHeader(0, 1, 0, 4096));
        expect(errnoOf(await read(16))).toBe(5);
      });
      expect(health[0]).toBe('down');
      upstream = await startNbdkit(['memory', '16M'], port);
      const until = Date.now() + 15_000;
      while (!health.includes('up') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(health).toContain('up');
      await rawSession(address.port, async (s, read) => {
        await read(18);
        await goToExport(s, read, 'fragile');
        s.write(requestHeader(0, 2, 0, 4096));
        expect(errnoOf(await read(16 + 4096))).toBe(0);
      });
    } finally {
      await own.close();
      await upstream.stop();
    }
  });

  it('runs as `headroom gateway --listen --export --limit --stats-interval` and serves nbdinfo', async () => {
    const cli = path.resolve(import.meta.dirname, '../../bin/headroom.js');
    if (!existsSync(path.resolve(import.meta.dirname, '../../dist/engine/cli/main.js'))) {
      throw new Error('the CLI is not built: run "npx tsc -p tsconfig.json" first');
    }
    const child = spawn(process.execPath, [cli, 'gateway', '--listen', '127.0.0.1:0', '--export', `cli=file:${path.join(dir, 'cli.img')}:8M`,
      '--limit', 'app1=iops:500', '--stats-interval', '0.5', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEADROOM_LOG_LEVEL: 'info' } });
    try {
      let stderr = '';
      let stdout = '';
      child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
      const listening = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`gateway did not start: ${stderr}`)), 15_000);
        child.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
          const m = /listening on (nbd:\/\/\S+)/.exec(stderr);
          if (m) { clearTimeout(timer); resolve(m[1]!); }
        });
      });
      const { stdout: info } = await run('nbdinfo', ['--json', `${listening}/app1/cli`]);
      expect((JSON.parse(info) as { exports: { 'export-size': number }[] }).exports[0]?.['export-size']).toBe(8 * 1024 * 1024);
      // Structured logs on stderr name the static limit and the client.
      expect(stderr).toMatch(/"msg":"static limit"/);
      const until = Date.now() + 5000;
      while (!stdout.includes('"app1/cli"') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      const line = stdout.split('\n').find((l) => l.includes('"app1/cli"'));
      expect(line).toBeDefined();
      expect((JSON.parse(line!) as { stats: { kind: string }[] }).stats.map((s) => s.kind)).toEqual(expect.arrayContaining(['host', 'lun', 'pair']));
    } finally {
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => { if (child.exitCode !== null) resolve(); else child.once('exit', () => resolve()); });
    }
  });
});

// ---- a minimal raw NBD client for the misbehaving ones ----

type Reader = (n: number) => Promise<Buffer>;

async function rawSession(port: number, body: (s: net.Socket, read: Reader) => Promise<void>): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  let buffered = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => { buffered = Buffer.concat([buffered, d]); wake?.(); });
  socket.on('close', () => { ended = true; wake?.(); });
  socket.on('error', () => { ended = true; wake?.(); });
  const read: Reader = async (n) => {
    const until = Date.now() + 10_000;
    while (buffered.length < n) {
      if (ended) throw new Error(`connection closed with ${buffered.length} of ${n} bytes`);
      if (Date.now() > until) throw new Error('timed out reading');
      await new Promise<void>((r) => { wake = r; setTimeout(r, 100); });
    }
    const out = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return out;
  };
  try {
    await body(socket, read);
  } finally {
    socket.destroy();
  }
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) { resolve(); return; }
    s.once('close', () => resolve());
    setTimeout(resolve, 5000);
  });
}

async function goToExport(s: net.Socket, read: Reader, name: string): Promise<void> {
  s.write(Buffer.from([0, 0, 0, 3])); // fixed newstyle, no zeroes
  const nameBytes = Buffer.from(name);
  const data = Buffer.alloc(4 + nameBytes.length + 2);
  data.writeUInt32BE(nameBytes.length, 0);
  nameBytes.copy(data, 4);
  const head = Buffer.alloc(16);
  head.write('IHAVEOPT', 0, 'latin1');
  head.writeUInt32BE(7, 8);
  head.writeUInt32BE(data.length, 12);
  s.write(Buffer.concat([head, data]));
  for (;;) {
    const reply = await read(20);
    const body = await read(reply.readUInt32BE(16));
    void body;
    if (reply.readUInt32BE(12) === 1) return;
    if (reply.readUInt32BE(12) & 0x80000000) throw new Error(`GO refused: 0x${reply.readUInt32BE(12).toString(16)}`);
  }
}

function requestHeader(type: number, cookie: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32BE(0x25609513, 0);
  b.writeUInt16BE(0, 4);
  b.writeUInt16BE(type, 6);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(cookie, 12);
  b.writeUInt32BE(Math.floor(offset / 2 ** 32), 16);
  b.writeUInt32BE(offset >>> 0, 20);
  b.writeUInt32BE(length, 24);
  return b;
}

function errnoOf(reply: Buffer): number {
  expect(reply.readUInt32BE(0)).toBe(0x67446698);
  return reply.readUInt32BE(4);
}
