import type { Workspace } from '../../../engine/workspace/schema.js';
import type { WorkspaceStore } from '../state/workspace-store.js';

/** The study itself: its title, owner, purpose and notes, as saved in the workspace file. */
export function OverviewView({ workspace, store }: { workspace: Workspace; store: WorkspaceStore }) {
  const edit = (patch: Partial<Workspace>): void => store.edit((w) => ({ ...w, ...patch }));
  const editNote = (index: number, patch: Partial<Workspace['notes'][number]>): void =>
    store.edit((w) => ({ ...w, notes: w.notes.map((n, i) => (i === index ? { ...n, ...patch } : n)) }));
  return (
    <section className="view overview" data-testid="overview-view">
      <h1>Study</h1>
      <div className="form-grid">
        <label className="field">
          <span>Title</span>
          <input data-testid="study-name" value={workspace.name} maxLength={200}
            onChange={(e) => edit({ name: e.target.value })} aria-invalid={workspace.name.trim() === ''} />
          {workspace.name.trim() === '' && <small className="error">A study needs a title before it can be saved.</small>}
        </label>
        <label className="field">
          <span>Owner</span>
          <input data-testid="study-owner" value={workspace.owner ?? ''} maxLength={200}
            onChange={(e) => edit({ owner: e.target.value || undefined })} />
        </label>
        <label className="field wide">
          <span>Purpose</span>
          <textarea data-testid="study-description" rows={4} value={workspace.description}
            onChange={(e) => edit({ description: e.target.value })} />
        </label>
      </div>
      <div className="meta-row">
        <span>Created {new Date(workspace.createdAt).toLocaleString()}</span>
        <span>Last saved {new Date(workspace.updatedAt).toLocaleString()}</span>
      </div>
      <h2>Notes</h2>
      {workspace.notes.length === 0 && <p className="muted">No notes yet.</p>}
      {workspace.notes.map((note, index) => (
        <div className="note" key={index} data-testid="note">
          <div className="note-head">
            <input aria-label="Note title" value={note.title} onChange={(e) => editNote(index, { title: e.target.value })} />
            <button className="quiet" title="Remove note"
              onClick={() => store.edit((w) => ({ ...w, notes: w.notes.filter((_, i) => i !== index) }))}>Remove</button>
          </div>
          <textarea aria-label="Note" rows={3} value={note.body} onChange={(e) => editNote(index, { body: e.target.value })} />
        </div>
      ))}
      <button data-testid="add-note" onClick={() => store.edit((w) => ({ ...w, notes: [...w.notes, { title: 'New note', body: '' }] }))}>
        Add note
      </button>
    </section>
  );
}
