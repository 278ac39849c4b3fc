export { packageRoot, resolveWorkerScript, rendererDistDir, samplesDir, configDir } from './paths.js';
export { createLogger, type Logger } from './log.js';
export { headroomVersion } from './version.js';
export { compileSchema, jsonPathOf, describeSchemaError } from './schema.js';
