import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { benchGateway } from './index.js';

const have = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

describe.skipIf(!have('fio') || !have('nbdkit') || !have('nbdinfo'))('bench gateway (short run)', () => {
  it('measures fio direct, through a bare proxy and through the gateway in one run, and relates them', async () => {
    const r = await benchGateway({ runtimeSeconds: 1, iodepth: 4, upstreamConnections: 1 });
    for (const f of [r.direct, r.bareProxy, r.gateway]) {
      expect(f.iops).toBeGreaterThan(0);
      expect(f.iops).toBeCloseTo(f.readIops + f.writeIops, 0);
      expect(f.readP99Us).toBeGreaterThan(0);
    }
    expect(r.ratio).toBeCloseTo(r.gateway.iops / r.direct.iops, 6);
    expect(r.bareProxyRatio).toBeCloseTo(r.bareProxy.iops / r.direct.iops, 6);
    expect(r.gatewayOfBareProxy).toBeCloseTo(r.gateway.iops / r.bareProxy.iops, 6);
    expect(r).toMatchObject({ target: 0.8, statsOn: true, throttleOn: true, upstream: 'tcp' });
    expect(r.gatewayCpuUsPerIo).toBeGreaterThan(0);
  }, 60_000);
});
