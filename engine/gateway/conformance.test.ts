import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdGateway, openUpstreamBackend, type BlockBackend } from './index.js';
import { startNbdkit, type Spawned } from './harness.js';

/**
 * The same probes against `nbdkit memory` and against the gateway fronting `nbdkit memory`,
 * expecting the same answers. Each pair gets two fresh nbdkit processes started alike (one
 * probed directly, one behind the gateway) so the probes see identical disks.
 *
 * Deliberate differences, and only these:
 * 1. Export name, description and URI: the gateway's exports are its LUNs, not the upstream's.
 * 2. NBD_INFO_BLOCK_SIZE: the gateway always sends one, so clients learn its 32 MiB payload cap;
 *    nbdkit memory sends none. Where the upstream sends one, its minimum and preferred sizes
 *    reach the client unchanged, and the maximum is the smaller of the upstream's and the cap.
 * 3. Read-only exports: nbdkit -r is compared with the gateway's `?ro` LUN over a writable
 *    upstream; only the flags and answers are compared, not how each came to be read-only.
 */

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const PROBE = path.join(here, 'conformance', 'nbd-probe.py');
/** The Debian interpreter: python3-libnbd installs the `nbd` module for it, not for other Pythons on PATH. */
const PYTHON = '/usr/bin/python3';

function toolPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  return null;
}
const tools = ['nbdkit', 'nbdinfo', 'nbdsh', 'nbdcopy', 'qemu-img', 'qemu-io'];
const missing = tools.filter((t) => toolPath(t) === null);
if (missing.length > 0) console.warn(`gateway conformance tests skipped: missing ${missing.join(', ')} (apt-get install nbdkit libnbd-bin python3-libnbd qemu-utils)`);
const withTools = missing.length === 0 ? describe : describe.skip;

const SIZE = '64M';
const MEMORY = ['memory', SIZE];
/** An upstream that wants 512-byte alignment and refuses anything else, like a 512e disk. */
const ALIGNED = ['--filter=blocksize-policy', 'memory', SIZE, 'blocksize-minimum=512', 'blocksize-preferred=4096', 'blocksize-error-policy=error'];

interface Pair {
  /** nbdkit, probed directly. */
  readonly direct: string;
  /** The gateway's LUN in front of a twin of that nbdkit. */
  readonly viaGateway: string;
}

interface NbdinfoExport {
  readonly [field: string]: unknown;
}

/** The fields of `nbdinfo --json` both servers must agree on (see the deliberate differences above). */
const COMPARED_FIELDS = [
  'content', 'contexts', 'is_rotational', 'is_read_only', 'can_cache', 'can_df', 'can_fast_zero', 'can_flush',
  'can_fua', 'can_multi_conn', 'can_trim', 'can_zero', 'export-size',
];

async function nbdinfo(uri: string): Promise<{ structured: unknown; fields: Record<string, unknown>; export: NbdinfoExport }> {
  const json = JSON.parse((await run('nbdinfo', ['--json', uri])).stdout) as { structured: unknown; exports: NbdinfoExport[] };
  const only = json.exports[0]!;
  return { structured: json.structured, fields: Object.fromEntries(COMPARED_FIELDS.map((f) => [f, only[f]])), export: only };
}

async function probe(uri: string, mode: 'rw' | 'ro' | 'simple'): Promise<Record<string, unknown>> {
  const { stdout } = await run(PYTHON, [PROBE, uri, mode], { timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function qemuIo(uri: string, ...commands: string[]): Promise<string> {
  const args = ['-f', 'raw', ...commands.flatMap((c) => ['-c', c]), uri];
  const { stdout, stderr } = await run('qemu-io', args);
  // qemu-io prints its timing line with rates that differ run to run; keep the verdict lines only.
  return (stdout + stderr).split('\n').filter((l) => /wrote|read|failed|error/i.test(l) && !/ops;/.test(l)).join('\n');
}

withTools('conformance with nbdkit: the same probes, direct and through the gateway', () => {
  const children: Spawned[] = [];
  let gateway: NbdGateway;
  let dir: string;
  const pairs = new Map<string, Pair>();

  async function nbdkit(args: string[]): Promise<number> {
    const child = await startNbdkit(args);
    children.push(child);
    return child.port;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-conf-'));
    const specs: { lun: string; direct: string[]; upstream: string[]; readOnly?: boolean }[] = [
      { lun: 'mem', direct: MEMORY, upstream: MEMORY },
      { lun: 'simple', direct: MEMORY, upstream: MEMORY },
      { lun: 'ro', direct: ['-r', ...MEMORY], upstream: MEMORY, readOnly: true },
      { lun: 'aligned', direct: ALIGNED, upstream: ALIGNED },
      { lun: 'sparse', direct: MEMORY, upstream: MEMORY },
    ];
    const luns: { name: string; backend: BlockBackend; readOnly: boolean }[] = [];
    for (const spec of specs) {
      const [directPort, upstreamPort] = await Promise.all([nbdkit(spec.direct), nbdkit(spec.upstream)]);
      const backend = await openUpstreamBackend({ target: { host: '127.0.0.1', port: upstreamPort, exportName: '' }, connections: 2, readOnly: spec.readOnly === true });
      luns.push({ name: spec.lun, backend, readOnly: spec.readOnly === true });
      pairs.set(spec.lun, { direct: `nbd://127.0.0.1:${directPort}`, viaGateway: spec.lun });
    }
    gateway = new NbdGateway({ luns });
    const address = await gateway.listen('127.0.0.1', 0);
    for (const [lun, pair] of pairs) pairs.set(lun, { ...pair, viaGateway: `nbd://127.0.0.1:${address.port}/${lun}` });
  }, 60_000);

  afterAll(async () => {
    await gateway?.close();
    for (const c of children) await c.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const pair = (lun: string): Pair => pairs.get(lun)!;

  it('nbdinfo --json: the same flags, meta contexts and size, writable and read-only', async () => {
    for (const lun of ['mem', 'ro']) {
      const [direct, via] = await Promise.all([nbdinfo(pair(lun).direct), nbdinfo(pair(lun).viaGateway)]);
      expect(via.structured).toBe(direct.structured);
      expect(via.fields).toEqual(direct.fields);
    }
    // Read-only advertises nothing that writes: no TRIM, WRITE_ZEROES, FUA or FAST_ZERO.
    const ro = await nbdinfo(pair('ro').viaGateway);
    expect([ro.fields.is_read_only, ro.fields.can_trim, ro.fields.can_zero, ro.fields.can_fua, ro.fields.can_fast_zero]).toEqual([true, false, false, false, false]);
    // MULTI_CONN, CACHE and FAST_ZERO reach the client from the upstream.
    const mem = await nbdinfo(pair('mem').viaGateway);
    expect([mem.fields.can_multi_conn, mem.fields.can_cache, mem.fields.can_fast_zero, mem.fields.contexts]).toEqual([true, true, true, ['base:allocation']]);
  });

  it('nbdinfo --json: an upstream\'s minimum and preferred block sizes reach the client (deliberate difference 2: the maximum is capped)', async () => {
    const [direct, via] = await Promise.all([nbdinfo(pair('aligned').direct), nbdinfo(pair('aligned').viaGateway)]);
    expect(via.fields).toEqual(direct.fields);
    expect(via.export.block_size_minimum).toBe(direct.export.block_size_minimum);
    expect(via.export.block_size_preferred).toBe(direct.export.block_size_preferred);
    expect(via.export.block_size_minimum).toBe(512);
    expect(via.export.block_size_maximum).toBe(32 * 1024 * 1024);
  });

  it('nbdsh probes of every command: flags (unknown ones too), zero lengths, out-of-range offsets, block status', async () => {
    const [direct, via] = await Promise.all([probe(pair('mem').direct, 'rw'), probe(pair('mem').viaGateway, 'rw')]);
    expect(via).toEqual(direct);
    // The answers that motivated the suite, spelled out so a change on both sides still shows.
    expect([via['read flag 0x8000'], via['write flag 0x8000'], via['flush flag 0x8000']]).toEqual(['EINVAL', 'EINVAL', 'EINVAL']);
    expect(via['read back 4096 at 1M']).toBe('ok');
    // The upstream's holes reach the client: the 4 KiB written at 1 MiB is data (flags 0) between holes (3).
    const [context, start, entries] = (via['extents of first 4M'] as [string, number, number[]][])[0]!;
    expect([context, start]).toEqual(['base:allocation', 0]);
    const flags = entries.filter((_, i) => i % 2 === 1);
    expect(flags).toContain(0);
    expect(flags).toContain(3);
  });

  it('nbdsh probes of a read-only export: writes are EPERM, reads, flush, cache and block status work', async () => {
    const [direct, via] = await Promise.all([probe(pair('ro').direct, 'ro'), probe(pair('ro').viaGateway, 'ro')]);
    expect(via).toEqual(direct);
    expect([via.write, via.trim, via.zero, via.flush, via.cache]).toEqual(['EPERM', 'EPERM', 'EPERM', 'ok', 'ok']);
  });

  it('nbdsh probes without structured replies: simple replies, data intact, BLOCK_STATUS refused', async () => {
    const [direct, via] = await Promise.all([probe(pair('simple').direct, 'simple'), probe(pair('simple').viaGateway, 'simple')]);
    expect(via).toEqual(direct);
    expect(via.structured).toBe(false);
    expect(via['read 128K spanning data and hole']).toBe('ok');
  });

  it('qemu-io writes 512 bytes at offset 1000 on a 512-byte-aligned upstream, direct and through the gateway', async () => {
    const commands = ['write -P 0x5a 1000 512', 'read -P 0x5a 1000 512', 'read -P 0 0 1000', 'read -P 0 1512 2584'];
    const [direct, via] = await Promise.all([qemuIo(pair('aligned').direct, ...commands), qemuIo(pair('aligned').viaGateway, ...commands)]);
    expect(via).toBe(direct);
    expect(via).toContain('wrote 512/512 bytes at offset 1000');
    expect(via).not.toMatch(/failed|error/i);
  });

  it('qemu-img map and nbdcopy see the same holes on a sparse LUN', async () => {
    const { direct, viaGateway } = pair('sparse');
    for (const uri of [direct, viaGateway]) await qemuIo(uri, 'write -P 0x11 8M 64K', 'write -P 0x22 40M 1M');
    const map = async (uri: string): Promise<unknown> => JSON.parse((await run('qemu-img', ['map', '--output=json', '-f', 'raw', uri])).stdout);
    const [directMap, viaMap] = await Promise.all([map(direct), map(viaGateway)]);
    expect(viaMap).toEqual(directMap);
    const dataRanges = (viaMap as { start: number; length: number; data: boolean }[]).filter((e) => e.data).map((e) => [e.start, e.length]);
    expect(dataRanges).toEqual([[8 * 2 ** 20, 65536], [40 * 2 ** 20, 2 ** 20]]);
    const copies = { direct: path.join(dir, 'direct.img'), via: path.join(dir, 'via.img') };
    await run('nbdcopy', [direct, copies.direct]);
    await run('nbdcopy', [viaGateway, copies.via]);
    const [a, b] = await Promise.all([readFile(copies.direct), readFile(copies.via)]);
    expect(b.equals(a)).toBe(true);
    expect(b.subarray(40 * 2 ** 20, 41 * 2 ** 20).every((x) => x === 0x22)).toBe(true);
    // nbdcopy skipped the holes both times: the copies are as sparse as each other, and sparse.
    const [sa, sb] = await Promise.all([stat(copies.direct), stat(copies.via)]);
    expect(sb.blocks).toBe(sa.blocks);
    expect(sb.blocks * 512).toBeLessThan(4 * 2 ** 20);
  });
});
