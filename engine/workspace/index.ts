export { WorkspaceSchema, SmpSectionSchema, MessagingSectionSchema, MessagingStudySchema, WORKSPACE_SCHEMA_VERSION, WORKSPACE_FILE_SUFFIX, newWorkspace, type Workspace, type SmpSection, type MessagingSection, type SlaSection } from './schema.js';
export { WorkspaceError } from './errors.js';
export { addToWorkspaceFile } from './add.js';
export { parseWorkspace, validateWorkspace } from './validate.js';
export { openWorkspace, saveWorkspace, serializeWorkspace, hashBytes, MAX_WORKSPACE_BYTES, type OpenedWorkspace, type SaveOptions } from './file.js';
export { writeFileAtomic, readFileBounded, removeOrphanTemps, tempFileFor, AtomicWriteError, FileTooLargeError } from './atomic.js';
export { MAX_NESTING_DEPTH, findTooDeepJson, findTooDeepValue } from './depth.js';
