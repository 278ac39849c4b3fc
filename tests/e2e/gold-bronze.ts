import type { FioJob } from './harness.js';

/**
 * The gold/bronze SLA scenario of samples/policies/gold-bronze.yaml, shared by the end-to-end
 * test and the Monitor UI test so both load the storage the same way.
 *
 * A disk-like backend: nbdkit serves one request at a time across all connections (noparallel)
 * and each takes its size at 100 Mbit/s (rate: 12.5 MB/s). Without noparallel the rate filter
 * lets gold's small reads slip between bronze's large writes and gold hardly notices bronze.
 */
export const STORAGE_ARGS: readonly string[] = ['--filter=noparallel', '--filter=rate', 'memory', '1G', 'serialize=all-requests', 'rate=100M'];

export function nbdkitArgs(port: number): string[] {
  return ['-f', '--exit-with-parent', '-i', '127.0.0.1', '-p', String(port), ...STORAGE_ARGS];
}

/** Gold: latency-sensitive 4 KiB random reads at 100 IOPS, one at a time. */
export const goldJob = (gatewayPort: number, name = 'gold', extra: readonly string[] = []): FioJob => ({
  name, uri: `nbd://127.0.0.1:${gatewayPort}/gold/lun0`, args: ['--rw=randread', '--bs=4k', '--iodepth=1', '--rate_iops=100', ...extra],
});

/** Bronze: a backup-like stream of 128 KiB writes, 32 in flight, as fast as the storage allows. */
export const bronzeJob = (gatewayPort: number, name = 'bronze', extra: readonly string[] = []): FioJob => ({
  name, uri: `nbd://127.0.0.1:${gatewayPort}/bronze/lun1`, args: ['--rw=randwrite', '--bs=128k', '--iodepth=32', ...extra],
});
