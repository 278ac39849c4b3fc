import { useSyncExternalStore } from 'react';
import type { EngineConnection, EngineStatus } from './engine/connection.js';
import type { DocumentState, WorkspaceStore } from './state/workspace-store.js';

export function useEngineStatus(connection: EngineConnection): EngineStatus {
  return useSyncExternalStore(connection.subscribe, () => connection.status);
}

export function useDocument(store: WorkspaceStore): DocumentState {
  return useSyncExternalStore(store.subscribe, store.getState);
}
