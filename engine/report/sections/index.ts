import { messagingSection } from './messaging.js';
import { notesSection } from './notes.js';
import { slaSection } from './sla.js';
import { smpSection } from './smp.js';
import { storageSection } from './storage.js';
import type { SectionBuilder } from './section-builder.js';

export type { SectionBuilder, ReportItem, BuildContext } from './section-builder.js';

/** Section kinds in report order. A new kind is one module and one entry here. */
export const sectionBuilders: readonly SectionBuilder[] = [notesSection, smpSection, messagingSection, slaSection, storageSection];
