import { MessageChannel } from 'node:worker_threads';
import { EngineClient } from '../client.js';
import { messagePortChannel } from '../client-transports.js';
import type { Engine } from '../engine.js';
import { messagePortServerChannel, type MessagePortMainLike } from '../port-transport.js';

/** A client of `engine` over a Node MessageChannel shaped like Electron's MessagePortMain, as the app's renderer talks. */
export function connectOverMessagePort(engine: Engine): EngineClient {
  const { port1, port2 } = new MessageChannel();
  const main: MessagePortMainLike = {
    postMessage: (m) => port1.postMessage(m),
    on: ((event: 'message' | 'close', listener: (e: { data: unknown }) => void) => {
      if (event === 'message') port1.on('message', (data) => listener({ data }));
      else port1.on('close', () => (listener as () => void)());
    }) as MessagePortMainLike['on'],
    start: () => port1.start(),
    close: () => port1.close(),
  };
  engine.attach(messagePortServerChannel(main), 'messageport');
  return new EngineClient(messagePortChannel(port2 as unknown as Parameters<typeof messagePortChannel>[0]));
}
