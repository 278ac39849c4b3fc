import type { AnalysisResult, GatewayStats } from './analyzer/index.js';
import type { ActionRecord, AlertRecord, SampleRow, ViolationRecord } from './db/index.js';
import { classOf, type Policy } from './policy/index.js';

/**
 * What one poll cycle leaves in the database: the statistics as sample rows (each pair tagged
 * with the class it was bound to then), and the analyzer's decisions as records.
 */
export function sampleRowsOf(policy: Policy | null, at: number, gateways: readonly GatewayStats[]): SampleRow[] {
  const rows: SampleRow[] = [];
  for (const gw of gateways) {
    for (const e of gw.entries) {
      rows.push({
        t: at, gatewayId: gw.gatewayId, host: e.host, lun: e.lun,
        className: policy ? classOf(policy, gw.gatewayId, e.host, e.lun)?.name ?? null : null,
        iops: e.iops, mbps: e.mbps, p50Us: e.latencyP50Us, p95Us: e.latencyP95Us, p99Us: e.latencyP99Us, queueDepth: e.queueDepth,
      });
    }
  }
  return rows;
}

export function analysisRecords(result: AnalysisResult): { actions: ActionRecord[]; violations: ViolationRecord[]; alerts: AlertRecord[] } {
  const t = result.at;
  return {
    actions: result.changes.map((c) => ({
      t, gatewayId: c.gatewayId, host: c.host, lun: c.lun, className: c.className, kind: c.kind,
      iopsLimit: c.iopsLimit, mbpsLimit: c.mbpsLimit, previousIopsLimit: c.previousIopsLimit, previousMbpsLimit: c.previousMbpsLimit,
      protects: c.protects, reason: c.reason,
    })),
    violations: result.violations.map((v) => ({ t, gatewayId: v.gatewayId, className: v.className, host: v.host, lun: v.lun, measurement: v.measurement, observed: v.observed, target: v.target, text: v.text })),
    alerts: result.alerts.map((a) => ({ t, severity: a.severity, gatewayId: a.gatewayId, className: a.className, code: 'class-at-risk', text: a.text })),
  };
}
