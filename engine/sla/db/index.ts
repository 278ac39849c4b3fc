/** The SLA database: better-sqlite3 (WAL) on a worker thread behind a mailbox, with migrations, batched ingest, rollups and retention. */
export { SlaDb, type SlaDbOptions, type SlaDbQueries, type CommittedBatch } from './client.js';
export { SlaStore, type StoreOptions } from './store.js';
export { SamplePacker } from './packer.js';
export { migrate, migrations, SCHEMA_VERSION, type Migration } from './migrations.js';
export { runDbBench, type DbBenchOptions, type DbBenchResult } from './bench.js';
export * from './types.js';
