import { mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../runtime/index.js';
import { newWorkspace } from '../workspace/index.js';
import {
  EngineClient, FileAccess, RpcError, connectWebSocket, createEngine, messagePortChannel, messagePortServerChannel,
  startBrowserServer, webSocketChannel, type BrowserServer, type MessagePortMainLike, type WebSocketLike,
} from './index.js';

const log = createLogger('test', 'silent');

/** Every test's files live under one folder the in-app dialog may browse, as a user's home would be. */
const base = mkdtempSync(path.join(os.tmpdir(), 'headroom-contract-'));
const testEngine = () => createEngine(log, { files: new FileAccess({ browseRoots: [base, os.homedir()] }) });

interface TransportFixture {
  name: 'websocket' | 'messageport';
  connect(): Promise<EngineClient>;
  stop(): Promise<void>;
}

/** Electron's MessagePortMain delivers `{ data }` events through `on`; Node's port, through addEventListener. */
function asMessagePortMain(port: MessagePort): MessagePortMainLike {
  return {
    postMessage: (m) => port.postMessage(m),
    on: ((event: 'message' | 'close', listener: (e: { data: unknown }) => void) => {
      if (event === 'message') port.addEventListener('message', (e) => listener({ data: (e as MessageEvent).data }));
      else port.on('close', () => (listener as () => void)());
    }) as MessagePortMainLike['on'],
    start: () => port.start(),
    close: () => port.close(),
  };
}

function webSocketFixture(): TransportFixture {
  let server: BrowserServer | undefined;
  const clients: EngineClient[] = [];
  return {
    name: 'websocket',
    async connect() {
      server ??= await startBrowserServer(testEngine(), { port: 0, rendererDir: os.tmpdir() }, log);
      const url = `ws://127.0.0.1:${server.port}/rpc?token=${server.token}`;
      const socket = await connectWebSocket(() => new WebSocket(url) as unknown as WebSocketLike);
      const client = new EngineClient(webSocketChannel(socket));
      clients.push(client);
      return client;
    },
    async stop() { for (const c of clients) c.close(); await server?.close(); },
  };
}

function messagePortFixture(): TransportFixture {
  const engine = testEngine();
  const ports: MessagePort[] = [];
  return {
    name: 'messageport',
    async connect() {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1, port2);
      engine.attach(messagePortServerChannel(asMessagePortMain(port1)), 'messageport');
      return new EngineClient(messagePortChannel(port2 as unknown as Parameters<typeof messagePortChannel>[0]));
    },
    async stop() { for (const p of ports) p.close(); },
  };
}

for (const makeFixture of [webSocketFixture, messagePortFixture]) {
  const fixture = makeFixture();
  describe(`engine contract over ${fixture.name}`, () => {
    let client: EngineClient;
    let dir: string;
    beforeAll(async () => {
      client = await fixture.connect();
      dir = await mkdtemp(path.join(base, `${fixture.name}-`));
      // As the in-app dialog does when the user picks a file: the study's folder becomes a root on save.
      await client.call('files.choose', { path: path.join(dir, 'first.headroom.json'), purpose: 'workspace', mode: 'save' });
      await client.call('workspace.save', { path: path.join(dir, 'first.headroom.json'), workspace: await client.call('workspace.new', { name: 'First' }) });
    });
    afterAll(() => fixture.stop());

    it('answers engine.info and names its transport', async () => {
      const info = await client.call('engine.info', {});
      expect(info.transport).toBe(fixture.name);
      expect(info.pid).toBe(process.pid);
      expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('creates, saves and reopens a workspace', async () => {
      const ws = await client.call('workspace.new', { name: 'Contract study' });
      const file = path.join(dir, 'contract.headroom.json');
      const saved = await client.call('workspace.save', { path: file, workspace: { ...ws, description: 'edited' } });
      const opened = await client.call('workspace.open', { path: file });
      expect(opened.workspace.description).toBe('edited');
      expect(opened.hash).toBe(saved.hash);
    });

    it('refuses params that break the contract, naming the JSON path', async () => {
      const err = await client.call('workspace.open', { path: 42 } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RpcError);
      expect((err as RpcError).code).toBe('bad-request');
      expect((err as RpcError).message).toContain('$.path');
    });

    it('reports an unknown method without dropping the connection', async () => {
      const err = await (client as unknown as { call(m: string, p: unknown): Promise<unknown> }).call('no.such', {}).catch((e: unknown) => e);
      expect((err as RpcError).code).toBe('unknown-method');
      expect((await client.call('engine.info', {})).transport).toBe(fixture.name);
    });

    it('carries a corrupt workspace error with file and place, leaving the file untouched', async () => {
      const file = path.join(dir, 'corrupt.headroom.json');
      const bytes = '{"schemaVersion":1,"name":"x",';
      await writeFile(file, bytes);
      const err = await client.call('workspace.open', { path: file }).catch((e: unknown) => e);
      expect((err as RpcError).code).toBe('invalid-input');
      expect((err as RpcError).where).toContain(file);
      const saveErr = await client.call('workspace.save', { path: file, workspace: newWorkspace('y'), overwrite: true }).catch((e: unknown) => e);
      expect((saveErr as RpcError).code).toBe('conflict');
      expect(await readFile(file, 'utf8')).toBe(bytes);
    });

    it('streams progress and can be cancelled', async () => {
      // A folder with enough files that the scan reports progress before finishing.
      const scanDir = path.join(dir, 'scan');
      await import('node:fs/promises').then((fs) => fs.mkdir(scanDir, { recursive: true }));
      for (let i = 0; i < 40; i++) await writeFile(path.join(scanDir, `s${i}.headroom.json`), JSON.stringify(newWorkspace(`s${i}`)));
      const progress: number[] = [];
      const result = await client.stream('workspace.scan', { dir: scanDir }, { onProgress: (p) => progress.push(p.scanned) });
      expect(result.findings).toHaveLength(40);
      expect(result.findings.every((f) => f.ok)).toBe(true);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress.at(-1)).toBe(40);

      const controller = new AbortController();
      const cancelled = client.stream('workspace.scan', { dir: os.homedir(), maxDepth: 12 }, { signal: controller.signal });
      controller.abort();
      const err = await cancelled.catch((e: unknown) => e);
      expect((err as RpcError).code).toBe('cancelled');
    });

    it('remembers recent workspaces, newest first, without duplicates', async () => {
      const a = path.join(dir, 'a.headroom.json');
      const b = path.join(dir, 'b.headroom.json');
      await client.call('recent.add', { path: a });
      await client.call('recent.add', { path: b });
      const list = await client.call('recent.add', { path: a });
      expect(list.slice(0, 2)).toEqual([a, b]);
      expect((await client.call('recent.list', {})).slice(0, 2)).toEqual([a, b]);
    });

    it('keeps concurrent calls apart', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `study ${i}`);
      const results = await Promise.all(names.map((name) => client.call('workspace.new', { name })));
      expect(results.map((r) => r.name)).toEqual(names);
    });
  });
}

describe('browser mode access control', () => {
  let server: BrowserServer;
  beforeAll(async () => { server = await startBrowserServer(createEngine(log), { port: 0, rendererDir: os.tmpdir() }, log); });
  afterAll(() => server.close());

  const attempt = (url: string, headers: Record<string, string> = {}): Promise<number> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url, { headers });
      ws.on('open', () => { ws.close(); resolve(101); });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });

  it('refuses a connection without the token, or with a wrong one', async () => {
    expect(await attempt(`ws://127.0.0.1:${server.port}/rpc`)).toBe(401);
    expect(await attempt(`ws://127.0.0.1:${server.port}/rpc?token=${'x'.repeat(server.token.length)}`)).toBe(401);
    expect(await attempt(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`)).toBe(101);
  });

  it('refuses a page from another origin even with the token', async () => {
    expect(await attempt(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`, { origin: 'http://evil.example' })).toBe(401);
  });

  it('answers a malformed message with an error and stays up', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
    await new Promise((r) => socket.on('open', r));
    const replies: unknown[] = [];
    socket.on('message', (d) => replies.push(JSON.parse(d.toString())));
    socket.send('not json');
    socket.send(JSON.stringify({ kind: 'call', id: 7, method: 'engine.info', params: {} }));
    await new Promise((r) => setTimeout(r, 200));
    socket.close();
    expect(replies).toContainEqual(expect.objectContaining({ kind: 'error', error: expect.objectContaining({ code: 'bad-request' }) }));
    expect(replies).toContainEqual(expect.objectContaining({ kind: 'result', id: 7 }));
  });
});
