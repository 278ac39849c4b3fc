import { ACCESS_MAX_GRANTS, type AccessListWire } from '../../protocol/index.js';
import type { PolicyDocument } from './schema.js';

/** A semantic problem in the policy's access lists, at a JSON path (check.ts turns it into file:line:col). */
export interface AccessProblem {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  path: (string | number)[];
}

/**
 * Checks what the schema cannot: one list per LUN and gateway, each host once per list, gateways
 * that exist, a bounded total, and (when the server knows what its registered gateways export)
 * LUNs that exist. Names come from the policy text, so every lookup is a Map.
 */
export function accessProblems(p: PolicyDocument, knownLuns?: ReadonlyMap<string, readonly string[]>): AccessProblem[] {
  const out: AccessProblem[] = [];
  const entries = p.access ?? [];
  const gateways = new Set(p.gateways.map((g) => g.id));
  const firstOf = new Map<string, number>();
  let grants = 0;
  entries.forEach((entry, i) => {
    const key = `${entry.gateway ?? ''}\u0000${entry.lun}`;
    const first = firstOf.get(key);
    if (first !== undefined) {
      out.push({ severity: 'error', code: 'duplicate-access', message: `LUN "${entry.lun}"${entry.gateway !== undefined ? ` on gateway "${entry.gateway}"` : ''} already has an access list (access[${first}])`, path: ['access', i, 'lun'] });
    } else {
      firstOf.set(key, i);
    }
    if (entry.gateway !== undefined && !gateways.has(entry.gateway)) {
      out.push({ severity: 'error', code: 'unknown-gateway', message: `unknown gateway "${entry.gateway}": it is not in gateways`, path: ['access', i, 'gateway'] });
    }
    const hostIndex = new Map<string, number>();
    entry.hosts.forEach((grant, j) => {
      const firstHost = hostIndex.get(grant.host);
      if (firstHost !== undefined) {
        out.push({ severity: 'error', code: 'duplicate-host', message: `host "${grant.host}" is already on this list (hosts[${firstHost}])`, path: ['access', i, 'hosts', j, 'host'] });
      } else {
        hostIndex.set(grant.host, j);
      }
    });
    const before = grants;
    grants += entry.hosts.length;
    if (before <= ACCESS_MAX_GRANTS && grants > ACCESS_MAX_GRANTS) {
      out.push({ severity: 'error', code: 'too-many-access-hosts', message: `the access lists name ${grants} hosts by here; at most ${ACCESS_MAX_GRANTS} in all`, path: ['access', i, 'hosts'] });
    }
    if (knownLuns !== undefined) {
      const lunProblem = unknownLun(entry.lun, entry.gateway, p.gateways.map((g) => g.id), knownLuns);
      if (lunProblem) out.push({ severity: 'warning', code: 'unknown-lun', message: lunProblem, path: ['access', i, 'lun'] });
    }
  });
  return out;
}

/**
 * Against what registered gateways export now. A warning, not an error: a LUN whose backend is
 * down is not exported until it comes up, and its list must be in place by then.
 */
function unknownLun(lun: string, gateway: string | undefined, policyGateways: readonly string[], knownLuns: ReadonlyMap<string, readonly string[]>): string | null {
  const targets = gateway !== undefined ? [gateway] : policyGateways;
  const known = targets.filter((g) => knownLuns.has(g));
  if (known.length === 0) return null;
  if (known.some((g) => knownLuns.get(g)!.includes(lun))) return null;
  if (gateway !== undefined) {
    const luns = knownLuns.get(gateway)!;
    return `gateway "${gateway}" does not export LUN "${lun}"${luns.length ? ` (it exports ${luns.join(', ')})` : ''}: the list takes effect if it ever does`;
  }
  return `no registered gateway exports LUN "${lun}" (${known.join(', ')} checked): the list takes effect where it appears`;
}

/**
 * The access lists one gateway gets from the policy, one per LUN: a list naming this gateway
 * wins over the list for every gateway. Sent as the `access` control message.
 */
export function accessListsFor(policy: { readonly access?: PolicyDocument["access"] }, gatewayId: string): AccessListWire[] {
  const byLun = new Map<string, { specific: boolean; list: AccessListWire }>();
  for (const entry of policy.access ?? []) {
    if (entry.gateway !== undefined && entry.gateway !== gatewayId) continue;
    const specific = entry.gateway !== undefined;
    const have = byLun.get(entry.lun);
    if (have && (have.specific || !specific)) continue; // the first written among equals, as bindings do
    byLun.set(entry.lun, { specific, list: { lun: entry.lun, hosts: entry.hosts.map((g) => ({ host: g.host, mode: g.mode ?? 'rw' })) } });
  }
  return [...byLun.values()].map((v) => v.list);
}
