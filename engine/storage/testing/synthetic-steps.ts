import type { ProbeStep } from '../probe.js';

/**
 * Steps of a closed loop against one server of service time D behind a fixed delay F, as fio at
 * each depth sees it: X = min(N / (F + D), 1 / D), R = N / X, with ±`noise` relative jitter.
 */
export function syntheticSteps(dMs: number, fMs: number, noise: number, depths = [1, 2, 4, 8, 16, 32]): ProbeStep[] {
  let seed = 7;
  const jitter = (): number => { seed = (seed * 16807) % 2147483647; return 1 + noise * (2 * (seed / 2147483647) - 1); };
  return depths.map((n) => {
    const iops = Math.min(n / (fMs + dMs), 1 / dMs) * 1000 * jitter();
    const meanMs = (n / iops) * 1000 * jitter();
    return { iodepth: n, iops, mbps: (iops * 4096) / 1e6, meanMs, p50Ms: meanMs, p95Ms: meanMs * 1.5, p99Ms: meanMs * 2, ios: Math.round(iops * 2) };
  });
}
