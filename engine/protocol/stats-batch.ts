import { PayloadReader, PayloadWriter } from './binary.js';
import { readPayload, writePayload, type StatsEntry } from './messages.js';

/**
 * Poll replies on their way from a shard to the SLA services, many gateways in one buffer.
 * Structured-cloning ten thousand replies of nested objects cost the shard more CPU than
 * writing the polls; their wire encoding is a third of the size, is written in a fraction of
 * the time, and crosses the thread boundary as a transferred buffer, without a copy.
 */
export interface StatsBatch {
  gatewayIds: string[];
  cycles: number[];
  /** End offset of each reply's payload in `payload`; each starts where the previous ends. */
  ends: number[];
  payload: Uint8Array;
}

export class StatsBatchWriter {
  private writer = new PayloadWriter(16 * 1024);
  private gatewayIds: string[] = [];
  private cycles: number[] = [];
  private ends: number[] = [];

  add(gatewayId: string, cycle: number, intervalMs: number, entries: readonly StatsEntry[]): void {
    writePayload(this.writer, { type: 'stats', intervalMs, entries: entries as StatsEntry[] });
    this.gatewayIds.push(gatewayId);
    this.cycles.push(cycle);
    this.ends.push(this.writer.length);
  }

  /** The replies so far, in a buffer of their own (safe to transfer), and a fresh start. */
  take(): StatsBatch | null {
    if (this.gatewayIds.length === 0) return null;
    const payload = new Uint8Array(this.writer.length);
    payload.set(this.writer.finish());
    const batch: StatsBatch = { gatewayIds: this.gatewayIds, cycles: this.cycles, ends: this.ends, payload };
    this.writer.reset();
    this.gatewayIds = [];
    this.cycles = [];
    this.ends = [];
    return batch;
  }
}

/**
 * Every reply of a batch, in order. A batch that does not decode (it never left this process,
 * so that is a bug, not a peer's fault) stops at the bad reply and says which.
 */
export function readStatsBatch(batch: StatsBatch, each: (gatewayId: string, cycle: number, entries: StatsEntry[], intervalMs: number) => void): void {
  let start = 0;
  // One reader for the whole batch, moved from reply to reply, as the frame decoder does.
  const reader = new PayloadReader(batch.payload, 0, 0, 0);
  for (let i = 0; i < batch.gatewayIds.length; i++) {
    const end = batch.ends[i]!;
    const where = `stats batch reply ${i} (gateway ${batch.gatewayIds[i]})`;
    if (!(end >= start && end <= batch.payload.length)) throw new Error(`${where}: ends at ${end}, outside ${start}..${batch.payload.length}`);
    reader.reset(start, end);
    const message = readPayload(reader, 'stats');
    reader.done();
    if (reader.problem || message.type !== 'stats') throw new Error(`${where}: ${reader.problem?.message ?? 'not a stats reply'}`);
    each(batch.gatewayIds[i]!, batch.cycles[i]!, message.entries, message.intervalMs);
    start = end;
  }
}
