import { SlaDb } from './client.js';
import type { SampleRow } from './types.js';

/**
 * Crash-test child: ingests batches through the database thread as fast as it can and prints
 * `committed <batchId> <t> <rows>` for each batch the database confirmed. The test kills it
 * with SIGKILL and checks the reopened database against what was printed.
 * Usage: node crash-child.js FILE [ROWS_PER_BATCH] [MAX_BATCHES]
 */
const [file, rowsArg, maxArg] = process.argv.slice(2);
if (!file) throw new Error('usage: crash-child FILE [ROWS_PER_BATCH] [MAX_BATCHES]');
const rowsPerBatch = Number(rowsArg ?? 2000);
const maxBatches = Number(maxArg ?? 100_000);

const db = await SlaDb.open(file);
const inFlight = new Set<Promise<void>>();
for (let b = 1; b <= maxBatches; b++) {
  const t = b * 1000;
  const rows: SampleRow[] = [];
  for (let i = 0; i < rowsPerBatch; i++) {
    rows.push({ t, gatewayId: `gw${i % 50}`, host: `h${i}`, lun: `l${i % 7}`, className: i % 3 === 0 ? 'gold' : 'bronze',
      iops: i, mbps: i / 100, p50Us: 100, p95Us: 200, p99Us: 300, queueDepth: 1 });
  }
  // Handled where it is made: a failed batch is reported, never left to reject unobserved.
  const done: Promise<void> = db.ingest(rows).then(
    (c) => { process.stdout.write(`committed ${c.batchId} ${t} ${c.samples}\n`); },
    (err: unknown) => { process.stderr.write(`batch at ${t} failed: ${String(err)}\n`); process.exitCode = 1; },
  ).then(() => { inFlight.delete(done); });
  db.flush();
  inFlight.add(done);
  if (inFlight.size >= 4) await Promise.race(inFlight);
}
await Promise.all(inFlight);
await db.close();
