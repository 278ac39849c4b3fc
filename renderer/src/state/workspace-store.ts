import type { Workspace } from '../../../engine/workspace/schema.js';
import type { EngineConnection } from '../engine/connection.js';

export interface DocumentState {
  workspace: Workspace | null;
  path: string | null;
  /** Hash of the file as opened or last saved: the engine refuses to save over someone else's change. */
  hash: string | null;
  /** The workspace as last opened or saved, to tell whether there are unsaved edits. */
  savedText: string;
}


function serialize(workspace: Workspace | null): string {
  return workspace ? JSON.stringify(workspace) : '';
}

/**
 * The open workspace, as the views see it. Truth about files lives in the engine: open and save
 * go through it, and this store keeps only what the user is editing.
 */
export class WorkspaceStore {
  private state: DocumentState = { workspace: null, path: null, hash: null, savedText: '' };
  private listeners = new Set<() => void>();

  constructor(private readonly connection: EngineConnection, private readonly recent: RecentList) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): DocumentState => this.state;

  get dirty(): boolean {
    return this.state.workspace !== null && serialize(this.state.workspace) !== this.state.savedText;
  }

  private set(next: Partial<DocumentState>): void {
    this.state = { ...this.state, ...next };
    for (const l of this.listeners) l();
  }

  async createNew(): Promise<void> {
    const workspace = await this.connection.engine.call('workspace.new', {});
    // A new study is unsaved until it has a file, so it starts dirty.
    this.set({ workspace, path: null, hash: null, savedText: '' });
  }

  async open(path: string): Promise<void> {
    const opened = await this.connection.engine.call('workspace.open', { path });
    this.set({ workspace: opened.workspace, path: opened.path, hash: opened.hash, savedText: serialize(opened.workspace) });
    void this.recent.add(opened.path);
  }

  edit(change: (workspace: Workspace) => Workspace): void {
    if (!this.state.workspace) return;
    this.set({ workspace: change(this.state.workspace) });
  }

  /** Save to the current file; returns false when there is none yet (the caller asks for a name). */
  async save(): Promise<boolean> {
    const { workspace, path, hash } = this.state;
    if (!workspace || !path) return false;
    const saved = await this.connection.engine.call('workspace.save', { path, workspace, ...(hash ? { baseHash: hash } : { overwrite: false }) });
    this.set({ workspace: saved.workspace, path: saved.path, hash: saved.hash, savedText: serialize(saved.workspace) });
    void this.recent.add(saved.path);
    return true;
  }

  async saveAs(path: string, overwrite: boolean): Promise<void> {
    const { workspace } = this.state;
    if (!workspace) return;
    const saved = await this.connection.engine.call('workspace.save', { path, workspace, overwrite });
    this.set({ workspace: saved.workspace, path: saved.path, hash: saved.hash, savedText: serialize(saved.workspace) });
    void this.recent.add(saved.path);
  }
}

/** Where recent files are kept: by the Electron shell (it also fills the OS's list), or by the engine. */
export interface RecentList {
  list(): Promise<string[]>;
  add(path: string): Promise<void>;
}

export function engineRecentList(connection: EngineConnection): RecentList {
  return {
    list: () => connection.engine.call('recent.list', {}),
    add: async (path) => {
      await connection.engine.call('recent.add', { path });
      window.dispatchEvent(new Event('headroom:recent-changed'));
    },
  };
}
