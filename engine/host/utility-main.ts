/**
 * Entry point of the engine when Electron runs it as a utilityProcess. Main sends a
 * MessagePort per renderer; each becomes a channel carrying the same contract as browser mode.
 * Main also sends path grants after native dialogs (shell-grants.ts) and gets a reply for each.
 */
import { createLogger } from '../runtime/index.js';
import { createEngine } from './engine.js';
import { messagePortServerChannel, type MessagePortMainLike } from './port-transport.js';
import { handleShellGrant, isGrantMessage } from './shell-grants.js';

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: MessagePortMainLike[] }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  process.stderr.write('headroom: utility-main runs inside Electron; use "headroom serve" from a shell\n');
  process.exit(2);
}
const log = createLogger('engine');
const engine = createEngine(log);
parentPort.on('message', (event) => {
  if (isGrantMessage(event.data)) {
    void handleShellGrant(engine.files, event.data).then((reply) => parentPort.postMessage(reply));
    return;
  }
  for (const port of event.ports) {
    const channel = messagePortServerChannel(port);
    engine.attach(channel, 'messageport');
    log.info('renderer connected over a MessagePort');
  }
});
parentPort.postMessage({ kind: 'engine-ready', pid: process.pid });
