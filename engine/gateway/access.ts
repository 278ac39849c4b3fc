/** What one host may do with one LUN. */
export type AccessMode = 'rw' | 'ro';

/** One `--allow` list: the hosts that may open a LUN, each read-write or read-only. `*` is any host. */
export interface AccessRule {
  readonly lun: string;
  readonly hosts: readonly { readonly host: string; readonly mode: AccessMode }[];
}

/** What a policy update did: the LUNs whose lists it set, and those this gateway does not export. */
export interface AccessUpdate {
  readonly luns: readonly string[];
  readonly notExported: readonly string[];
}

type HostModes = Map<string, AccessMode>;

function toHostModes(rules: readonly AccessRule[]): Map<string, HostModes> {
  const byLun = new Map<string, HostModes>();
  for (const rule of rules) {
    let hosts = byLun.get(rule.lun);
    if (!hosts) { hosts = new Map(); byLun.set(rule.lun, hosts); }
    for (const { host, mode } of rule.hosts) {
      // Listed twice: read-write wins, the wider grant the operator wrote.
      if (hosts.get(host) !== 'rw') hosts.set(host, mode);
    }
  }
  return byLun;
}

/**
 * Per-LUN access lists, in two layers. The gateway's own (`--allow`) are set at start; the SLA
 * policy's come at run time (the `access` control message) and replace the whole policy layer
 * each time. For each LUN the policy's list, when it has one, replaces the gateway's own; a LUN
 * the policy does not list keeps the `--allow` list, and a LUN with neither is open to every host.
 * Host and LUN names come from clients and peers: Maps only.
 */
export class AccessLists {
  private readonly own: Map<string, HostModes>;
  private policy = new Map<string, HostModes>();

  constructor(rules: readonly AccessRule[] = []) {
    this.own = toHostModes(rules);
  }

  /** null: the host may not open the LUN. */
  modeFor(lun: string, host: string): AccessMode | null {
    const hosts = this.policy.get(lun) ?? this.own.get(lun);
    if (!hosts) return 'rw';
    return hosts.get(host) ?? hosts.get('*') ?? null;
  }

  /** LUNs that have an `--allow` list (for checking them against the exports). */
  luns(): readonly string[] {
    return [...this.own.keys()];
  }

  /** Replace the policy layer (an empty list hands every LUN back to the `--allow` lists). */
  setPolicy(rules: readonly AccessRule[], exported: (lun: string) => boolean): AccessUpdate {
    this.policy = toHostModes(rules);
    const luns = [...this.policy.keys()];
    return { luns, notExported: luns.filter((lun) => !exported(lun)) };
  }

  /** The lists in force, per LUN (the policy's where it set one). */
  rules(): readonly AccessRule[] {
    const merged = new Map([...this.own, ...this.policy]);
    return [...merged].map(([lun, hosts]) => ({ lun, hosts: [...hosts].map(([host, mode]) => ({ host, mode })) }));
  }
}

/**
 * Whether a connection opened with `held` access must end under the lists now in force: its host
 * lost the LUN, or holds read-write and is now read-only. (A read-only connection whose host
 * gained write access keeps going; it sees the wider grant when it reconnects.)
 */
export function accessLost(held: AccessMode, now: AccessMode | null): boolean {
  return now === null || (held === 'rw' && now === 'ro');
}
