import { parentPort, workerData } from 'node:worker_threads';
import { buildChain, WORDS_PER_LINE } from './chain.js';
import { CHASE_BATCH, CHASE_RING, CONTROL, type ProbeWorkerData } from './protocol.js';

/**
 * One probe thread. The chaser walks a random single-cycle chain through a buffer larger than the
 * last-level cache, so each load waits for the one before (a dependent load is the latency); a
 * streamer reads one word per cache line through its own buffer in bursts, spinning `delay`
 * iterations of register-only arithmetic between bursts (the injection rate, as MLC's delays).
 * Both publish cumulative counts in shared memory, which the main thread reads on its own clock;
 * the chaser also times each batch, so the main thread can take the median batch and leave out
 * the batches during which the OS ran something else on this core (a loaded machine's reality).
 */
const data = workerData as ProbeWorkerData;
const control = new Int32Array(data.control);
const counters = new Float64Array(data.counters);
const slot = data.slot;

/** Lines per streaming burst (4 KiB: one page, so bursts do not cross TLB entries mid-way). */
const BURST_LINES = 64;

let sink = 0;

function runChaser(): void {
  const chain = buildChain(Math.max(2, Math.floor(data.bytes / (4 * WORDS_PER_LINE))), data.seed);
  parentPort!.postMessage({ ready: true });
  const ring = new Float64Array(data.ring);
  let p = 0;
  let hops = 0;
  let batches = 0;
  while (Atomics.load(control, CONTROL.stop) === 0) {
    if (Atomics.load(control, CONTROL.modeBase + slot) === 0) { idle(); continue; }
    const t0 = performance.now();
    for (let i = 0; i < CHASE_BATCH; i++) p = chain[p]!;
    ring[batches % CHASE_RING] = (performance.now() - t0) * 1e6;
    batches++;
    Atomics.store(control, CONTROL.chaseBatches, batches);
    hops += CHASE_BATCH;
    counters[slot] = hops;
  }
  sink = p;
}

function runStreamer(): void {
  const buf = new Int32Array(Math.floor(data.bytes / 4));
  buf.fill(1); // touch every page now, so the first phase does not measure page faults
  parentPort!.postMessage({ ready: true });
  const len = buf.length - (buf.length % WORDS_PER_LINE);
  let off = 0;
  let lines = 0;
  let acc = 0;
  let x = 1;
  while (Atomics.load(control, CONTROL.stop) === 0) {
    if (Atomics.load(control, CONTROL.modeBase + slot) === 0) { idle(); continue; }
    for (let i = 0; i < BURST_LINES; i++) {
      acc = (acc + buf[off]!) | 0;
      off += WORDS_PER_LINE;
      if (off >= len) off = 0;
    }
    lines += BURST_LINES;
    counters[slot] = lines;
    const delay = Atomics.load(control, data.delayBase + slot);
    for (let j = 0; j < delay; j++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  }
  sink = acc ^ x;
}

/** Sleep until the main thread starts a new phase (or 50 ms pass, to re-check stop). */
function idle(): void {
  Atomics.wait(control, CONTROL.generation, Atomics.load(control, CONTROL.generation), 50);
}

try {
  if (data.role === 'chase') runChaser(); else runStreamer();
  parentPort!.postMessage({ done: true, sink });
} catch (err) {
  parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) });
}
