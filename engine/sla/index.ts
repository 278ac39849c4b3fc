/**
 * SLA services: the policy language and manager, the Performance Analyzer (control law), the
 * Entity Service (latest statistics) and the SLA database (better-sqlite3 on a worker thread).
 */
export * from './policy/index.js';
export * from './analyzer/index.js';
export * from './entity/index.js';
export * from './db/index.js';
export { sampleRowsOf, analysisRecords } from './records.js';
