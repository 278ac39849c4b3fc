import net from 'node:net';

/** A named application host owning a source address range (CIDR). */
export interface HostRange {
  readonly host: string;
  readonly cidr: string;
}

export interface AttributionRule {
  /** Ranges are tried in order; the first containing the client's address names its host. */
  readonly ranges: readonly HostRange[];
  /** Which evidence wins when both are present. Default: the export name. */
  readonly prefer?: 'export-name' | 'address-range';
}

export interface Attribution {
  readonly host: string;
  /** The LUN part of the export name the client asked for ("" means the default export). */
  readonly lun: string;
  readonly via: 'export-name' | 'address-range' | 'address';
}

/** Split `HOST/LUN`; a name without a slash is just a LUN. */
export function splitExportName(requested: string): { host: string | null; lun: string } {
  const slash = requested.indexOf('/');
  if (slash <= 0) return { host: null, lun: slash === 0 ? requested.slice(1) : requested };
  return { host: requested.slice(0, slash), lun: requested.slice(slash + 1) };
}

export interface CompiledRule {
  attribute(requestedExport: string, remoteAddress: string): Attribution;
}

/** Parses the ranges once; a bad CIDR is reported naming it. */
export function compileAttributionRule(rule: AttributionRule): CompiledRule {
  const lists = rule.ranges.map((range) => ({ host: range.host, list: parseRange(range) }));
  const byRange = (address: string): string | null => {
    const plain = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
    const family = net.isIPv4(plain) ? 'ipv4' : net.isIPv6(plain) ? 'ipv6' : null;
    if (family === null) return null;
    for (const { host, list } of lists) if (list.check(plain, family)) return host;
    return null;
  };
  return {
    attribute(requestedExport, remoteAddress) {
      const { host: named, lun } = splitExportName(requestedExport);
      const ranged = byRange(remoteAddress);
      if (named !== null && (rule.prefer !== 'address-range' || ranged === null)) return { host: named, lun, via: 'export-name' };
      if (ranged !== null) return { host: ranged, lun, via: 'address-range' };
      return { host: remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress, lun, via: 'address' };
    },
  };
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
