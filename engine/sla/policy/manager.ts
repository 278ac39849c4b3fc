import { checkPolicy, type CheckOptions, type PolicyDiagnostic } from './check.js';
import type { GatewayEntry } from './schema.js';
import type { Policy } from './resolve.js';

/** One applied policy, as recorded in the history (and in the database by whoever listens). */
export interface PolicyVersion {
  version: number;
  appliedAt: number;
  name: string;
  text: string;
  /** Who or what applied it (a user, `--policy FILE`, the Policies view). */
  source: string;
  /** Warnings it was applied with (errors never are). */
  warnings: PolicyDiagnostic[];
}

export type ApplyResult =
  | { ok: true; version: PolicyVersion; policy: Policy }
  | { ok: false; diagnostics: PolicyDiagnostic[]; active: PolicyVersion | null };

export type GatewayAdmission =
  | { admitted: true; gateway: GatewayEntry }
  | { admitted: false; reason: string };

export interface PolicyManagerOptions extends Omit<CheckOptions, 'knownLuns'> {
  /** Injected clock (ms since the epoch), so tests and replays are deterministic. */
  now?: () => number;
  /** Versions recorded earlier (e.g. the database's policyHistory()); the last valid one is made active. */
  history?: readonly (Omit<PolicyVersion, 'warnings'> & { warnings?: PolicyDiagnostic[] })[];
}

/**
 * Keeps the active policy: the last valid one applied. Checking is free and has no effect;
 * applying is explicit, refuses a policy with errors (the active one stays), and records
 * every applied version with its time and text.
 */
export class PolicyManager {
  private readonly versions: PolicyVersion[] = [];
  private activePolicy: Policy | null = null;
  private activeIndex = -1;
  private readonly listeners = new Set<(version: PolicyVersion, policy: Policy) => void>();
  private readonly now: () => number;
  private readonly staticOptions: CheckOptions;
  /** What the registered gateways export now (set once the daemon runs); read at every check. */
  private inventory: (() => ReadonlyMap<string, readonly string[]>) | null = null;

  constructor(options: PolicyManagerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.staticOptions = options.knownCapacity ? { knownCapacity: options.knownCapacity } : {};
    for (const v of options.history ?? []) {
      const checked = checkPolicy(v.text, this.staticOptions);
      this.versions.push({ ...v, warnings: v.warnings ?? checked.diagnostics.filter((d) => d.severity !== 'error') });
      // A stored version that no longer checks (a newer rule) stays in the history but is not activated.
      if (checked.policy) { this.activePolicy = checked.policy; this.activeIndex = this.versions.length - 1; }
    }
  }

  /** Checks from now on also compare access lists with the LUNs the gateways export (`knownLuns`). */
  useInventory(inventory: () => ReadonlyMap<string, readonly string[]>): void {
    this.inventory = inventory;
  }

  private get checkOptions(): CheckOptions {
    return this.inventory ? { ...this.staticOptions, knownLuns: this.inventory() } : this.staticOptions;
  }

  check(text: string): { ok: boolean; diagnostics: PolicyDiagnostic[] } {
    const result = checkPolicy(text, this.checkOptions);
    return { ok: result.policy !== undefined, diagnostics: result.diagnostics };
  }

  apply(text: string, source = 'user'): ApplyResult {
    const result = checkPolicy(text, this.checkOptions);
    if (!result.policy) return { ok: false, diagnostics: result.diagnostics, active: this.activeVersion() };
    const previous = this.versions.at(-1);
    const version: PolicyVersion = {
      version: (previous?.version ?? 0) + 1,
      appliedAt: this.now(),
      name: result.policy.name,
      text,
      source,
      warnings: result.diagnostics.filter((d) => d.severity !== 'error'),
    };
    this.versions.push(version);
    this.activePolicy = result.policy;
    this.activeIndex = this.versions.length - 1;
    for (const listener of this.listeners) listener(version, result.policy);
    return { ok: true, version, policy: result.policy };
  }

  active(): Policy | null {
    return this.activePolicy;
  }

  activeVersion(): PolicyVersion | null {
    return this.versions[this.activeIndex] ?? null;
  }

  history(): readonly PolicyVersion[] {
    return this.versions;
  }

  /** Called after each successful apply (persist it, reconfigure the daemon). Returns an unsubscribe. */
  onApplied(listener: (version: PolicyVersion, policy: Policy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Discovery and registration go through the policy: a gateway that connects in is served
   * only when the active policy lists it.
   */
  admitGateway(gatewayId: string): GatewayAdmission {
    const policy = this.activePolicy;
    if (!policy) return { admitted: false, reason: 'no policy is active' };
    const gateway = policy.gateways.find((g) => g.id === gatewayId);
    return gateway ? { admitted: true, gateway } : { admitted: false, reason: `gateway "${gatewayId}" is not in policy "${policy.name}"` };
  }
}
