export { WorkspaceSchema, SmpSectionSchema, MessagingSectionSchema, MessagingStudySchema, WORKSPACE_SCHEMA_VERSION, WORKSPACE_FILE_SUFFIX, newWorkspace, type Workspace, type SmpSection, type MessagingSection, type SlaSection } from './schema.js';
export { WorkspaceError } from './errors.js';
export { parseWorkspace, validateWorkspace } from './validate.js';
export { openWorkspace, saveWorkspace, serializeWorkspace, hashBytes, type OpenedWorkspace, type SaveOptions } from './file.js';
