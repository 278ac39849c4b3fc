/** What one host may do with one LUN. */
export type AccessMode = 'rw' | 'ro';

/** One `--allow` list: the hosts that may open a LUN, each read-write or read-only. `*` is any host. */
export interface AccessRule {
  readonly lun: string;
  readonly hosts: readonly { readonly host: string; readonly mode: AccessMode }[];
}

/**
 * Per-LUN access lists. A LUN with no list is open to every host (as before lists existed);
 * a LUN with a list opens only to the hosts on it. Several rules for one LUN add up.
 */
export class AccessLists {
  private readonly byLun = new Map<string, Map<string, AccessMode>>();

  constructor(rules: readonly AccessRule[] = []) {
    for (const rule of rules) {
      let hosts = this.byLun.get(rule.lun);
      if (!hosts) { hosts = new Map(); this.byLun.set(rule.lun, hosts); }
      for (const { host, mode } of rule.hosts) {
        // Listed twice: read-write wins, the wider grant the operator wrote.
        if (hosts.get(host) !== 'rw') hosts.set(host, mode);
      }
    }
  }

  /** null: the host may not open the LUN. */
  modeFor(lun: string, host: string): AccessMode | null {
    const hosts = this.byLun.get(lun);
    if (!hosts) return 'rw';
    return hosts.get(host) ?? hosts.get('*') ?? null;
  }

  /** LUNs that have a list (for checking them against the exports). */
  luns(): readonly string[] {
    return [...this.byLun.keys()];
  }

  rules(): readonly AccessRule[] {
    return [...this.byLun].map(([lun, hosts]) => ({ lun, hosts: [...hosts].map(([host, mode]) => ({ host, mode })) }));
  }
}
