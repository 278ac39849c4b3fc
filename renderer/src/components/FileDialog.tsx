import { useCallback, useEffect, useRef, useState } from 'react';
import type { FileListing } from '../../../engine/host/contract.js';
import type { FilePurpose } from '../../../engine/host/contract.js';
import type { EngineConnection } from '../engine/connection.js';
import { Modal } from './Modal.js';

const WORKSPACE_SUFFIX = '.headroom.json';

export interface FileDialogRequest {
  mode: 'open' | 'save';
  /** What the file is for: the engine grants access to the chosen file for this purpose only. */
  purpose: FilePurpose;
  startDir: string | null;
  suggestedName: string;
  /** Files shown and the ending a saved name gets (default: workspaces). */
  suffix?: string;
  title?: string;
  resolve(path: string | null): void;
}

function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

/**
 * Browser mode has no native dialogs, and the browser cannot see the engine's file system:
 * this dialog browses folders through the engine (files.list, only under the folders the engine
 * lets it show) and hands the engine the user's choice (files.choose), which grants access to
 * that one file. The path it returns is one the engine will open.
 */
export function FileDialog({ request, connection }: { request: FileDialogRequest; connection: EngineConnection }) {
  const SUFFIX = request.suffix ?? WORKSPACE_SUFFIX;
  const [listing, setListing] = useState<FileListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState(request.suggestedName);
  const [pathInput, setPathInput] = useState('');

  // Only the latest listing counts: a slow first listing must not replace a folder typed since.
  const latest = useRef(0);
  const typing = useRef(false);
  const load = useCallback(async (dir?: string) => {
    const ticket = ++latest.current;
    typing.current = false;
    try {
      const result = await connection.engine.call('files.list', { ...(dir ? { dir } : {}), suffix: SUFFIX });
      if (ticket !== latest.current) return;
      setListing(result);
      // Keep what the user is typing; show the listed folder only if they have not started.
      if (!typing.current) setPathInput(result.dir);
      setError(null);
    } catch (err) {
      if (ticket === latest.current) setError(err instanceof Error ? err.message : String(err));
    }
  }, [connection, SUFFIX]);

  useEffect(() => { void load(request.startDir ?? undefined); }, [load, request.startDir]);

  const choose = async (path: string): Promise<void> => {
    try {
      const granted = await connection.engine.call('files.choose', { path, purpose: request.purpose, mode: request.mode });
      request.resolve(granted.path);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const finish = (): void => {
    if (!listing) return;
    if (request.mode === 'save') {
      const trimmed = name.trim();
      if (!trimmed) { setError('Enter a file name.'); return; }
      // The folder the user sees typed is where the file goes, even if they did not press Go.
      const dir = pathInput.trim() || listing.dir;
      void choose(joinPath(dir, !SUFFIX || trimmed.endsWith(SUFFIX) ? trimmed : trimmed + SUFFIX));
    } else {
      const chosen = listing.entries.find((e) => e.kind === 'file' && e.name === name);
      if (!chosen) { setError('Choose a file.'); return; }
      void choose(chosen.path);
    }
  };

  return (
    <Modal
      title={request.title ?? (request.mode === 'open' ? 'Open workspace' : 'Save workspace as')}
      onClose={() => request.resolve(null)}
      testId="file-dialog"
      footer={
        <>
          <button onClick={() => request.resolve(null)}>Cancel</button>
          <button className="primary" onClick={finish} data-testid="file-dialog-confirm">{request.mode === 'open' ? 'Open' : 'Save'}</button>
        </>
      }
    >
      <form className="path-row" onSubmit={(e) => {
        e.preventDefault();
        // Read the field itself: the state may not have caught up with fast typing yet.
        const field = e.currentTarget.elements.namedItem('folder') as HTMLInputElement | null;
        void load(field?.value ?? pathInput);
      }}>
        <button type="button" title="Parent folder" disabled={!listing?.parent} onClick={() => listing?.parent && void load(listing.parent)}>↑</button>
        <input aria-label="Folder" name="folder" value={pathInput} onChange={(e) => { typing.current = true; setPathInput(e.target.value); }} data-testid="file-dialog-folder" />
        <button type="submit">Go</button>
      </form>
      {listing && listing.roots.length > 0 && (
        <div className="path-row" data-testid="file-dialog-roots">
          {listing.roots.map((root) => <button key={root} type="button" title={root} onClick={() => void load(root)}>{root.replace(/^.*[\\/](?=[^\\/]+$)/, '') || root}</button>)}
        </div>
      )}
      <ul className="file-list" data-testid="file-dialog-list" data-dir={listing?.dir ?? ""}>
        {listing?.entries.map((entry) => (
          <li key={entry.path}>
            <button
              className={`file-entry ${entry.kind}${entry.name === name ? ' selected' : ''}`}
              onClick={() => (entry.kind === 'dir' ? void load(entry.path) : setName(entry.name))}
              onDoubleClick={() => { if (entry.kind === 'file' && request.mode === 'open') void choose(entry.path); }}
            >
              <EntryIcon kind={entry.kind} />
              <span className="name">{entry.name}</span>
              {entry.kind === 'file' && <span className="meta">{new Date(entry.modifiedAt).toLocaleString()}</span>}
            </button>
          </li>
        ))}
        {listing && listing.entries.length === 0 && <li className="empty">No folders or matching files here.</li>}
      </ul>
      <label className="field">
        <span>File name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} data-testid="file-dialog-name" placeholder={`study${SUFFIX}`}
          onKeyDown={(e) => { if (e.key === 'Enter') finish(); }} />
      </label>
      {error && <p className="error" role="alert">{error}</p>}
    </Modal>
  );
}

/** Drawn, not emoji: desktop Linux often has no emoji font. */
function EntryIcon({ kind }: { kind: 'file' | 'dir' }) {
  return kind === 'dir' ? (
    <svg className="icon" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M1.5 3.5h5l1.5 1.5h6.5v8h-13z" fill="#c9a44c" />
    </svg>
  ) : (
    <svg className="icon" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M3.5 1.5h6l3 3v10h-9z" fill="none" stroke="#8fb4ff" />
      <path d="M5.5 8h5M5.5 10.5h5" stroke="#8fb4ff" />
    </svg>
  );
}
