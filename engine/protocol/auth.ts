import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUTH_NONCE_BYTES = 32;
export const AUTH_MAC_BYTES = 32;
const AUTH_CONTEXT = Buffer.from('headroom-control-auth-v1\0', 'latin1');

/** A fresh server nonce for one `challenge`. */
export function newAuthNonce(): Uint8Array {
  return randomBytes(AUTH_NONCE_BYTES);
}

/**
 * HMAC-SHA256 keyed with the gateway's secret over a context label, the server nonce and the
 * gateway id, so a MAC answers one challenge for one gateway and cannot be replayed for another.
 */
export function computeAuthMac(secret: string | Uint8Array, nonce: Uint8Array, gatewayId: string): Uint8Array {
  return createHmac('sha256', secret).update(AUTH_CONTEXT).update(nonce).update(Buffer.from(gatewayId, 'utf8')).digest();
}

export function verifyAuthMac(secret: string | Uint8Array, nonce: Uint8Array, gatewayId: string, mac: Uint8Array): boolean {
  if (nonce.length !== AUTH_NONCE_BYTES || mac.length !== AUTH_MAC_BYTES) return false;
  return timingSafeEqual(computeAuthMac(secret, nonce, gatewayId), mac);
}
