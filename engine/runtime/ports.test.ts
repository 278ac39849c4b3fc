import { spawn } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { childListening, freePort, holdsListeningPort, portAccepts } from './ports.js';

const onLinux = process.platform === 'linux' ? describe : describe.skip;

/** A node child that listens on 127.0.0.1:port (and exits if it cannot), until killed. */
function listener(port: number) {
  return spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1').on('error', () => process.exit(3))`], { stdio: 'ignore' });
}

onLinux('whose socket listens on a port', () => {
  it('tells this process\'s listening socket from another process\'s', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(holdsListeningPort(process.pid, port)).toBe(true);
      const child = listener(await freePort());
      try {
        // The child is alive but does not hold our port.
        expect(holdsListeningPort(child.pid!, port)).toBe(false);
      } finally { child.kill('SIGKILL'); }
    } finally { server.close(); }
  });

  it('waits for a child that listens, and reports one whose port was taken as exited, although the port accepts', async () => {
    const port = await freePort();
    const good = listener(port);
    try {
      expect(await childListening(good, port, 10_000)).toBe('listening');
      // A second child on the same port cannot bind: the port still accepts (the first child holds it).
      const late = listener(port);
      try {
        expect(await childListening(late, port, 10_000)).toBe('exited');
        expect(await portAccepts(port)).toBe(true);
      } finally { late.kill('SIGKILL'); }
    } finally { good.kill('SIGKILL'); }
  });

  it('gives up at the deadline on a child that never listens', async () => {
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      expect(await childListening(idle, await freePort(), 300)).toBe('timeout');
    } finally { idle.kill('SIGKILL'); }
  });
});
