import net from 'node:net';

// The echo side of the TCP floor benchmark, in its own process like the fleet: N sockets that
// answer every poll with a fixed 64-byte reply, and nothing else (no decoding, no statistics).
const [portText, countText, replyBytesText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const reply = Buffer.alloc(Number(replyBytesText), 1);
// Connect in waves: ten thousand SYNs at once overflow the listen backlog, and the kernel then
// drops handshakes the client already counts as done.
const WAVE = 256;
let started = 0;
let open = 0;
function connectMore(): void {
  while (started < count && started - open < WAVE) {
    started++;
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socket.on('connect', () => {
      open++;
      if (open === count) process.send?.('ready');
      else connectMore();
    });
    socket.on('data', () => socket.write(reply));
    socket.on('error', () => {});
  }
}
connectMore();
process.on('disconnect', () => process.exit(0));
