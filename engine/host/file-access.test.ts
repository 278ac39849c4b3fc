import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/index.js';
import { newWorkspace } from '../workspace/index.js';
import { EngineClient, FileAccess, RpcError, createEngine, handleShellGrant, isLoopbackHost, type Engine } from './index.js';
import { connectOverMessagePort } from './testing/message-port.js';

/**
 * Every attack from issue 11 on the file RPCs, as a page holding a valid token would make it,
 * refused with an error that says why. The "home" is a scratch folder holding the files an
 * attacker wants: ~/.ssh/id_rsa, ~/.ssh/authorized_keys, ~/.bashrc.
 */
const log = createLogger('test', 'silent');

const connect = connectOverMessagePort;

async function refused(promise: Promise<unknown>): Promise<RpcError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err, 'the call should have been refused').toBeInstanceOf(RpcError);
  return err as RpcError;
}

describe('file access by capability', () => {
  let home: string;
  let outside: string;
  let samples: string;
  let engine: Engine;
  let client: EngineClient;
  const secrets = { id_rsa: '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n', authorized_keys: 'ssh-ed25519 AAAA user@host\n', bashrc: 'export PATH=$HOME/bin:$PATH\n' };

  beforeAll(async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'headroom-access-'));
    home = path.join(base, 'home');
    outside = path.join(base, 'elsewhere');
    samples = path.join(base, 'samples');
    await mkdir(path.join(home, '.ssh'), { recursive: true });
    await mkdir(path.join(home, 'projects', '.hidden'), { recursive: true });
    await mkdir(outside, { recursive: true });
    await mkdir(samples, { recursive: true });
    await writeFile(path.join(home, '.ssh', 'id_rsa'), secrets.id_rsa);
    await writeFile(path.join(home, '.ssh', 'authorized_keys'), secrets.authorized_keys);
    await writeFile(path.join(home, '.bashrc'), secrets.bashrc);
    await writeFile(path.join(home, 'projects', 'study.headroom.json'), JSON.stringify(newWorkspace('Study')));
    await writeFile(path.join(home, 'projects', 'beside.yaml'), 'version: 1\n');
    await writeFile(path.join(home, 'projects', '.hidden', 'secret.yaml'), 'version: 1\n');
    await writeFile(path.join(home, 'projects', 'notes.html'), '<html>my own notes</html>\n');
    await writeFile(path.join(home, 'projects', 'paper.pdf'), 'not a pdf at all');
    await writeFile(path.join(outside, 'far.yaml'), 'version: 1\n');
    await writeFile(path.join(samples, 'sample.headroom.json'), JSON.stringify(newWorkspace('Sample')));
    await symlink(path.join(home, '.ssh', 'id_rsa'), path.join(home, 'projects', 'key.yaml'));
    await symlink(outside, path.join(home, 'projects', 'escape'));
    engine = createEngine(log, { files: new FileAccess({ browseRoots: [home], samplesDir: samples }) });
    client = connect(engine);
  });
  afterAll(async () => { client.close(); await engine.shutdown(); });

  it('policy.read refuses /etc/passwd, ~/.ssh/id_rsa and /proc/self/environ', async () => {
    for (const file of ['/etc/passwd', path.join(home, '.ssh', 'id_rsa'), '/proc/self/environ']) {
      const err = await refused(client.call('policy.read', { path: file }));
      expect(err.code).toBe('forbidden');
      expect(err.where).toBe(file);
      expect(err.message).toMatch(/not a policy \(its name must end in \.yaml or \.yml\)/);
    }
  });

  it('policy.write {overwrite:true} cannot replace authorized_keys or .bashrc', async () => {
    for (const file of [path.join(home, '.ssh', 'authorized_keys'), path.join(home, '.bashrc')]) {
      const err = await refused(client.call('policy.write', { path: file, text: 'ssh-ed25519 attacker', overwrite: true }));
      expect(err.code).toBe('forbidden');
    }
    expect(await readFile(path.join(home, '.ssh', 'authorized_keys'), 'utf8')).toBe(secrets.authorized_keys);
    expect(await readFile(path.join(home, '.bashrc'), 'utf8')).toBe(secrets.bashrc);
  });

  it('a policy-named path that was never chosen is refused, and says how to choose it', async () => {
    const err = await refused(client.call('policy.read', { path: path.join(outside, 'far.yaml') }));
    expect(err.code).toBe('forbidden');
    expect(err.message).toMatch(/only files you chose in a dialog or inside the open workspace's folder/);
  });

  it('files.list refuses / and hidden folders, and shows no hidden entries', async () => {
    expect((await refused(client.call('files.list', { dir: '/' }))).message).toMatch(/outside the folders this dialog shows/);
    expect((await refused(client.call('files.list', { dir: '/etc' }))).code).toBe('forbidden');
    expect((await refused(client.call('files.list', { dir: path.join(home, '.ssh') }))).message).toMatch(/hidden/);
    const listing = await client.call('files.list', { dir: home });
    expect(listing.entries.map((e) => e.name)).toEqual(['projects']);
    // At the top of what it may show, the dialog offers no way up.
    expect(listing.parent).toBeNull();
    expect(listing.roots).toContain(home);
  });

  it('the in-app dialog grants only what it could show, of the expected kind', async () => {
    expect((await refused(client.call('files.choose', { path: '/etc/passwd', purpose: 'policy', mode: 'open' }))).code).toBe('forbidden');
    expect((await refused(client.call('files.choose', { path: path.join(home, '.ssh', 'id_rsa'), purpose: 'policy', mode: 'open' }))).code).toBe('forbidden');
    expect((await refused(client.call('files.choose', { path: path.join(home, '.bashrc'), purpose: 'report-html', mode: 'save' }))).message).toMatch(/hidden/);
    expect((await refused(client.call('files.choose', { path: path.join(home, 'projects', 'beside.yaml'), purpose: 'report-pdf', mode: 'save' }))).message).toMatch(/not a PDF/);
    expect((await refused(client.call('files.choose', { path: path.join(home, 'projects', '.hidden', 'secret.yaml'), purpose: 'policy', mode: 'open' }))).message).toMatch(/hidden/);
    expect((await refused(client.call('files.choose', { path: path.join(outside, 'far.yaml'), purpose: 'policy', mode: 'open' }))).code).toBe('forbidden');
  });

  it('opening a chosen workspace makes its folder a root: files beside it, of the right kind, not hidden, not through links', async () => {
    const study = path.join(home, 'projects', 'study.headroom.json');
    await client.call('files.choose', { path: study, purpose: 'workspace', mode: 'open' });
    await client.call('workspace.open', { path: study });
    expect((await client.call('policy.read', { path: path.join(home, 'projects', 'beside.yaml') })).text).toBe('version: 1\n');
    expect((await refused(client.call('policy.read', { path: path.join(home, 'projects', '.hidden', 'secret.yaml') }))).message).toMatch(/hidden/);
    // A link named like a policy that points at the private key: its real name is not a policy's.
    expect((await refused(client.call('policy.read', { path: path.join(home, 'projects', 'key.yaml') }))).code).toBe('forbidden');
    // A folder link out of the root reaches nothing there.
    expect((await refused(client.call('policy.read', { path: path.join(home, 'projects', 'escape', 'far.yaml') }))).code).toBe('forbidden');
  });

  it('report.export cannot write over .bashrc, nor over a file of another kind in the workspace folder', async () => {
    const workspace = newWorkspace('Report');
    const workspacePath = path.join(home, 'projects', 'study.headroom.json');
    const bashrc = await refused(client.stream('report.export', { workspace, workspacePath, paper: 'A4', html: path.join(home, '.bashrc') }));
    expect(bashrc.code).toBe('forbidden');
    const notes = await refused(client.stream('report.export', { workspace, workspacePath, paper: 'A4', html: path.join(home, 'projects', 'notes.html') }));
    expect(notes.message).toMatch(/exists and is not a Headroom HTML report; refusing to overwrite it/);
    const pdf = await refused(client.stream('report.export', { workspace, workspacePath, paper: 'A4', pdf: path.join(home, 'projects', 'paper.pdf') }));
    expect(pdf.message).toMatch(/exists and is not a PDF/);
    expect(await readFile(path.join(home, '.bashrc'), 'utf8')).toBe(secrets.bashrc);
    expect(await readFile(path.join(home, 'projects', 'notes.html'), 'utf8')).toBe('<html>my own notes</html>\n');
    // A new report beside the workspace is written, and a second export replaces its own output.
    const out = path.join(home, 'projects', 'report.html');
    for (let i = 0; i < 2; i++) expect((await client.stream('report.export', { workspace, workspacePath, paper: 'A4', html: out })).html).toBe(out);
    expect(await readFile(out, 'utf8')).toContain('<meta name="generator" content="Headroom');
  }, 60_000);

  it('sla.start refuses a database outside the capability rule and a wide address the policy does not name', async () => {
    const policyFile = path.join(home, 'projects', 'beside.yaml');
    const bashrcDb = await refused(client.call('sla.start', { policyFile, dbFile: path.join(home, '.bashrc'), listen: { host: '127.0.0.1', port: 0 } }));
    expect(bashrcDb.message).toMatch(/not a SLA database/);
    const farDb = await refused(client.call('sla.start', { policyFile, dbFile: path.join(outside, 'sla.db'), listen: { host: '127.0.0.1', port: 0 } }));
    expect(farDb.code).toBe('forbidden');
    const notDb = path.join(home, 'projects', 'fake.db');
    await writeFile(notDb, 'my data, not sqlite');
    expect((await refused(client.call('sla.start', { policyFile, dbFile: notDb, listen: { host: '127.0.0.1', port: 0 } }))).message).toMatch(/exists and is not a SLA database/);
    const wide = await refused(client.call('sla.start', { policyFile, dbFile: path.join(home, 'projects', 'sla.db'), listen: { host: '0.0.0.0', port: 0 } }));
    expect(wide.code).toBe('forbidden');
    expect(wide.message).toMatch(/listens on loopback unless the policy names a wider address/);
    expect(['127.0.0.1', '127.8.0.1', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.4', 'example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('workspace.save writes only workspaces, and never into the samples', async () => {
    expect((await refused(client.call('workspace.save', { path: path.join(home, '.bashrc'), workspace: newWorkspace('x'), overwrite: true }))).code).toBe('forbidden');
    const sample = path.join(samples, 'sample.headroom.json');
    const opened = await client.call('workspace.open', { path: sample });
    const err = await refused(client.call('workspace.save', { path: sample, workspace: opened.workspace, baseHash: opened.hash }));
    expect(err.message).toMatch(/samples folder is read only/);
  });

  it('recent.add and workspace.scan take no raw path either', async () => {
    expect((await refused(client.call('recent.add', { path: '/etc/passwd' }))).code).toBe('forbidden');
    expect((await refused(client.stream('workspace.scan', { dir: '/' }))).code).toBe('forbidden');
  });

  it('a grant from Electron main (native dialog) opens that one file, still only of its kind', async () => {
    const chosen = path.join(outside, 'native.headroom.json');
    expect((await refused(client.call('workspace.save', { path: chosen, workspace: newWorkspace('n') }))).code).toBe('forbidden');
    const reply = await handleShellGrant(engine.files, { kind: 'grant-path', requestId: 7, path: chosen, purpose: 'workspace', mode: 'save' });
    expect(reply).toEqual({ kind: 'grant-result', requestId: 7, ok: true, path: chosen });
    expect((await client.call('workspace.save', { path: chosen, workspace: newWorkspace('n') })).path).toBe(chosen);
    const wrongKind = await handleShellGrant(engine.files, { kind: 'grant-path', requestId: 8, path: '/etc/passwd', purpose: 'policy', mode: 'open' });
    expect(wrongKind).toMatchObject({ ok: false, requestId: 8, error: { code: 'forbidden' } });
    const malformed = await handleShellGrant(engine.files, { kind: 'grant-path', requestId: 9, path: 42 });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    const root = await handleShellGrant(engine.files, { kind: 'grant-root', requestId: 10, path: outside });
    expect(root).toMatchObject({ ok: true });
    expect((await client.call('policy.read', { path: path.join(outside, 'far.yaml') })).text).toBe('version: 1\n');
    expect((await handleShellGrant(engine.files, { kind: 'grant-root', requestId: 11, path: '/' }))).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});
