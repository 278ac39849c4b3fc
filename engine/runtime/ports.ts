import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';

/**
 * A loopback port the kernel had free a moment ago (bind port 0, read it, let it go), for
 * programs that take a port on their command line (nbdkit, fio targets, a gateway).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Whether something accepts a TCP connection on this loopback port right now (one attempt). */
export function portAccepts(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Whether process `pid` itself holds a socket listening on TCP `port` (Linux: /proc/net/tcp{,6}
 * and the process's fds). Null where /proc cannot tell. A port that accepts connections is not
 * enough: between freePort() and the child's bind, another program can take the port, and the
 * child then exits while the port answers for someone else.
 */
export function holdsListeningPort(pid: number, port: number): boolean | null {
  const inodes = new Set<string>();
  try {
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text = '';
      try { text = readFileSync(table, 'utf8'); } catch { continue; }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
        if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
      }
    }
    if (inodes.size === 0) return false;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      let target = '';
      try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) return true;
    }
    return false;
  } catch {
    return null;
  }
}

/**
 * Waits until `child` itself listens on loopback `port`: 'listening', 'exited' once the child has
 * exited (or never started), or 'timeout' at the deadline. Where /proc cannot tell whose socket it
 * is, "the port accepts and the child is still alive a moment later" stands in.
 */
export async function childListening(child: ChildProcess, port: number, timeoutMs: number): Promise<'listening' | 'exited' | 'timeout'> {
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (ended()) return 'exited';
    const holds = child.pid === undefined ? false : holdsListeningPort(child.pid, port);
    if (holds === true) return 'listening';
    if (holds === null && await portAccepts(port)) {
      await new Promise((r) => setTimeout(r, 150));
      return ended() ? 'exited' : 'listening';
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return 'timeout';
}
