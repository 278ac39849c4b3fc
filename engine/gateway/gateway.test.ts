import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FrameDecoder, encodeFrame, newAuthNonce, verifyAuthMac, type ControlMessage, type DecodedFrame,
} from '../protocol/index.js';
import { ControlAgent, NbdGateway, type BackendHealth, type BackendIo, type BlockBackend } from './index.js';

/** A RAM-backed LUN whose failure the test can trigger. */
class MemoryBackend implements BlockBackend {
  readonly location = 'memory:test';
  readonly transmissionFlags = 1 | 4;
  readonly maxPayload = 1 << 20;
  private readonly data: Buffer;
  private readonly listeners: ((h: BackendHealth) => void)[] = [];
  constructor(readonly size: number) { this.data = Buffer.alloc(size); }
  onHealth(listener: (h: BackendHealth) => void): void { this.listeners.push(listener); }
  fail(reason: string, state: 'down' | 'degraded' = 'down'): void { for (const l of this.listeners) l({ state, reason }); }
  submit(io: BackendIo): void {
    if (io.type === 0) { io.complete(0, Buffer.from(this.data.subarray(io.offset, io.offset + io.length))); return; }
    if (io.type === 1 && io.payload) io.payload.copy(this.data, io.offset);
    io.complete(0, null);
  }
  async close(): Promise<void> {}
}

/** A tiny SLA server speaking the control protocol with the real codec. */
class TestDaemon {
  readonly frames: DecodedFrame[] = [];
  private server = net.createServer((s) => this.accept(s));
  private socket: net.Socket | null = null;
  private nonce: Uint8Array = new Uint8Array();
  private waiters: { match: (m: ControlMessage) => boolean; resolve: (f: DecodedFrame) => void }[] = [];
  port = 0;
  constructor(private readonly secret: string) {}
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  send(seq: number, m: ControlMessage): void { this.socket?.write(encodeFrame(seq, m)); }
  next<T extends ControlMessage['type']>(type: T, timeoutMs = 10_000): Promise<DecodedFrame & { message: Extract<ControlMessage, { type: T }> }> {
    const seen = this.frames.find((f) => f.message.type === type && !(f as { taken?: boolean }).taken);
    if (seen) { (seen as { taken?: boolean }).taken = true; return Promise.resolve(seen as never); }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match: (m) => m.type === type, resolve: (f) => { clearTimeout(timer); (f as { taken?: boolean }).taken = true; resolve(f as never); } });
    });
  }
  private accept(socket: net.Socket): void {
    this.socket = socket;
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      const { frames } = decoder.push(chunk);
      for (const f of frames) this.onFrame(f);
    });
    socket.on('error', () => {});
  }
  private onFrame(f: DecodedFrame): void {
    const m = f.message;
    if (m.type === 'hello') { this.nonce = newAuthNonce(); this.send(1, { type: 'challenge', nonce: this.nonce }); }
    if (m.type === 'auth') {
      const gatewayId = (this.frames.find((x) => x.message.type === 'hello')!.message as { gatewayId: string }).gatewayId;
      const ok = verifyAuthMac(this.secret, this.nonce, gatewayId, m.mac);
      this.send(f.seq, { type: 'authResult', ok, reason: ok ? '' : 'bad MAC' });
      if (!ok) this.socket?.end();
    }
    if (m.type === 'register') this.send(f.seq, { type: 'registered', pollIntervalMs: 1000 });
    this.frames.push(f);
    const w = this.waiters.findIndex((x) => x.match(m));
    if (w >= 0) { const [waiter] = this.waiters.splice(w, 1); this.frames.pop(); this.frames.push(f); waiter!.resolve(f); }
  }
  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Writes `count` 4 KiB blocks through the gateway as host/lun with a raw NBD client. */
async function writeBlocks(port: number, exportName: string, count: number, localAddress?: string): Promise<void> {
  const s = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  let buf = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  s.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); wake?.(); });
  const read = async (n: number): Promise<Buffer> => {
    const until = Date.now() + 10_000;
    while (buf.length < n) {
      if (Date.now() > until) throw new Error('timed out');
      await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
    }
    const out = buf.subarray(0, n);
    buf = buf.subarray(n);
    return out;
  };
  await read(18);
  const name = Buffer.from(exportName);
  const data = Buffer.alloc(4 + name.length + 2);
  data.writeUInt32BE(name.length, 0);
  name.copy(data, 4);
  const head = Buffer.alloc(16);
  head.write('IHAVEOPT', 0, 'latin1');
  head.writeUInt32BE(7, 8);
  head.writeUInt32BE(data.length, 12);
  s.write(Buffer.concat([Buffer.from([0, 0, 0, 3]), head, data]));
  for (;;) {
    const r = await read(20);
    await read(r.readUInt32BE(16));
    if (r.readUInt32BE(12) === 1) break;
  }
  for (let i = 0; i < count; i++) {
    const h = Buffer.alloc(28);
    h.writeUInt32BE(0x25609513, 0);
    h.writeUInt16BE(1, 6);
    h.writeUInt32BE(i, 12);
    h.writeUInt32BE(i * 4096, 20);
    h.writeUInt32BE(4096, 24);
    s.write(Buffer.concat([h, Buffer.alloc(4096, i)]));
    const reply = await read(16);
    expect(reply.readUInt32BE(4)).toBe(0);
  }
  s.destroy();
}

/** Completes reads only when told, in whatever order the test picks. */
class HeldBackend extends MemoryBackend {
  held: BackendIo[] = [];
  override submit(io: BackendIo): void {
    if (io.type === 0) this.held.push(io);
    else super.submit(io);
  }
  releaseAt(i: number): void {
    const [io] = this.held.splice(i, 1);
    io!.complete(0, Buffer.alloc(io!.length, io!.offset / 512));
  }
}

describe('replies matched by cookie', () => {
  it('answers pipelined reads in completion order, each with its own cookie and data', async () => {
    const backend = new HeldBackend(1 << 20);
    const gateway = new NbdGateway({ luns: [{ name: 'lun0', backend }] });
    const { port } = await gateway.listen('127.0.0.1', 0);
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => { buf = Buffer.concat([buf, d]); });
    const waitFor = async (n: number): Promise<void> => {
      const until = Date.now() + 5000;
      while (buf.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(buf.length).toBeGreaterThanOrEqual(n);
    };
    try {
      await waitFor(18);
      const name = Buffer.from('lun0');
      const go = Buffer.alloc(16 + 4 + name.length + 2);
      go.write('IHAVEOPT', 0, 'latin1');
      go.writeUInt32BE(7, 8);
      go.writeUInt32BE(4 + name.length + 2, 12);
      go.writeUInt32BE(name.length, 16);
      name.copy(go, 20);
      s.write(Buffer.concat([Buffer.from([0, 0, 0, 3]), go]));
      await waitFor(18 + 20 * 3 + 12 + 14); // greeting, INFO_EXPORT, INFO_BLOCK_SIZE, ACK
      buf = Buffer.alloc(0);
      for (const [cookie, offset] of [[0xa1, 512], [0xb2, 1024], [0xc3, 1536]] as const) {
        const h = Buffer.alloc(28);
        h.writeUInt32BE(0x25609513, 0);
        h.writeUInt32BE(cookie, 12);
        h.writeUInt32BE(offset, 20);
        h.writeUInt32BE(8, 24);
        s.write(h);
      }
      const until = Date.now() + 5000;
      while (backend.held.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      backend.releaseAt(2);
      backend.releaseAt(0);
      backend.releaseAt(0);
      await waitFor(3 * 24);
      const replies = [0, 1, 2].map((i) => buf.subarray(i * 24, i * 24 + 24));
      expect(replies.map((r) => r.readUInt32BE(12))).toEqual([0xc3, 0xa1, 0xb2]);
      expect(replies.map((r) => r[16])).toEqual([3, 1, 2]);
    } finally {
      s.destroy();
      await gateway.close();
    }
  });
});

describe('host attribution on real connections', () => {
  it('names the host from a source address range, from HOST/LUN, or from the bare address', async () => {
    const gateway = new NbdGateway({ luns: [{ name: 'lun0', backend: new MemoryBackend(1 << 20) }], attribution: { ranges: [{ host: 'db', cidr: '127.0.0.2/32' }] } });
    const { port } = await gateway.listen('127.0.0.1', 0);
    try {
      await writeBlocks(port, 'lun0', 3, '127.0.0.2');
      await writeBlocks(port, 'web/lun0', 2, '127.0.0.3');
      await writeBlocks(port, 'lun0', 1, '127.0.0.4');
      const pairs = gateway.rollStats().filter((s) => s.kind === 'pair');
      const ops = Object.fromEntries(pairs.map((p) => [p.name, Math.round(p.writeIops * p.seconds)]));
      expect(ops).toEqual({ 'db/lun0': 3, 'web/lun0': 2, '127.0.0.4/lun0': 1 });
    } finally {
      await gateway.close();
    }
  });
});

describe('the gateway control agent', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c(); });

  async function setup(agentSecret: string) {
    const daemon = new TestDaemon('s3cret');
    await daemon.listen();
    const backend = new MemoryBackend(1 << 20);
    const gateway = new NbdGateway({ luns: [{ name: 'lun0', backend }] });
    const address = await gateway.listen('127.0.0.1', 0);
    const agent = new ControlAgent({ server: { host: '127.0.0.1', port: daemon.port }, secret: agentSecret, gatewayId: 'gw-7', gateway, rollOnPoll: true, reconnectMs: 50 });
    cleanup.push(() => daemon.close(), () => gateway.close(), () => agent.stop());
    return { daemon, backend, gateway, agent, port: address.port };
  }

  it('authenticates, registers its LUNs, answers a poll with per host/LUN statistics, applies and acks a throttle, alerts on backend failure', async () => {
    const { daemon, backend, gateway, agent, port } = await setup('s3cret');
    agent.start();
    const register = await daemon.next('register');
    expect(register.message.gatewayId).toBe('gw-7');
    expect(register.message.luns).toEqual([{ lunId: 'lun0', sizeBytes: 1 << 20 }]);
    await new Promise<void>((r) => { const t = setInterval(() => { if (agent.state === 'registered') { clearInterval(t); r(); } }, 10); });

    await writeBlocks(port, 'web/lun0', 20);
    daemon.send(41, { type: 'poll', intervalMs: 1000 });
    const stats = await daemon.next('stats');
    expect(stats.seq).toBe(41);
    const entry = stats.message.entries.find((e) => e.host === 'web' && e.lun === 'lun0');
    expect(entry).toBeDefined();
    expect(entry!.iops * (stats.message.intervalMs / 1000)).toBeCloseTo(20, 0);
    expect(entry!.latencyP99Us).toBeGreaterThan(0);

    daemon.send(42, { type: 'throttle', host: 'web', lun: '', iopsLimit: 500, mbpsLimit: 0 });
    const ack = await daemon.next('throttleAck');
    expect(ack.seq).toBe(42);
    expect(ack.message.ok).toBe(true);
    expect(gateway.limits()).toEqual([{ target: { host: 'web' }, limits: { iops: 500, mbps: 0 } }]);
    daemon.send(43, { type: 'throttle', host: 'web', lun: 'nope', iopsLimit: 1, mbpsLimit: 0 });
    const refused = await daemon.next('throttleAck');
    expect(refused.message.ok).toBe(false);
    expect(refused.message.reason).toContain('nope');

    backend.fail('memory:test: disk on fire');
    const alert = await daemon.next('alert');
    expect(alert.message).toMatchObject({ severity: 'critical', code: 'backend-down', lun: 'lun0' });
    expect(alert.message.text).toContain('disk on fire');
  });

  it('alerts a degraded LUN as a warning, and a LUN that was down before the agent started once registered', async () => {
    const { daemon, backend, gateway, port } = await setup('s3cret');
    void port;
    backend.fail('memory:test: unplugged before the agent existed');
    const agent = new ControlAgent({ server: { host: '127.0.0.1', port: daemon.port }, secret: 's3cret', gatewayId: 'gw-8', gateway, rollOnPoll: true, reconnectMs: 50 });
    cleanup.push(() => agent.stop());
    agent.start();
    const early = await daemon.next('alert');
    expect(early.message).toMatchObject({ severity: 'critical', code: 'backend-down', lun: 'lun0' });
    expect(early.message.text).toContain('unplugged before the agent existed');
    backend.fail('memory:test: a request got no reply within 400 ms', 'degraded');
    const degraded = await daemon.next('alert');
    expect(degraded.message).toMatchObject({ severity: 'warning', code: 'backend-degraded', lun: 'lun0' });
  });

  it('stops trying when the server refuses its secret', async () => {
    const { daemon, agent } = await setup('wrong');
    const states: string[] = [];
    agent.onState((s) => states.push(s));
    agent.start();
    await daemon.next('auth');
    await new Promise<void>((r) => { const t = setInterval(() => { if (agent.state === 'refused') { clearInterval(t); r(); } }, 10); });
    await new Promise((r) => setTimeout(r, 200));
    expect(states.filter((s) => s === 'connecting').length).toBe(1);
    expect(daemon.frames.some((f) => f.message.type === 'register')).toBe(false);
  });
});
