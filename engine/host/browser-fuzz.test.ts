import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { packageRoot } from '../runtime/index.js';
import { EngineClient, connectWebSocket, webSocketChannel, type WebSocketLike } from './index.js';

/**
 * Hostile WebSocket frames against a real `headroom serve` process: each bad frame must close
 * its own connection and nothing else. The engine runs as a child process so that an
 * unhandled 'error' event would show as the process exiting, as it did before.
 */

interface Serve { child: ChildProcess; port: number; token: string; stderr: () => string }

async function startServe(cwd: string): Promise<Serve> {
  const child = spawn(process.execPath, [path.join(packageRoot, 'bin', 'headroom.js'), 'serve', '--port', '0'], {
    cwd, env: { ...process.env, HEADROOM_LOG_LEVEL: 'error', HEADROOM_CONFIG_DIR: path.join(cwd, '.config') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-20_000); });
  const url = await new Promise<URL>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no URL: ${out} ${err}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(out);
      if (match) { clearTimeout(timer); resolve(new URL(match[1]!)); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited with ${code}: ${err}`)); });
  });
  return { child, port: Number(url.port), token: url.searchParams.get('token')!, stderr: () => err };
}

/** One WebSocket frame, built by hand so it can be wrong in every way the RFC forbids. */
function frame(options: { opcode: number; payload: Buffer; fin?: boolean; rsv?: number; mask?: boolean; declaredLength?: bigint }): Buffer {
  const { opcode, payload, fin = true, rsv = 0, mask = true } = options;
  const length = options.declaredLength ?? BigInt(payload.length);
  const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)];
  let extended = Buffer.alloc(0);
  if (length < 126n) head.push((mask ? 0x80 : 0) | Number(length));
  else if (length < 65536n) { head.push((mask ? 0x80 : 0) | 126); extended = Buffer.alloc(2); extended.writeUInt16BE(Number(length)); }
  else { head.push((mask ? 0x80 : 0) | 127); extended = Buffer.alloc(8); extended.writeBigUInt64BE(length); }
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), extended, key, body]);
}

const call = (id: number): Buffer => Buffer.from(JSON.stringify({ kind: 'call', id, method: 'engine.info', params: {} }));

/** Opens /rpc with the token over a raw socket, sends the frames, and waits until the engine closes it. */
function rawSession(serve: Serve, frames: Buffer[], waitMs = 3000): Promise<{ upgraded: boolean; closedByEngine: boolean; reply: Buffer }> {
  return new Promise((resolve) => {
    const socket = net.connect(serve.port, '127.0.0.1');
    let reply = Buffer.alloc(0);
    let upgraded = false;
    const done = (closedByEngine: boolean): void => { clearTimeout(timer); socket.destroy(); resolve({ upgraded, closedByEngine, reply }); };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write([
        `GET /rpc?token=${serve.token} HTTP/1.1`, `Host: 127.0.0.1:${serve.port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '',
      ].join('\r\n'));
    });
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]).subarray(0, 64 * 1024);
      if (!upgraded && reply.includes('\r\n\r\n')) {
        upgraded = reply.subarray(0, 12).toString() === 'HTTP/1.1 101';
        if (!upgraded) return;
        for (const f of frames) socket.write(f);
      }
    });
    socket.on('close', () => done(true));
  });
}

/** The close frame the engine sent, if any: its status code says why. */
function closeCode(reply: Buffer): number | null {
  const at = reply.indexOf('\r\n\r\n');
  let rest = reply.subarray(at + 4);
  while (rest.length >= 2) {
    const opcode = rest[0]! & 0x0f;
    let len = rest[1]! & 0x7f;
    let off = 2;
    if (len === 126) { len = rest.readUInt16BE(2); off = 4; }
    if (opcode === 8) return len >= 2 ? rest.readUInt16BE(off) : 1005;
    rest = rest.subarray(off + len);
  }
  return null;
}

describe('browser mode survives hostile WebSocket frames', () => {
  let serve: Serve;
  let good: EngineClient;
  let goodSocket: WebSocketLike;

  beforeAll(async () => {
    serve = await startServe(await mkdtemp(path.join(os.tmpdir(), 'headroom-fuzz-')));
    goodSocket = await connectWebSocket(() => new WebSocket(`ws://127.0.0.1:${serve.port}/rpc?token=${serve.token}`) as unknown as WebSocketLike);
    good = new EngineClient(webSocketChannel(goodSocket));
  }, 40_000);
  afterAll(() => { good?.close(); serve?.child.kill('SIGTERM'); });

  const stillServing = async (): Promise<void> => {
    expect(serve.child.exitCode, serve.stderr()).toBeNull();
    expect((await good.call('engine.info', {})).transport).toBe('websocket');
  };

  it.each([
    ['invalid UTF-8 in a text frame', 1007, frame({ opcode: 1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) })],
    ['an unmasked client frame', 1002, frame({ opcode: 1, payload: call(1), mask: false })],
    ['reserved opcode 3', 1002, frame({ opcode: 3, payload: Buffer.from('x') })],
    ['a length over the maximum', 1009, frame({ opcode: 2, payload: Buffer.alloc(0), declaredLength: 64n * 1024n * 1024n })],
    ['RSV bits without an extension', 1002, frame({ opcode: 1, payload: call(2), rsv: 4 })],
    ['a fragmented control frame', 1002, frame({ opcode: 9, payload: Buffer.from('ping'), fin: false })],
    ['a 64-bit length with the top bit set', 1009, frame({ opcode: 1, payload: Buffer.alloc(0), declaredLength: 1n << 63n })],
  ])('%s closes that connection only (close code %i)', async (_name, expectedCode, bad) => {
    const session = await rawSession(serve, [bad]);
    expect(session.upgraded).toBe(true);
    expect(session.closedByEngine).toBe(true);
    expect(closeCode(session.reply)).toBe(expectedCode);
    await stillServing();
  });

  it('a good frame on a raw socket is answered, so the raw client speaks real WebSocket', async () => {
    const session = await rawSession(serve, [frame({ opcode: 1, payload: call(9) }), frame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) })]);
    expect(session.upgraded).toBe(true);
    expect(session.reply.toString('latin1')).toContain('"kind":"result","id":9');
  });

  it('random and mutated frames, 2,000 connections, never take the engine down', async () => {
    const valid = frame({ opcode: 1, payload: call(3) });
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat({ max: valid.length }))
      .map(([flips, cut]) => {
        const bytes = Buffer.from(valid);
        for (const [at, value] of flips) bytes[at] = value;
        return bytes.subarray(0, Math.max(2, cut));
      });
    const random = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b));
    const sessions = fc.sample(fc.array(fc.oneof(mutated, random), { minLength: 1, maxLength: 4 }), { numRuns: 2000, seed: 11 });
    let closed = 0;
    let served = 0;
    for (let i = 0; i < sessions.length; i += 50) {
      const batch = await Promise.all(sessions.slice(i, i + 50).map((frames) => rawSession(serve, frames, 400)));
      closed += batch.filter((s) => s.closedByEngine).length;
      expect(batch.every((s) => s.upgraded)).toBe(true);
      // The good client is answered between every batch of hostile connections.
      await stillServing();
      served++;
    }
    console.log(JSON.stringify({ hostileConnections: sessions.length, closedByEngine: closed, goodCallsAnswered: served }));
    expect(served).toBe(40);
  }, 120_000);

  it('garbage before the upgrade gets 400 and the engine stays up', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => new Promise<string>((resolve) => {
      const socket = net.connect(serve.port, '127.0.0.1');
      let reply = '';
      socket.on('error', () => resolve(reply));
      socket.on('connect', () => socket.write(i % 2 ? randomBytes(200) : Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${serve.port}\r\nX-Flood: ${'y'.repeat(20_000)}\r\n\r\n`)));
      socket.on('data', (d: Buffer) => { reply += d.toString('latin1'); });
      socket.on('close', () => resolve(reply));
      setTimeout(() => { socket.destroy(); resolve(reply); }, 3000);
    })));
    expect(answers.filter((a) => a.startsWith('HTTP/1.1 4')).length).toBeGreaterThan(150);
    await stillServing();
  });

  it('keeps the token, Origin and Host checks (401 and 421)', async () => {
    const status = (headers: Record<string, string>, pathName = `/rpc?token=${serve.token}`): Promise<number> => new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: serve.port, path: pathName, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64'), ...headers } });
      req.on('response', (res) => { resolve(res.statusCode ?? 0); res.resume(); });
      req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 0); });
      req.on('error', () => resolve(-1));
      req.end();
    });
    expect(await status({}, '/rpc?token=wrong')).toBe(401);
    expect(await status({ origin: 'http://evil.example' })).toBe(401);
    expect(await status({})).toBe(101);
    const page = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: serve.port, path: '/', headers: { host: `evil.example:${serve.port}` } }, (res) => { resolve(res.statusCode ?? 0); res.resume(); });
    });
    expect(page).toBe(421);
    await stillServing();
  });
});
