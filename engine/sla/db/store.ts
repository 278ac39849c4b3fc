import Database from 'better-sqlite3';
import { migrate, READABLE_FROM_VERSION, SCHEMA_VERSION } from './migrations.js';
import {
  DEFAULT_RETENTION, VALUES_PER_SAMPLE,
  type ActionRecord, type AlertRecord, type ClassPoint, type ClassSeriesQuery, type GatewayLatest, type PackedSamples,
  type PolicyRecord, type Resolution, type RetentionPolicy, type SeriesKey, type StoredAction, type Timeline, type TimelineQuery, type ViolationRecord,
} from './types.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Rows per multi-row INSERT: fewer statement executions, well under SQLite's 32766 parameters. */
const ROWS_PER_INSERT = 256;
const UNBOUND_CLASS = '';
const LAST_BATCH_META = 'ingest.lastBatch';

interface SeriesInfo {
  seriesId: number;
  gatewayDbId: number;
  classId: number;
}

export interface StoreOptions {
  /** Open an existing database without migrating (tests of migrations). */
  migrate?: boolean;
  retention?: Partial<RetentionPolicy>;
  /**
   * Read only, for reports: the file must exist and is never written, so a report can read the
   * database while the SLA server writes it (WAL lets readers and the writer go on together).
   */
  readonly?: boolean;
}

/**
 * The SLA database on one better-sqlite3 connection, synchronous. It runs inside the database
 * worker (see db-worker.ts) or, for tests and the in-process baseline of the bench, directly.
 *
 * WAL with synchronous=NORMAL: a committed transaction survives the process being killed (the
 * WAL is written before commit returns); only an operating-system crash may lose the last
 * transactions, never consistency.
 */
export class SlaStore {
  readonly db: Database.Database;
  private readonly retention: RetentionPolicy;
  /**
   * The sender's series numbers: their keys, as each batch defined them (kept whatever became
   * of the batch), and the database ids they resolved to (a cache, dropped with the others
   * when a transaction rolls back, since the ids it inserted are gone with it).
   */
  private readonly senderKeys = new Map<number, SeriesKey>();
  private readonly senderSeries = new Map<number, SeriesInfo>();
  private readonly gatewayIds = new Map<string, number>();
  private readonly hostIds = new Map<string, number>();
  private readonly classIds = new Map<string, number>();
  private readonly lunIds = new Map<string, number>();
  private readonly stmts: ReturnType<SlaStore['prepare']>;

  constructor(file: string, options: StoreOptions = {}) {
    if (options.readonly) {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version < READABLE_FROM_VERSION || version > SCHEMA_VERSION) {
        this.db.close();
        throw new Error(`${file}: SLA database schema version ${version}, this Headroom reads versions ${READABLE_FROM_VERSION} to ${SCHEMA_VERSION}`);
      }
    } else {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('cache_size = -65536');
      this.db.pragma('temp_store = MEMORY');
      this.db.pragma('foreign_keys = ON');
      if (options.migrate !== false) migrate(this.db);
    }
    this.retention = { ...DEFAULT_RETENTION, ...options.retention };
    this.stmts = this.prepare();
  }

  private prepare() {
    const db = this.db;
    const sampleValues = '(?,?,?,?,?,?,?,?)';
    return {
      insertSamplesMany: db.prepare(`INSERT OR REPLACE INTO samples (t, series_id, iops, mbps, p50_us, p95_us, p99_us, queue_depth) VALUES ${Array(ROWS_PER_INSERT).fill(sampleValues).join(',')}`),
      insertSample: db.prepare(`INSERT OR REPLACE INTO samples (t, series_id, iops, mbps, p50_us, p95_us, p99_us, queue_depth) VALUES ${sampleValues}`),
      upsertClassSample: db.prepare(`INSERT INTO class_samples (class_id, t, gateway_id, pairs, iops, mbps, p95_us, p99_us) VALUES (?,?,?,?,?,?,?,?)
        ON CONFLICT (class_id, t, gateway_id) DO UPDATE SET pairs = pairs + excluded.pairs, iops = iops + excluded.iops, mbps = mbps + excluded.mbps,
        p95_us = max(p95_us, excluded.p95_us), p99_us = max(p99_us, excluded.p99_us)`),
      batchSeen: db.prepare('SELECT 1 FROM ingest_batches WHERE batch_id = ?'),
      insertBatch: db.prepare('INSERT INTO ingest_batches (batch_id, committed_at, samples) VALUES (?,?,?)'),
      touchGateway: db.prepare('UPDATE gateways SET last_seen = max(coalesce(last_seen, 0), ?), first_seen = coalesce(first_seen, ?) WHERE id = ?'),
      gatewayId: db.prepare('SELECT id FROM gateways WHERE name = ?').pluck(),
      insertGateway: db.prepare('INSERT INTO gateways (name) VALUES (?)'),
      setGatewayAddress: db.prepare('UPDATE gateways SET address = ? WHERE id = ?'),
      hostId: db.prepare('SELECT id FROM hosts WHERE name = ?').pluck(),
      insertHost: db.prepare('INSERT INTO hosts (name) VALUES (?)'),
      classId: db.prepare('SELECT id FROM classes WHERE name = ?').pluck(),
      insertClass: db.prepare('INSERT INTO classes (name) VALUES (?)'),
      lunId: db.prepare('SELECT id FROM luns WHERE gateway_id = ? AND name = ?').pluck(),
      insertLun: db.prepare('INSERT INTO luns (gateway_id, name, size_bytes) VALUES (?,?,?)'),
      setLunSize: db.prepare('UPDATE luns SET size_bytes = ? WHERE id = ?'),
      seriesId: db.prepare('SELECT id FROM series WHERE gateway_id = ? AND host_id = ? AND lun_id = ? AND class_id IS ?').pluck(),
      insertSeries: db.prepare('INSERT INTO series (gateway_id, host_id, lun_id, class_id) VALUES (?,?,?,?)'),
      insertAction: db.prepare(`INSERT INTO actions (t, gateway, host, lun, class, kind, iops_limit, mbps_limit, previous_iops_limit, previous_mbps_limit, protects, reason)
        VALUES (@t, @gatewayId, @host, @lun, @className, @kind, @iopsLimit, @mbpsLimit, @previousIopsLimit, @previousMbpsLimit, @protects, @reason)`),
      ackAction: db.prepare('UPDATE actions SET acked = ?, ack_reason = ? WHERE id = ?'),
      insertViolation: db.prepare(`INSERT INTO violations (t, gateway, class, host, lun, measurement, observed, target, text)
        VALUES (@t, @gatewayId, @className, @host, @lun, @measurement, @observed, @target, @text)`),
      insertAlert: db.prepare('INSERT INTO alerts (t, severity, gateway, class, code, text) VALUES (@t, @severity, @gatewayId, @className, @code, @text)'),
      insertPolicy: db.prepare('INSERT OR REPLACE INTO policies (version, applied_at, name, source, text) VALUES (@version, @appliedAt, @name, @source, @text)'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    };
  }

  close(): void {
    this.db.close();
  }

  // ---- entities

  private idOf(cache: Map<string, number>, name: string, get: Database.Statement, insert: Database.Statement): number {
    const cached = cache.get(name);
    if (cached !== undefined) return cached;
    const found = get.get(name) as number | undefined;
    const id = found ?? Number(insert.run(name).lastInsertRowid);
    cache.set(name, id);
    return id;
  }

  private gatewayDbId(name: string): number {
    return this.idOf(this.gatewayIds, name, this.stmts.gatewayId, this.stmts.insertGateway);
  }

  private classDbId(name: string | null): number {
    return this.idOf(this.classIds, name ?? UNBOUND_CLASS, this.stmts.classId, this.stmts.insertClass);
  }

  private lunDbId(gatewayId: number, name: string, sizeBytes = 0): number {
    const key = `${gatewayId}\u0000${name}`;
    const cached = this.lunIds.get(key);
    if (cached !== undefined) return cached;
    const found = this.stmts.lunId.get(gatewayId, name) as number | undefined;
    const id = found ?? Number(this.stmts.insertLun.run(gatewayId, name, sizeBytes).lastInsertRowid);
    this.lunIds.set(key, id);
    return id;
  }

  private seriesInfo(key: SeriesKey): SeriesInfo {
    const gatewayDbId = this.gatewayDbId(key.gatewayId);
    const hostId = this.idOf(this.hostIds, key.host, this.stmts.hostId, this.stmts.insertHost);
    const lunId = this.lunDbId(gatewayDbId, key.lun);
    const classId = this.classDbId(key.className);
    const found = this.stmts.seriesId.get(gatewayDbId, hostId, lunId, classId) as number | undefined;
    const seriesId = found ?? Number(this.stmts.insertSeries.run(gatewayDbId, hostId, lunId, classId).lastInsertRowid);
    return { seriesId, gatewayDbId, classId };
  }

  registerGateway(gatewayId: string, address: string, luns: readonly { lunId: string; sizeBytes: number }[]): void {
    this.db.transaction(() => {
      const id = this.gatewayDbId(gatewayId);
      this.stmts.setGatewayAddress.run(address, id);
      for (const lun of luns) this.stmts.setLunSize.run(lun.sizeBytes, this.lunDbId(id, lun.lunId, lun.sizeBytes));
    })();
  }

  // ---- ingest

  /**
   * One batch, one transaction: samples, the per-class aggregates and the batch's id commit
   * together or not at all. A batch id seen before is skipped, so a resend is harmless.
   */
  ingest(batch: PackedSamples, committedAt = Date.now()): { batchId: number; samples: number; duplicate: boolean } {
    // Keys first, outside the transaction: a batch that is skipped or rolled back still defines
    // its series for the batches after it, which refer to them by number only.
    for (const { index, key } of batch.newSeries) {
      this.senderKeys.set(index, key);
      this.senderSeries.delete(index);
    }
    let duplicate = false;
    try {
      this.db.transaction(() => { duplicate = this.ingestInTransaction(batch, committedAt); })();
    } catch (err) {
      this.forgetIds();
      throw err;
    }
    return { batchId: batch.batchId, samples: duplicate ? 0 : batch.count, duplicate };
  }

  /** The id after which a new sender numbers its batches: the highest ever committed here. */
  lastBatchId(): number {
    const kept = this.db.prepare('SELECT max(batch_id) FROM ingest_batches').pluck().get() as number | null;
    return Math.max(kept ?? 0, this.meta(LAST_BATCH_META) ?? 0);
  }

  /** Ids cached from rows a rolled-back transaction inserted no longer exist. */
  private forgetIds(): void {
    this.senderSeries.clear();
    this.gatewayIds.clear();
    this.hostIds.clear();
    this.classIds.clear();
    this.lunIds.clear();
  }

  private senderSeriesInfo(batchId: number, index: number): SeriesInfo {
    const cached = this.senderSeries.get(index);
    if (cached) return cached;
    const key = this.senderKeys.get(index);
    if (!key) throw new Error(`batch ${batchId}: series ${index} was never defined`);
    const info = this.seriesInfo(key);
    this.senderSeries.set(index, info);
    return info;
  }

  /** Returns true when the batch was committed before (and is skipped). */
  private ingestInTransaction(batch: PackedSamples, committedAt: number): boolean {
    const s = this.stmts;
    if (s.batchSeen.get(batch.batchId)) return true;
    const { t, series, values, count } = batch;
    const infos: SeriesInfo[] = new Array<SeriesInfo>(count);
    for (let i = 0; i < count; i++) infos[i] = this.senderSeriesInfo(batch.batchId, series[i]!);
    const params = new Array<number>(ROWS_PER_INSERT * 8);
    let i = 0;
    for (; i + ROWS_PER_INSERT <= count; i += ROWS_PER_INSERT) {
      for (let r = 0; r < ROWS_PER_INSERT; r++) fillRow(params, r * 8, t, infos, values, i + r);
      s.insertSamplesMany.run(params);
    }
    const one = new Array<number>(8);
    for (; i < count; i++) { fillRow(one, 0, t, infos, values, i); s.insertSample.run(one); }

    // Per class, gateway and poll: summed in memory, one upsert each. Numeric keys per poll time: no string per row.
    type Agg = [number, number, number, number, number, number, number, number];
    const aggByT = new Map<number, Map<number, Agg>>();
    const lastSeen = new Map<number, [number, number]>();
    let prevT = NaN;
    let agg: Map<number, Agg> | undefined;
    for (let k = 0; k < count; k++) {
      const info = infos[k]!;
      const tk = t[k]!;
      if (tk !== prevT) {
        agg = aggByT.get(tk);
        if (!agg) aggByT.set(tk, (agg = new Map()));
        prevT = tk;
      }
      const v = k * VALUES_PER_SAMPLE;
      const key = info.classId * 0x100000000 + info.gatewayDbId;
      const a = agg!.get(key);
      if (a) { a[3]++; a[4] += values[v]!; a[5] += values[v + 1]!; a[6] = Math.max(a[6], values[v + 3]!); a[7] = Math.max(a[7], values[v + 4]!); }
      else agg!.set(key, [info.classId, tk, info.gatewayDbId, 1, values[v]!, values[v + 1]!, values[v + 3]!, values[v + 4]!]);
      const seen = lastSeen.get(info.gatewayDbId);
      if (!seen) lastSeen.set(info.gatewayDbId, [tk, tk]);
      else { if (tk < seen[0]) seen[0] = tk; if (tk > seen[1]) seen[1] = tk; }
    }
    for (const byKey of aggByT.values()) for (const a of byKey.values()) s.upsertClassSample.run(a);
    for (const [gw, [first, last]] of lastSeen) s.touchGateway.run(last, first, gw);
    s.insertBatch.run(batch.batchId, committedAt, count);
    // Retention deletes old batch rows; the watermark keeps the numbering going past them.
    s.setMeta.run(LAST_BATCH_META, Math.max(batch.batchId, this.meta(LAST_BATCH_META) ?? 0));
    return false;
  }

  // ---- events

  recordActions(actions: readonly ActionRecord[]): number[] {
    return this.db.transaction(() => actions.map((a) => Number(this.stmts.insertAction.run(a).lastInsertRowid)))();
  }

  ackAction(id: number, ok: boolean, reason: string): void {
    this.stmts.ackAction.run(ok ? 1 : 0, reason, id);
  }

  recordViolations(violations: readonly ViolationRecord[]): void {
    this.db.transaction(() => { for (const v of violations) this.stmts.insertViolation.run(v); })();
  }

  recordAlerts(alerts: readonly AlertRecord[]): void {
    this.db.transaction(() => { for (const a of alerts) this.stmts.insertAlert.run(a); })();
  }

  recordPolicy(policy: PolicyRecord): void {
    this.stmts.insertPolicy.run(policy);
  }

  /** Every service class the database has samples for. */
  classNames(): string[] {
    return this.db.prepare('SELECT name FROM classes ORDER BY name').pluck().all() as string[];
  }

  policyHistory(): PolicyRecord[] {
    return this.db.prepare('SELECT version, applied_at AS appliedAt, name, source, text FROM policies ORDER BY version').all() as PolicyRecord[];
  }

  // ---- rollups and retention

  /**
   * Rolls complete minutes of raw samples into minutes, and complete hours of minutes into
   * hours, up to `now`. Watermarks make it incremental; samples arriving behind a watermark
   * stay in the raw table only.
   */
  rollup(now: number): { minutes: number; hours: number } {
    let minutes = 0;
    let hours = 0;
    this.db.transaction(() => {
      const minuteEnd = Math.floor(now / MINUTE) * MINUTE;
      const hourEnd = Math.floor(now / HOUR) * HOUR;
      const m0 = this.meta('rollup.minute') ?? this.firstSampleTime(minuteEnd);
      if (m0 < minuteEnd) {
        minutes += this.db.prepare(`INSERT OR REPLACE INTO samples_minute
          SELECT (t / ${MINUTE}) * ${MINUTE}, series_id, count(*), avg(iops), avg(mbps), avg(p50_us), max(p95_us), max(p99_us), avg(queue_depth)
          FROM samples WHERE t >= ? AND t < ? GROUP BY 1, 2`).run(m0, minuteEnd).changes;
        minutes += this.db.prepare(`INSERT OR REPLACE INTO class_minute
          SELECT class_id, (t / ${MINUTE}) * ${MINUTE}, gateway_id, count(*), avg(iops), avg(mbps), max(p95_us), max(p99_us)
          FROM class_samples WHERE t >= ? AND t < ? GROUP BY class_id, 2, gateway_id`).run(m0, minuteEnd).changes;
        this.stmts.setMeta.run('rollup.minute', minuteEnd);
      }
      const h0 = this.meta('rollup.hour') ?? Math.floor(m0 / HOUR) * HOUR;
      if (h0 < hourEnd) {
        hours += this.db.prepare(`INSERT OR REPLACE INTO samples_hour
          SELECT (bucket / ${HOUR}) * ${HOUR}, series_id, sum(n), sum(iops * n) / sum(n), sum(mbps * n) / sum(n), sum(p50_us * n) / sum(n),
            max(p95_us), max(p99_us), sum(queue_depth * n) / sum(n)
          FROM samples_minute WHERE bucket >= ? AND bucket < ? GROUP BY 1, 2`).run(h0, hourEnd).changes;
        hours += this.db.prepare(`INSERT OR REPLACE INTO class_hour
          SELECT class_id, (bucket / ${HOUR}) * ${HOUR}, gateway_id, sum(n), sum(iops * n) / sum(n), sum(mbps * n) / sum(n), max(p95_us), max(p99_us)
          FROM class_minute WHERE bucket >= ? AND bucket < ? GROUP BY class_id, 2, gateway_id`).run(h0, hourEnd).changes;
        this.stmts.setMeta.run('rollup.hour', hourEnd);
      }
    })();
    return { minutes, hours };
  }

  private meta(key: string): number | undefined {
    return this.stmts.getMeta.get(key) as number | undefined;
  }

  private firstSampleTime(fallback: number): number {
    const t = this.db.prepare('SELECT min(t) FROM class_samples').pluck().get() as number | null;
    return t === null ? fallback : Math.floor(t / MINUTE) * MINUTE;
  }

  /** Deletes what is older than the retention of each resolution; rollups run first so nothing unrolled is lost. */
  applyRetention(now: number): Record<string, number> {
    this.rollup(now);
    const r = this.retention;
    const deleted: Record<string, number> = {};
    this.db.transaction(() => {
      const del = (table: string, column: string, keepMs: number) => {
        deleted[table] = this.db.prepare(`DELETE FROM ${table} WHERE ${column} < ?`).run(now - keepMs).changes;
      };
      // Raw rows go only once rolled up (the watermark is past them).
      const minuteMark = this.meta('rollup.minute') ?? 0;
      deleted.samples = this.db.prepare('DELETE FROM samples WHERE t < ? AND t < ?').run(now - r.rawSamplesMs, minuteMark).changes;
      deleted.class_samples = this.db.prepare('DELETE FROM class_samples WHERE t < ? AND t < ?').run(now - r.rawClassMs, minuteMark).changes;
      del('samples_minute', 'bucket', r.minuteSamplesMs);
      del('class_minute', 'bucket', r.minuteClassMs);
      del('samples_hour', 'bucket', r.hourSamplesMs);
      del('class_hour', 'bucket', r.hourClassMs);
      del('actions', 't', r.eventsMs);
      del('violations', 't', r.eventsMs);
      del('alerts', 't', r.eventsMs);
      deleted.ingest_batches = this.db.prepare('DELETE FROM ingest_batches WHERE committed_at < ?').run(now - r.rawSamplesMs).changes;
    })();
    return deleted;
  }

  // ---- queries for the views

  static resolutionFor(from: number, to: number): Resolution {
    const span = to - from;
    return span <= 2 * HOUR ? 'raw' : span <= 3 * 24 * HOUR ? 'minute' : 'hour';
  }

  /** A class's IOPS and MB/s (summed over its pairs and gateways) and worst p95/p99 per point in time. */
  classSeries(q: ClassSeriesQuery): { resolution: Resolution; points: ClassPoint[] } {
    const resolution = q.resolution ?? SlaStore.resolutionFor(q.from, q.to);
    if (!['raw', 'minute', 'hour'].includes(resolution)) throw new Error(`resolution must be raw, minute or hour (got "${String(resolution)}")`);
    const classId = this.stmts.classId.get(q.className) as number | undefined;
    if (classId === undefined) return { resolution, points: [] };
    const gatewayFilter = q.gatewayId === undefined ? '' : 'AND gateway_id = @gatewayDbId';
    const gatewayDbId = q.gatewayId === undefined ? undefined : (this.stmts.gatewayId.get(q.gatewayId) as number | undefined) ?? -1;
    const sql = resolution === 'raw'
      ? `SELECT t, sum(iops) AS iops, sum(mbps) AS mbps, max(p95_us) AS p95Us, max(p99_us) AS p99Us FROM class_samples
         WHERE class_id = @classId AND t >= @from AND t <= @to ${gatewayFilter} GROUP BY t ORDER BY t`
      : `SELECT bucket AS t, sum(iops) AS iops, sum(mbps) AS mbps, max(p95_us) AS p95Us, max(p99_us) AS p99Us FROM ${resolution === 'minute' ? 'class_minute' : 'class_hour'}
         ${q.gatewayId === undefined ? '' : `INDEXED BY ${resolution === 'minute' ? 'class_minute_gateway' : 'class_hour_gateway'}`}
         WHERE class_id = @classId AND bucket >= @from AND bucket <= @to ${gatewayFilter} GROUP BY bucket ORDER BY bucket`;
    const params: Record<string, number> = { classId, from: q.from, to: q.to };
    if (gatewayDbId !== undefined) params.gatewayDbId = gatewayDbId;
    return { resolution, points: this.db.prepare(sql).all(params) as ClassPoint[] };
  }

  /** Throttle actions, violations and alerts in a time range, oldest first. */
  timeline(q: TimelineQuery): Timeline {
    const limit = q.limit ?? 10_000;
    const gw = q.gatewayId === undefined ? '' : 'AND gateway = @gatewayId';
    const params: Record<string, string | number> = { from: q.from, to: q.to, limit };
    if (q.gatewayId !== undefined) params.gatewayId = q.gatewayId;
    const actions = (this.db.prepare(`SELECT id, t, gateway AS gatewayId, host, lun, class AS className, kind, iops_limit AS iopsLimit, mbps_limit AS mbpsLimit,
        previous_iops_limit AS previousIopsLimit, previous_mbps_limit AS previousMbpsLimit, protects, reason, acked, ack_reason AS ackReason
        FROM actions WHERE t >= @from AND t <= @to ${gw} ORDER BY t, id LIMIT @limit`).all(params) as (Omit<StoredAction, 'acked'> & { acked: number | null })[])
      .map((a) => ({ ...a, acked: a.acked === null ? null : a.acked === 1 }));
    const violations = this.db.prepare(`SELECT id, t, gateway AS gatewayId, class AS className, host, lun, measurement, observed, target, text
        FROM violations WHERE t >= @from AND t <= @to ${gw} ORDER BY t, id LIMIT @limit`).all(params) as Timeline['violations'];
    const alerts = this.db.prepare(`SELECT id, t, severity, gateway AS gatewayId, class AS className, code, text
        FROM alerts WHERE t >= @from AND t <= @to ${gw} ORDER BY t, id LIMIT @limit`).all(params) as Timeline['alerts'];
    return { actions, violations, alerts };
  }

  /** Every gateway with its last poll and the totals of that poll. */
  latestPerGateway(): GatewayLatest[] {
    return this.db.prepare(`SELECT g.name AS gatewayId, g.address, g.last_seen AS lastSeen,
        coalesce(sum(cs.iops), 0) AS iops, coalesce(sum(cs.mbps), 0) AS mbps, coalesce(max(cs.p99_us), 0) AS p99Us
      FROM gateways g CROSS JOIN classes c
      LEFT JOIN class_samples cs ON cs.class_id = c.id AND cs.t = g.last_seen AND cs.gateway_id = g.id
      GROUP BY g.id ORDER BY g.name`).all() as GatewayLatest[];
  }

  /** Batch ids committed, for the crash test and for a sender resuming after a restart. */
  committedBatches(): number[] {
    return this.db.prepare('SELECT batch_id FROM ingest_batches ORDER BY batch_id').pluck().all() as number[];
  }

  integrityCheck(): string {
    return (this.db.pragma('integrity_check', { simple: true }) as string);
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const table of ['samples', 'class_samples', 'samples_minute', 'samples_hour', 'class_minute', 'class_hour', 'series', 'actions', 'violations', 'alerts', 'policies', 'ingest_batches']) {
      out[table] = this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    }
    return out;
  }
}

function fillRow(out: number[], at: number, t: Float64Array, infos: readonly SeriesInfo[], values: Float64Array, i: number): void {
  const v = i * VALUES_PER_SAMPLE;
  out[at] = t[i]!;
  out[at + 1] = infos[i]!.seriesId;
  out[at + 2] = values[v]!;
  out[at + 3] = values[v + 1]!;
  out[at + 4] = values[v + 2]!;
  out[at + 5] = values[v + 3]!;
  out[at + 6] = values[v + 4]!;
  out[at + 7] = values[v + 5]!;
}
