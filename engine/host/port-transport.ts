import type { ServerChannel, ServerMessage } from './wire.js';

/**
 * The shape of Electron's MessagePortMain as the engine uses it. The engine never imports
 * electron: the utility process hands it ports of this shape, and tests hand it look-alikes.
 */
export interface MessagePortMainLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  start(): void;
  close(): void;
}

export function messagePortServerChannel(port: MessagePortMainLike): ServerChannel {
  const closeListeners: Array<(reason: string) => void> = [];
  let closed = false;
  const fireClose = (reason: string): void => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(reason);
  };
  port.on('close', () => fireClose('renderer port closed'));
  return {
    send(message: ServerMessage) { if (!closed) port.postMessage(message); },
    onMessage(listener) { port.on('message', (event) => listener(event.data)); port.start(); },
    onClose(listener) { closeListeners.push(listener); },
    close() {
      if (!closed) port.postMessage({ kind: 'closing', reason: 'engine stopping' });
      port.close();
      fireClose('engine stopping');
    },
  };
}
