/**
 * Loopback names: a server bound to these is reachable from this machine only. No Node imports,
 * so the Monitor view can say the same thing the engine enforces.
 */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}
