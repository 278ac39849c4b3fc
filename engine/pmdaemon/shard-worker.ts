import net from 'node:net';
import tls from 'node:tls';
import { parentPort, workerData } from 'node:worker_threads';
import type { ShardCommand, ShardConfig, ShardEvent } from './mailbox.js';
import { Shard } from './shard.js';

// The worker entry: a thin shell binding a Shard to its mailbox and its listening socket.
const config = workerData as ShardConfig;
const port = parentPort!;
const shard = new Shard(config, (events: ShardEvent[], transfer: ArrayBuffer[]) => port.postMessage(events, transfer));
const server = config.tls
  ? tls.createServer({ key: config.tls.key, cert: config.tls.cert }, (socket) => shard.accept(socket))
  : net.createServer((socket) => shard.accept(socket));
server.listen(0, config.host, () => {
  port.postMessage([{ kind: 'listening', port: (server.address() as net.AddressInfo).port } satisfies ShardEvent]);
});
port.on('message', (commands: ShardCommand[]) => {
  shard.handle(commands);
  if (commands.some((c) => c.kind === 'stop')) {
    port.postMessage([shard.counters()]);
    server.close();
    port.close();
  }
});
