import net from 'node:net';

/** A named application host owning a source address range (CIDR). */
export interface HostRange {
  readonly host: string;
  readonly cidr: string;
}

export interface AttributionRule {
  /** Ranges are tried in order; the first containing the client's address names its host. */
  readonly ranges: readonly HostRange[];
  /**
   * Hosts whose identity is proven some other way (TLS PSK identities): a client without that
   * proof may not name them, whatever its address.
   */
  readonly provenHosts?: Iterable<string>;
}

/** What a connection shows of who it is. */
export interface Evidence {
  /** The client's address as the socket reports it. */
  readonly address: string;
  /** The PSK identity, or the verified client certificate's CN; null without TLS or without one. */
  readonly tlsIdentity: string | null;
}

export interface Attribution {
  readonly host: string;
  /** The LUN part of the export name the client asked for ("" means the default export). */
  readonly lun: string;
  /**
   * tls: the TLS identity; address-range: a --host-range; export-name: self-declared (HOST/LUN);
   * address: nothing better than the client's address.
   */
  readonly via: 'tls' | 'address-range' | 'export-name' | 'address';
}

export type Resolution =
  | { readonly ok: true; readonly attribution: Attribution }
  | { readonly ok: false; readonly reason: string };

/** Split `HOST/LUN`; a name without a slash is just a LUN. */
export function splitExportName(requested: string): { host: string | null; lun: string } {
  const slash = requested.indexOf('/');
  if (slash <= 0) return { host: null, lun: slash === 0 ? requested.slice(1) : requested };
  return { host: requested.slice(0, slash), lun: requested.slice(slash + 1) };
}

export interface CompiledRule {
  /**
   * The host a connection is, and the LUN it asks for. A proven identity (TLS, then address
   * range) is the host; a HOST/LUN name that disagrees with it is refused. A client with no
   * proven identity may name any host not bound to a proof, or is known by its address.
   */
  resolve(requestedExport: string, evidence: Evidence): Resolution;
  /** The proven identity alone (null: none). */
  identify(evidence: Evidence): { host: string; via: 'tls' | 'address-range' } | null;
  /** True when nothing proves any identity: every host name is the client's own claim. */
  readonly selfDeclared: boolean;
}

/** Parses the ranges once; a bad CIDR is reported naming it. */
export function compileAttributionRule(rule: AttributionRule): CompiledRule {
  const lists = rule.ranges.map((range) => ({ host: range.host, list: parseRange(range) }));
  const bound = new Set<string>([...rule.ranges.map((r) => r.host), ...(rule.provenHosts ?? [])]);
  const byRange = (address: string): string | null => {
    const plain = plainAddress(address);
    const family = net.isIPv4(plain) ? 'ipv4' : net.isIPv6(plain) ? 'ipv6' : null;
    if (family === null) return null;
    for (const { host, list } of lists) if (list.check(plain, family)) return host;
    return null;
  };
  const identify = (evidence: Evidence): { host: string; via: 'tls' | 'address-range' } | null => {
    if (evidence.tlsIdentity !== null) return { host: evidence.tlsIdentity, via: 'tls' };
    const ranged = byRange(evidence.address);
    return ranged === null ? null : { host: ranged, via: 'address-range' };
  };
  return {
    selfDeclared: bound.size === 0 && rule.provenHosts === undefined,
    identify,
    resolve(requestedExport, evidence) {
      const { host: named, lun } = splitExportName(requestedExport);
      const proven = identify(evidence);
      if (proven !== null) {
        if (named !== null && named !== proven.host) {
          return { ok: false, reason: `export "${requestedExport}" names host "${named}" but the client is "${proven.host}" (by ${proven.via === 'tls' ? 'its TLS identity' : 'its address range'})` };
        }
        return { ok: true, attribution: { host: proven.host, lun, via: proven.via } };
      }
      if (named !== null) {
        if (bound.has(named)) return { ok: false, reason: `export "${requestedExport}" names host "${named}", which must prove its identity (TLS or address range); this client did not` };
        return { ok: true, attribution: { host: named, lun, via: 'export-name' } };
      }
      return { ok: true, attribution: { host: plainAddress(evidence.address), lun, via: 'address' } };
    },
  };
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function parseRange(range: HostRange): net.BlockList {
  const [address = '', prefixText] = range.cidr.split('/');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : null;
  if (family === null) throw new Error(`host range ${range.host}=${range.cidr}: "${address}" is not an IP address`);
  const maxPrefix = family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > maxPrefix) {
    throw new Error(`host range ${range.host}=${range.cidr}: prefix must be 0..${maxPrefix}`);
  }
  const list = new net.BlockList();
  list.addSubnet(address, prefix, family);
  return list;
}
