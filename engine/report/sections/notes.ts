import { emptySection } from '../model.js';
import type { SectionBuilder } from './section-builder.js';

/** The workspace's planning notes, so the context travels with the numbers. */
export const notesSection: SectionBuilder = {
  kind: 'notes',
  title: 'Study notes',
  items(workspace) {
    return workspace.notes.length > 0 ? [{ name: 'notes', title: 'Study notes' }] : [];
  },
  async build(ctx) {
    if (!ctx.wants('notes') || ctx.workspace.notes.length === 0) return null;
    const section = emptySection('notes', this.title);
    for (const note of ctx.workspace.notes) {
      const child = emptySection(`notes.${section.children.length + 1}`, note.title);
      child.paragraphs.push(...note.body.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p.length > 0));
      section.children.push(child);
    }
    await ctx.step('notes');
    return section;
  },
};
