import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { FrameDecoder } from '../protocol/index.js';

// The receiving gateway of the batching benchmark, on its own thread: decodes every frame
// and answers one byte per completed burst, so the sender measures delivered messages.
const { burst } = workerData as { burst: number };
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  let count = 0;
  socket.on('data', (chunk: Buffer) => {
    const { frames, error } = decoder.push(chunk);
    if (error) {
      socket.destroy();
      return;
    }
    count += frames.length;
    let acks = 0;
    while (count >= burst) {
      count -= burst;
      acks++;
    }
    if (acks > 0) socket.write(Buffer.alloc(acks, 6));
  });
  socket.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => parentPort!.postMessage((server.address() as net.AddressInfo).port));
parentPort!.on('message', () => {
  server.close();
  parentPort!.close();
  process.exit(0);
});
