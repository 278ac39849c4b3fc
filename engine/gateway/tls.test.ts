import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdGateway, certificateProblem, loadServerTls, openFileBackend, parsePskFile, type GatewayEvent, type TlsSettings } from './index.js';
import { RawNbdClient, optionHeader } from './raw-client.js';
import { OPT_EXPORT_NAME, OPT_LIST, OPT_STARTTLS, REP_ACK, REP_ERR_TLS_REQD } from './nbd-constants.js';

const run = promisify(execFile);
const tools = ['openssl', 'nbdinfo', 'qemu-img', 'fio'];
const missing = tools.filter((t) => !(process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, t))));
if (missing.length > 0) console.warn(`gateway TLS tests skipped: missing ${missing.join(', ')}`);
const withTools = missing.length === 0 ? describe : describe.skip;

let dir: string;

/** A CA, a server certificate for 127.0.0.1, a client certificate with CN=gold signed by the CA, and one self-signed. */
async function makePki(root: string): Promise<{ server: string; client: string; rogue: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const server = path.join(root, 'server');
  const client = path.join(root, 'client');
  const rogue = path.join(root, 'rogue');
  for (const d of [server, client, rogue]) await mkdir(d, { recursive: true });
  const at = (f: string): string => path.join(root, f);
  await run('openssl', ['req', '-x509', ...ec, '-keyout', at('ca-key.pem'), '-out', at('ca-cert.pem'), '-subj', '/CN=headroom-test-ca', '-days', '2']);
  const sign = async (dest: string, name: string, cn: string, ext: string): Promise<void> => {
    await writeFile(at(`${name}.ext`), ext);
    await run('openssl', ['req', ...ec, '-keyout', path.join(dest, `${name}-key.pem`), '-out', at(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await run('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca-cert.pem'), '-CAkey', at('ca-key.pem'), '-CAcreateserial',
      '-out', path.join(dest, `${name}-cert.pem`), '-days', '2', '-extfile', at(`${name}.ext`)]);
  };
  await sign(server, 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n');
  await sign(client, 'client', 'gold', 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n');
  await run('openssl', ['req', '-x509', ...ec, '-keyout', path.join(rogue, 'client-key.pem'), '-out', path.join(rogue, 'client-cert.pem'), '-subj', '/CN=gold', '-days', '2']);
  for (const d of [server, client, rogue]) await copyFile(at('ca-cert.pem'), path.join(d, 'ca-cert.pem'));
  return { server, client, rogue };
}

async function tlsGateway(settings: TlsSettings, events: GatewayEvent[]): Promise<{ gateway: NbdGateway; port: number }> {
  const tls = await loadServerTls(settings);
  const backend = await openFileBackend({ path: path.join(dir, `lun0-${randomBytes(4).toString('hex')}.img`), size: 64 << 20 });
  const gateway = new NbdGateway({ luns: [{ name: 'lun0', backend }], tls });
  gateway.on((e) => events.push(e));
  const { port } = await gateway.listen('127.0.0.1', 0);
  return { gateway, port };
}

function opened(events: GatewayEvent[]): { host: string; via: string }[] {
  return events.flatMap((e) => (e.type === 'connection-opened' ? [{ host: e.attribution.host, via: e.attribution.via }] : []));
}

function fioArgs(uri: string): string[] {
  return ['--name=t', '--ioengine=nbd', `--uri=${uri}`, '--rw=randrw', '--bs=4k', '--size=8m', '--io_size=4m', '--iodepth=4', '--verify=crc32c', '--output-format=json'];
}

withTools('the gateway over TLS (STARTTLS) with real NBD clients', () => {
  let pki: { server: string; client: string; rogue: string };
  let pskFile: string;
  let qemuPskDir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-gw-tls-'));
    pki = await makePki(path.join(dir, 'pki'));
    pskFile = path.join(dir, 'psk');
    const lines = `gold:${randomBytes(32).toString('hex')}\nbronze:${randomBytes(32).toString('hex')}\n`;
    await writeFile(pskFile, lines);
    await chmod(pskFile, 0o600);
    qemuPskDir = path.join(dir, 'qemu-psk');
    await mkdir(qemuPskDir);
    await writeFile(path.join(qemuPskDir, 'keys.psk'), lines); // qemu's tls-creds-psk reads DIR/keys.psk, same format
  }, 60_000);

  afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

  it('serves nbdinfo and qemu-img over PSK as the PSK identity, refuses that identity naming another host, and requires TLS', async () => {
    const events: GatewayEvent[] = [];
    const { gateway, port } = await tlsGateway({ mode: 'require', pskFile }, events);
    try {
      const { stdout } = await run('nbdinfo', [`nbds://gold@127.0.0.1:${port}/lun0?tls-psk-file=${pskFile}`], { timeout: 30_000 });
      expect(stdout).toMatch(/with TLS/);
      expect(stdout).toMatch(/export-size: 67108864/);
      const qemu = await run('qemu-img', ['info', '--object', `tls-creds-psk,id=tls0,dir=${qemuPskDir},endpoint=client,username=bronze`,
        '--image-opts', `driver=nbd,host=127.0.0.1,port=${port},export=lun0,tls-creds=tls0`], { timeout: 30_000 });
      expect(qemu.stdout).toMatch(/virtual size: 64 MiB/);
      expect(opened(events)).toEqual([{ host: 'gold', via: 'tls' }, { host: 'bronze', via: 'tls' }]);
      // Identity gold, naming host bronze: refused.
      await expect(run('nbdinfo', [`nbds://gold@127.0.0.1:${port}/bronze/lun0?tls-psk-file=${pskFile}`], { timeout: 30_000 })).rejects.toThrow();
      expect(events.some((e) => e.type === 'access-refused' && e.reason.includes('names host "bronze" but the client is "gold"'))).toBe(true);
      // A wrong key: no TLS session, so no identity.
      const wrong = path.join(dir, 'wrong-psk');
      await writeFile(wrong, `gold:${randomBytes(32).toString('hex')}\n`);
      await expect(run('nbdinfo', [`nbds://gold@127.0.0.1:${port}/lun0?tls-psk-file=${wrong}`], { timeout: 30_000 })).rejects.toThrow();
      // Plain NBD: TLS is required; nothing but STARTTLS is answered, and EXPORT_NAME disconnects.
      await expect(run('nbdinfo', [`nbd://127.0.0.1:${port}/lun0`], { timeout: 30_000 })).rejects.toThrow();
      const raw = await RawNbdClient.connect(port);
      await raw.start();
      expect((await raw.option(OPT_LIST))[0]!.type >>> 0).toBe(REP_ERR_TLS_REQD);
      expect((await raw.go('lun0')).type >>> 0).toBe(REP_ERR_TLS_REQD);
      expect((await raw.option(OPT_STARTTLS))[0]!.type).toBe(REP_ACK);
      raw.destroy();
      const byName = await RawNbdClient.connect(port);
      await byName.start();
      byName.write(Buffer.concat([optionHeader(OPT_EXPORT_NAME, 4), Buffer.from('lun0')]));
      await byName.closed;
      expect(opened(events)).toHaveLength(2);
    } finally {
      await gateway.close();
    }
  }, 120_000);

  it('serves nbdinfo and qemu-img over X.509 with --tls-verify-peer as the certificate\'s CN, and refuses a certificate the CA did not sign', async () => {
    const events: GatewayEvent[] = [];
    const { gateway, port } = await tlsGateway({ mode: 'require', certificatesDir: pki.server, verifyPeer: true }, events);
    try {
      const { stdout } = await run('nbdinfo', [`nbds://127.0.0.1:${port}/lun0?tls-certificates=${pki.client}`], { timeout: 30_000 });
      expect(stdout).toMatch(/with TLS/);
      const qemu = await run('qemu-img', ['info', '--object', `tls-creds-x509,id=tls0,dir=${pki.client},endpoint=client`,
        '--image-opts', `driver=nbd,host=127.0.0.1,port=${port},export=lun0,tls-creds=tls0`], { timeout: 30_000 });
      expect(qemu.stdout).toMatch(/virtual size: 64 MiB/);
      expect(opened(events)).toEqual([{ host: 'gold', via: 'tls' }, { host: 'gold', via: 'tls' }]);
      await expect(run('nbdinfo', [`nbds://127.0.0.1:${port}/silver/lun0?tls-certificates=${pki.client}`], { timeout: 30_000 })).rejects.toThrow();
      await expect(run('nbdinfo', [`nbds://127.0.0.1:${port}/lun0?tls-certificates=${pki.rogue}`], { timeout: 30_000 })).rejects.toThrow();
      // GnuTLS sends no certificate the server's CA list does not name, so OpenSSL ends it; the chain check is the backstop.
      expect(events.filter((e) => e.type === 'protocol-error').map((e) => (e as { reason: string }).reason)).toEqual([expect.stringMatching(/did not return a certificate|not signed by the CA/)]);
      const ca = new X509Certificate(await readFile(path.join(pki.client, 'ca-cert.pem')));
      expect(certificateProblem(new X509Certificate(await readFile(path.join(pki.client, 'client-cert.pem'))), [ca], new Date())).toBeNull();
      expect(certificateProblem(new X509Certificate(await readFile(path.join(pki.rogue, 'client-cert.pem'))), [ca], new Date())).toMatch(/not signed by the CA/);
      expect(certificateProblem(new X509Certificate(await readFile(path.join(pki.client, 'client-cert.pem'))), [ca], new Date(Date.now() + 5 * 86_400_000))).toMatch(/outside its validity/);
      expect(opened(events)).toHaveLength(2);
    } finally {
      await gateway.close();
    }
  }, 120_000);

  it('passes fio verify=crc32c over X.509 (nbds://, libnbd\'s default certificate directory)', async () => {
    // fio's nbd engine cannot take tls-psk-file or tls-certificates in its URI (libnbd refuses local
    // files in URIs unless the program allows them, and fio does not), so fio's TLS here is X.509 with
    // the CA found in $HOME/.pki/libnbd, and no client certificate (so no --tls-verify-peer).
    const events: GatewayEvent[] = [];
    const { gateway, port } = await tlsGateway({ mode: 'require', certificatesDir: pki.server }, events);
    const home = path.join(dir, 'home');
    await mkdir(path.join(home, '.pki', 'libnbd'), { recursive: true });
    await copyFile(path.join(pki.client, 'ca-cert.pem'), path.join(home, '.pki', 'libnbd', 'ca-cert.pem'));
    try {
      const { stdout } = await run('fio', fioArgs(`nbds://127.0.0.1:${port}/lun0`), { timeout: 120_000, env: { ...process.env, HOME: home }, maxBuffer: 16 << 20 });
      const job = (JSON.parse(stdout.slice(stdout.indexOf('{'))) as { jobs: { error: number; read: { io_bytes: number }; write: { io_bytes: number } }[] }).jobs[0]!;
      expect(job.error).toBe(0);
      expect(job.write.io_bytes).toBeGreaterThan(0);
      expect(job.read.io_bytes).toBeGreaterThan(0);
      expect(opened(events).length).toBeGreaterThan(0);
      // Without --tls-verify-peer a certificate proves nothing about the client: it is known by its address.
      expect(opened(events)[0]).toEqual({ host: '127.0.0.1', via: 'address' });
    } finally {
      await gateway.close();
    }
  }, 180_000);

  it('reads nbdkit\'s PSK file format and names the line of a mistake', () => {
    expect([...parsePskFile('gold:00ff\n\nbronze:abcd\n', 'psk').keys()]).toEqual(['gold', 'bronze']);
    expect(() => parsePskFile('gold:xyz\n', 'psk')).toThrow(/psk:1:6: the key of "gold"/);
    expect(() => parsePskFile('gold:00\ngold:11\n', 'psk')).toThrow(/psk:2: identity "gold" appears twice/);
    expect(() => parsePskFile('a/b:00\n', 'psk')).toThrow(/cannot contain "\/"/);
    expect(() => parsePskFile('\n', 'psk')).toThrow(/no identity:hexkey lines/);
  });
});
