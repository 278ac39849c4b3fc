export { packageRoot, resolveWorkerScript, rendererDistDir, samplesDir, configDir } from './paths.js';
export { createLogger, type Logger } from './log.js';
export { headroomVersion } from './version.js';
export { compileSchema, jsonPathOf, describeSchemaError, type ErrorObject, type ValidateFunction } from './schema.js';
export { childListening, freePort, holdsListeningPort, portAccepts } from './ports.js';
export { describeMachine, machineLine, type MachineDescription } from './machine.js';
