/**
 * The one shape of a gateway id: what a policy may name, and what the daemon checks in every
 * hello before the id is used for anything. Ids are peer input until the gateway has
 * authenticated, so they are bounded (100 characters) and plain (no spaces, no control
 * characters); lookups keyed by them still use Maps, since `constructor` fits the pattern too.
 */
export const GATEWAY_ID_MAX_LENGTH = 100;
export const GATEWAY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$/;

/** Why `id` is not a gateway id, quoting at most its first 40 characters; null when it is one. */
export function gatewayIdProblem(id: string): string | null {
  if (GATEWAY_ID_PATTERN.test(id)) return null;
  const shown = id.length > 40 ? `${JSON.stringify(id.slice(0, 40))}... (${id.length} characters)` : JSON.stringify(id);
  return `gateway id ${shown} is not valid: 1 to ${GATEWAY_ID_MAX_LENGTH} letters, digits and _ . : / -, starting with a letter or digit`;
}
