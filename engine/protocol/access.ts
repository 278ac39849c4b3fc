import type { PayloadReader, PayloadWriter } from './binary.js';

/**
 * The `access` message (D→G): the per-LUN access lists the SLA policy sets on one gateway.
 * It carries the whole policy layer each time (every LUN the policy lists for this gateway), so
 * it is idempotent and a later one replaces an earlier one; an empty list of LUNs hands every
 * LUN back to the gateway's own --allow lists. Answered by `configAck`.
 *
 * Payload: count u16, then per LUN: lun str, count u16, then per host: host str, mode u8
 * (0 read-write, 1 read-only).
 */
export type AccessModeCode = 'rw' | 'ro';

export interface AccessGrantWire {
  host: string;
  mode: AccessModeCode;
}

export interface AccessListWire {
  lun: string;
  hosts: AccessGrantWire[];
}

/** Bounds, shared with the policy schema: a policy that passes its checker always fits in one message. */
export const ACCESS_MAX_LUNS = 1024;
export const ACCESS_MAX_HOSTS_PER_LUN = 1024;
/** Hosts over all LUNs of one message. */
export const ACCESS_MAX_GRANTS = 8192;
/** Longest LUN or host name, in UTF-8 bytes. */
export const ACCESS_MAX_NAME_BYTES = 255;

const modes: readonly AccessModeCode[] = ['rw', 'ro'];

/** Why a LUN or host name cannot be one, or null. `/` separates HOST/LUN; control characters never name anything. */
export function accessNameProblem(name: string, what: 'LUN' | 'host'): string | null {
  if (name.length === 0) return `empty ${what} name`;
  if (Buffer.byteLength(name, 'utf8') > ACCESS_MAX_NAME_BYTES) return `${what} name longer than ${ACCESS_MAX_NAME_BYTES} bytes`;
  if (name.includes('/')) return `${what} name "${name}" contains "/"`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${what} name contains a control character`;
  if (what === 'LUN' && name === '*') return 'a LUN cannot be named "*"';
  return null;
}

/** Throws (RangeError) on a list the wire must not carry, so the sender learns before the peer does. */
export function writeAccessLists(w: PayloadWriter, luns: readonly AccessListWire[]): void {
  if (luns.length > ACCESS_MAX_LUNS) throw new RangeError(`${luns.length} access lists; at most ${ACCESS_MAX_LUNS} go in one message`);
  let grants = 0;
  const seenLuns = new Set<string>();
  w.count(luns.length);
  for (const list of luns) {
    const problem = accessNameProblem(list.lun, 'LUN') ?? (seenLuns.has(list.lun) ? `LUN "${list.lun}" listed twice` : null);
    if (problem) throw new RangeError(problem);
    seenLuns.add(list.lun);
    if (list.hosts.length > ACCESS_MAX_HOSTS_PER_LUN) throw new RangeError(`LUN "${list.lun}" lists ${list.hosts.length} hosts; at most ${ACCESS_MAX_HOSTS_PER_LUN}`);
    grants += list.hosts.length;
    if (grants > ACCESS_MAX_GRANTS) throw new RangeError(`more than ${ACCESS_MAX_GRANTS} hosts in all access lists`);
    w.str(list.lun).count(list.hosts.length);
    const seenHosts = new Set<string>();
    for (const grant of list.hosts) {
      const hostProblem = accessNameProblem(grant.host, 'host') ?? (seenHosts.has(grant.host) ? `host "${grant.host}" listed twice for LUN "${list.lun}"` : null);
      if (hostProblem) throw new RangeError(hostProblem);
      seenHosts.add(grant.host);
      const mode = modes.indexOf(grant.mode);
      if (mode < 0) throw new RangeError(`mode ${String(grant.mode)} is not rw or ro`);
      w.str(grant.host).u8(mode);
    }
  }
}

/** Reads and checks every field; on a problem the reader holds it (with the byte offset) and the value is meaningless. */
export function readAccessLists(r: PayloadReader): AccessListWire[] {
  const at = r.position;
  // Smallest LUN entry: a 1-byte name (3) and a host count (2).
  const n = r.count('access lists', 5);
  if (n > ACCESS_MAX_LUNS) { r.fail(`${n} access lists; at most ${ACCESS_MAX_LUNS}`, at); return []; }
  const luns: AccessListWire[] = [];
  const seenLuns = new Set<string>();
  let grants = 0;
  for (let i = 0; i < n && !r.problem; i++) {
    const lunAt = r.position;
    const lun = r.str(`access[${i}].lun`);
    if (r.problem) break;
    const lunProblem = accessNameProblem(lun, 'LUN') ?? (seenLuns.has(lun) ? `LUN "${lun}" listed twice` : null);
    if (lunProblem) { r.fail(`access[${i}].lun: ${lunProblem}`, lunAt); break; }
    seenLuns.add(lun);
    const countAt = r.position;
    // Smallest grant: a 1-byte name (3) and a mode (1).
    const m = r.count(`access[${i}].hosts`, 4);
    if (m > ACCESS_MAX_HOSTS_PER_LUN) { r.fail(`access[${i}]: ${m} hosts; at most ${ACCESS_MAX_HOSTS_PER_LUN}`, countAt); break; }
    grants += m;
    if (grants > ACCESS_MAX_GRANTS) { r.fail(`more than ${ACCESS_MAX_GRANTS} hosts in all access lists`, countAt); break; }
    const hosts: AccessGrantWire[] = [];
    const seenHosts = new Set<string>();
    for (let j = 0; j < m && !r.problem; j++) {
      const hostAt = r.position;
      const host = r.str(`access[${i}].hosts[${j}].host`);
      if (r.problem) break;
      const hostProblem = accessNameProblem(host, 'host') ?? (seenHosts.has(host) ? `host "${host}" listed twice` : null);
      if (hostProblem) { r.fail(`access[${i}].hosts[${j}]: ${hostProblem}`, hostAt); break; }
      seenHosts.add(host);
      const modeAt = r.position;
      const code = r.u8(`access[${i}].hosts[${j}].mode`);
      const mode = modes[code];
      if (mode === undefined) { if (!r.problem) r.fail(`access[${i}].hosts[${j}].mode ${code} is not 0 (rw) or 1 (ro)`, modeAt); break; }
      hosts.push({ host, mode });
    }
    luns.push({ lun, hosts });
  }
  return luns;
}
