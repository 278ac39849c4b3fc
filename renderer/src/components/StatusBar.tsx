import type { EngineStatus } from '../engine/connection.js';

export function StatusBar(props: { status: EngineStatus; path: string | null; dirty: boolean; hasWorkspace: boolean; version: string | null }) {
  const { status } = props;
  const transport = status.transport === 'websocket' ? 'WebSocket' : 'MessagePort';
  return (
    <footer className="statusbar">
      <span className={`engine-state ${status.state}`} data-testid="engine-status" title={status.detail}>
        <span className="dot" />
        {status.state === 'connected' ? `Engine connected (${transport})` : status.state === 'connecting' ? 'Connecting to engine…' : `Engine disconnected: ${status.detail}`}
      </span>
      <span className="doc-state" data-testid="document-state">
        {!props.hasWorkspace ? 'No workspace' : props.dirty ? '● Unsaved changes' : 'Saved'}
      </span>
      <span className="doc-path" title={props.path ?? ''}>{props.path ?? (props.hasWorkspace ? 'Not yet saved to a file' : '')}</span>
      <span className="spacer" />
      {props.version && <span className="version">Headroom {props.version}</span>}
    </footer>
  );
}
