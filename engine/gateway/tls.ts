import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import type net from 'node:net';

/** nbdkit's --tls: off (no STARTTLS), on (offered), require (nothing but STARTTLS and ABORT before it). */
export type TlsMode = 'off' | 'on' | 'require';

export interface TlsSettings {
  readonly mode: TlsMode;
  /** nbdkit's --tls-psk: a file of `identity:hexkey` lines. */
  readonly pskFile?: string;
  /** nbdkit's --tls-certificates: a directory with ca-cert.pem, server-cert.pem, server-key.pem. */
  readonly certificatesDir?: string;
  /** nbdkit's --tls-verify-peer: demand a client certificate signed by ca-cert.pem; its CN is the host. */
  readonly verifyPeer?: boolean;
}

/** The server side of NBD's STARTTLS, loaded once at start. */
export interface ServerTls {
  readonly mode: Exclude<TlsMode, 'off'>;
  /** PSK identities (they are hosts that must prove themselves); null with X.509. */
  readonly pskIdentities: readonly string[] | null;
  /** Whether a TLS session proves who the client is (PSK, or X.509 with --tls-verify-peer). */
  readonly provesIdentity: boolean;
  /**
   * Wrap a socket on which STARTTLS was just acknowledged. `onSecure` gets the client's
   * identity (PSK identity, or the verified certificate's CN; null when there is none).
   */
  upgrade(socket: net.Socket, onSecure: (identity: string | null) => void, onFailure: (reason: string) => void): tls.TLSSocket;
}

/** A problem in a TLS file, naming it (and the line for PSK files). */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

const MAX_PSK_KEY_BYTES = 1024;

/** Parse nbdkit's PSK file format: `identity:hexkey` per line; blank lines are skipped. */
export function parsePskFile(text: string, file: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const at = `${file}:${index + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new TlsConfigError(`${at}: expected identity:hexkey`);
    const identity = line.slice(0, colon);
    const hex = line.slice(colon + 1).trim();
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) throw new TlsConfigError(`${at}:${colon + 2}: the key of "${identity}" is not an even number of hex digits`);
    if (hex.length / 2 > MAX_PSK_KEY_BYTES) throw new TlsConfigError(`${at}: the key of "${identity}" is over ${MAX_PSK_KEY_BYTES} bytes`);
    if (identity.includes('/')) throw new TlsConfigError(`${at}: identity "${identity}" cannot contain "/" (it names a host in HOST/LUN)`);
    if (keys.has(identity)) throw new TlsConfigError(`${at}: identity "${identity}" appears twice`);
    keys.set(identity, Buffer.from(hex, 'hex'));
  });
  if (keys.size === 0) throw new TlsConfigError(`${file}: no identity:hexkey lines`);
  return keys;
}

async function readPart(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new TlsConfigError(`${file}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Load --tls-psk or --tls-certificates; null for --tls off. */
export async function loadServerTls(settings: TlsSettings): Promise<ServerTls | null> {
  if (settings.mode === 'off') {
    if (settings.pskFile !== undefined || settings.certificatesDir !== undefined) throw new TlsConfigError('--tls-psk and --tls-certificates need --tls on or --tls require');
    return null;
  }
  if (settings.pskFile !== undefined && settings.certificatesDir !== undefined) throw new TlsConfigError('give --tls-psk or --tls-certificates, not both');
  const mode = settings.mode;
  if (settings.pskFile !== undefined) {
    if (settings.verifyPeer) throw new TlsConfigError('--tls-verify-peer applies to --tls-certificates (a PSK already proves the peer)');
    const keys = parsePskFile((await readPart(settings.pskFile, 'PSK file')).toString('utf8'), settings.pskFile);
    // PSK only: no certificate. Node (OpenSSL 3) and libnbd/qemu (GnuTLS) agree on TLS 1.3 PSK with its default suites.
    const context = tls.createSecureContext({ minVersion: 'TLSv1.2' });
    return {
      mode,
      pskIdentities: [...keys.keys()],
      provesIdentity: true,
      upgrade(socket, onSecure, onFailure) {
        let identity: string | null = null;
        // pskCallback works on a server TLSSocket (Node passes it to the context), though its typings omit it.
        const options: tls.TLSSocketOptions & Pick<tls.TlsOptions, 'pskCallback'> = {
          isServer: true,
          secureContext: context,
          pskCallback: (_socket, id) => {
            const key = keys.get(id);
            if (key) identity = id;
            return key ?? null;
          },
        };
        const secure = new tls.TLSSocket(socket, options);
        secure.once('secure', () => onSecure(identity));
        secure.once('error', (err) => onFailure(`TLS: ${err.message}`));
        return secure;
      },
    };
  }
  if (settings.certificatesDir === undefined) throw new TlsConfigError(`--tls ${mode} needs --tls-psk FILE or --tls-certificates DIR`);
  const dir = settings.certificatesDir;
  const verifyPeer = settings.verifyPeer === true;
  const [cert, key] = await Promise.all([readPart(path.join(dir, 'server-cert.pem'), 'server certificate'), readPart(path.join(dir, 'server-key.pem'), 'server key')]);
  const caFile = path.join(dir, 'ca-cert.pem');
  const ca = verifyPeer ? await readPart(caFile, 'CA certificate') : undefined;
  let context: tls.SecureContext;
  let authorities: X509Certificate[] = [];
  try {
    context = tls.createSecureContext({ cert, key, ...(ca ? { ca } : {}), minVersion: 'TLSv1.2' });
    if (ca) authorities = splitPem(ca.toString('utf8')).map((pem) => new X509Certificate(pem));
  } catch (err) {
    throw new TlsConfigError(`${dir}: ${(err as Error).message}`);
  }
  if (verifyPeer && authorities.length === 0) throw new TlsConfigError(`${caFile}: no certificate in it`);
  return {
    mode,
    pskIdentities: null,
    provesIdentity: verifyPeer,
    upgrade(socket, onSecure, onFailure) {
      const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context, requestCert: verifyPeer, rejectUnauthorized: verifyPeer });
      secure.once('secure', () => {
        if (!verifyPeer) { onSecure(null); return; }
        // A TLSSocket made by hand (not by tls.Server) never checks the chain itself: do it here.
        const peer = secure.getPeerX509Certificate();
        const problem = peer === undefined ? 'no client certificate' : certificateProblem(peer, authorities, new Date());
        const name = peer === undefined ? undefined : commonName(peer.subject);
        if (problem !== null || name === undefined || name === '' || name.includes('/')) {
          onFailure(`TLS: client certificate refused (${problem ?? `CN ${JSON.stringify(name ?? null)} cannot name a host`})`);
          return;
        }
        onSecure(name);
      });
      secure.once('error', (err) => onFailure(`TLS: ${err.message}`));
      return secure;
    },
  };
}

function splitPem(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** null when `cert` is in its validity period and signed by one of `authorities` (directly). */
export function certificateProblem(cert: X509Certificate, authorities: readonly X509Certificate[], now: Date): string | null {
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) return `outside its validity ${cert.validFrom} .. ${cert.validTo}`;
  const issuer = authorities.find((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
  return issuer ? null : `not signed by the CA in ca-cert.pem (issuer ${cert.issuer.replace(/\n/g, ', ')})`;
}

function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}
