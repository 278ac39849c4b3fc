import type Database from 'better-sqlite3';

/**
 * Versioned schema migrations. `PRAGMA user_version` holds the version a database is at; each
 * migration runs once, in its own transaction, in order. Never edit a released migration:
 * add the next one.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'entities, policies, per-interval samples, throttle actions, violations, ingest batches',
    sql: `
      CREATE TABLE gateways (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        address TEXT NOT NULL DEFAULT '',
        first_seen INTEGER,
        last_seen INTEGER
      );
      CREATE TABLE hosts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      CREATE TABLE luns (
        id INTEGER PRIMARY KEY,
        gateway_id INTEGER NOT NULL REFERENCES gateways(id),
        name TEXT NOT NULL,
        size_bytes REAL NOT NULL DEFAULT 0,
        UNIQUE (gateway_id, name)
      );
      CREATE TABLE classes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
      -- One time series: one host's traffic to one LUN on one gateway, under one class.
      CREATE TABLE series (
        id INTEGER PRIMARY KEY,
        gateway_id INTEGER NOT NULL REFERENCES gateways(id),
        host_id INTEGER NOT NULL REFERENCES hosts(id),
        lun_id INTEGER NOT NULL REFERENCES luns(id),
        class_id INTEGER REFERENCES classes(id),
        UNIQUE (gateway_id, host_id, lun_id, class_id)
      );
      -- Keyed by time first: polls arrive in time order, so inserts append to the B-tree.
      CREATE TABLE samples (
        t INTEGER NOT NULL,
        series_id INTEGER NOT NULL,
        iops REAL NOT NULL, mbps REAL NOT NULL,
        p50_us REAL NOT NULL, p95_us REAL NOT NULL, p99_us REAL NOT NULL,
        queue_depth REAL NOT NULL,
        PRIMARY KEY (t, series_id)
      ) WITHOUT ROWID;
      CREATE TABLE policies (
        version INTEGER PRIMARY KEY,
        applied_at INTEGER NOT NULL,
        name TEXT NOT NULL,
        source TEXT NOT NULL,
        text TEXT NOT NULL
      );
      CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        t INTEGER NOT NULL,
        gateway TEXT NOT NULL, host TEXT NOT NULL, lun TEXT NOT NULL, class TEXT NOT NULL,
        kind TEXT NOT NULL,
        iops_limit REAL NOT NULL, mbps_limit REAL NOT NULL,
        previous_iops_limit REAL NOT NULL, previous_mbps_limit REAL NOT NULL,
        protects TEXT,
        reason TEXT NOT NULL
      );
      CREATE TABLE violations (
        id INTEGER PRIMARY KEY,
        t INTEGER NOT NULL,
        gateway TEXT NOT NULL, class TEXT NOT NULL, host TEXT NOT NULL, lun TEXT NOT NULL,
        measurement TEXT NOT NULL, observed REAL NOT NULL, target REAL NOT NULL,
        text TEXT NOT NULL
      );
      -- Every committed ingest batch, written in the batch's own transaction.
      CREATE TABLE ingest_batches (
        batch_id INTEGER PRIMARY KEY,
        committed_at INTEGER NOT NULL,
        samples INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'alerts, acknowledgements of actions, per-class series, per-minute and per-hour rollups, watermarks',
    sql: `
      ALTER TABLE actions ADD COLUMN acked INTEGER;
      ALTER TABLE actions ADD COLUMN ack_reason TEXT;
      CREATE INDEX actions_t ON actions (t);
      CREATE INDEX violations_t ON violations (t);
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        t INTEGER NOT NULL,
        severity TEXT NOT NULL,
        gateway TEXT NOT NULL, class TEXT NOT NULL,
        code TEXT NOT NULL,
        text TEXT NOT NULL
      );
      CREATE INDEX alerts_t ON alerts (t);
      -- Per poll, per gateway and class: what the Monitor plots, a few rows per poll instead of one per host and LUN.
      CREATE TABLE class_samples (
        class_id INTEGER NOT NULL, t INTEGER NOT NULL, gateway_id INTEGER NOT NULL,
        pairs INTEGER NOT NULL,
        iops REAL NOT NULL, mbps REAL NOT NULL, p95_us REAL NOT NULL, p99_us REAL NOT NULL,
        PRIMARY KEY (class_id, t, gateway_id)
      ) WITHOUT ROWID;
      CREATE TABLE samples_minute (
        bucket INTEGER NOT NULL, series_id INTEGER NOT NULL, n INTEGER NOT NULL,
        iops REAL NOT NULL, mbps REAL NOT NULL, p50_us REAL NOT NULL, p95_us REAL NOT NULL, p99_us REAL NOT NULL, queue_depth REAL NOT NULL,
        PRIMARY KEY (bucket, series_id)
      ) WITHOUT ROWID;
      CREATE TABLE samples_hour (
        bucket INTEGER NOT NULL, series_id INTEGER NOT NULL, n INTEGER NOT NULL,
        iops REAL NOT NULL, mbps REAL NOT NULL, p50_us REAL NOT NULL, p95_us REAL NOT NULL, p99_us REAL NOT NULL, queue_depth REAL NOT NULL,
        PRIMARY KEY (bucket, series_id)
      ) WITHOUT ROWID;
      CREATE TABLE class_minute (
        class_id INTEGER NOT NULL, bucket INTEGER NOT NULL, gateway_id INTEGER NOT NULL, n INTEGER NOT NULL,
        iops REAL NOT NULL, mbps REAL NOT NULL, p95_us REAL NOT NULL, p99_us REAL NOT NULL,
        PRIMARY KEY (class_id, bucket, gateway_id)
      ) WITHOUT ROWID;
      CREATE TABLE class_hour (
        class_id INTEGER NOT NULL, bucket INTEGER NOT NULL, gateway_id INTEGER NOT NULL, n INTEGER NOT NULL,
        iops REAL NOT NULL, mbps REAL NOT NULL, p95_us REAL NOT NULL, p99_us REAL NOT NULL,
        PRIMARY KEY (class_id, bucket, gateway_id)
      ) WITHOUT ROWID;
      -- One gateway's history without scanning every gateway's rows (the Monitor's per-gateway view).
      CREATE INDEX class_minute_gateway ON class_minute (gateway_id, class_id, bucket);
      CREATE INDEX class_hour_gateway ON class_hour (gateway_id, class_id, bucket);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `,
  },
  {
    version: 3,
    description: 'storage probes (headroom storage probe --db, the Headroom view): fio at rising iodepth against a LUN, step by step',
    sql: `
      -- One probe; \`steps\` is how many step rows it was written with, in the same transaction.
      CREATE TABLE storage_probes (
        id INTEGER PRIMARY KEY,
        uri TEXT NOT NULL,
        lun TEXT,
        bs TEXT NOT NULL,
        block_bytes INTEGER NOT NULL,
        rw TEXT NOT NULL,
        seconds_per_step REAL NOT NULL,
        started_at INTEGER NOT NULL,
        complete INTEGER NOT NULL,
        steps INTEGER NOT NULL
      );
      CREATE INDEX storage_probes_lun ON storage_probes (lun, started_at);
      CREATE TABLE storage_probe_steps (
        probe_id INTEGER NOT NULL REFERENCES storage_probes(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        iodepth INTEGER NOT NULL,
        iops REAL NOT NULL, mbps REAL NOT NULL,
        mean_ms REAL NOT NULL, p50_ms REAL NOT NULL, p95_ms REAL NOT NULL, p99_ms REAL NOT NULL,
        ios INTEGER NOT NULL,
        PRIMARY KEY (probe_id, step)
      ) WITHOUT ROWID;
    `,
  },
];

export const SCHEMA_VERSION = migrations.at(-1)!.version;

/**
 * The oldest version a read-only reader (a report, a fit) can read: version 3 only added the
 * storage probe tables, which a reader of a version 2 database finds absent and takes for none.
 * A read-only reader cannot migrate, so refusing version 2 would lock reports out of every
 * database an older server wrote until a server opened it again.
 */
export const READABLE_FROM_VERSION = 2;

/** Brings a database to `target` (default: the latest). Refuses a database newer than this code. */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > SCHEMA_VERSION) throw new Error(`the database is at schema version ${from}; this Headroom knows up to ${SCHEMA_VERSION}`);
  for (const m of migrations) {
    if (m.version <= from || m.version > target) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, Math.min(target, SCHEMA_VERSION)) };
}
