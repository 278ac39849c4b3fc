import { NbdGateway, openUpstreamBackend } from '../../gateway/index.js';
import { startNbdkit } from '../../gateway/harness.js';

/**
 * nbdkit memory, one request at a time, each taking its size at `bitsPerSecond`, behind a Headroom
 * gateway exporting it as lun0. The rate filter's bucket holds 0.2 s of credit instead of its default
 * 2 s, so a probe of a few seconds measures the sustained rate rather than a banked burst.
 */
export async function ratedLun(bitsPerSecond: number): Promise<{ uri: string; port: number; close: () => Promise<void> }> {
  const upstream = await startNbdkit(['--filter=noparallel', '--filter=rate', 'memory', '1G', 'serialize=all-requests', `rate=${bitsPerSecond}`, 'burstiness=0.2']);
  const { port } = upstream;
  try {
    const backend = await openUpstreamBackend({ target: { host: '127.0.0.1', port, exportName: '' } });
    const gateway = new NbdGateway({ luns: [{ name: 'lun0', backend }], statsIntervalSeconds: 1 });
    const address = await gateway.listen('127.0.0.1', 0);
    return { uri: `nbd://127.0.0.1:${address.port}/probe/lun0`, port: address.port, close: async () => { await gateway.close(); await upstream.stop(); } };
  } catch (err) {
    await upstream.stop();
    throw err;
  }
}
