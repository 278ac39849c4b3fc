import { createRng } from './prng.js';
import { SpeedModel, type AutoPilotSettings, type Machine, type SimThread } from './model.js';

export type DispatcherKind = 'standard' | 'autopilot';

export interface ThreadResult {
  name: string;
  finished: boolean;
  /** Time from arrival to completion over the time it needs alone on this machine. */
  slowdown: number | null;
  /** Most times another thread was dispatched ahead of it while it waited (AutoPilot's starvation measure). */
  maxPassOvers: number;
  /** Longest stretch it waited ready but not running. */
  maxReadyWait: number;
}

export interface BusSeries {
  /** Bucket start times; at most `maxPoints` buckets. */
  t: number[];
  /** Time-weighted mean bus commitment (share of the bus, I/O included) in each bucket. */
  mean: number[];
  /** Highest commitment reached in each bucket. */
  max: number[];
}

export interface RunMetrics {
  dispatcher: DispatcherKind;
  /** Time simulated: when the last thread finished, or the horizon. */
  elapsed: number;
  /** Time the last thread finished; null if some did not finish by the horizon. */
  makespan: number | null;
  /** Work completed, in time units alone on the reference bus. */
  workCompleted: number;
  /** workCompleted / elapsed: the machine's useful throughput (CPUs' worth of reference work). */
  throughput: number;
  threadsFinished: number;
  slowdownMean: number | null;
  slowdownWorst: number | null;
  busMean: number;
  busMax: number;
  /** Share of time the bus commitment was above the AutoPilot threshold. */
  overThresholdFraction: number;
  /** Share of time the bus was over-committed (above 100%). */
  overCommittedFraction: number;
  cpuIdleFraction: number;
  decisions: number;
  events: number;
  maxPassOvers: number;
  maxReadyWait: number;
  threads: ThreadResult[];
  series: BusSeries | null;
}

export interface RunOptions {
  /** Record bus commitment over time (downsampled to `maxPoints`); off for benchmarks. */
  recordSeries?: boolean;
  maxPoints?: number;
  /** Stop after this many dispatch decisions (a safety bound for sweeps and benchmarks). */
  maxDecisions?: number;
}

const EPS = 1e-12;

/**
 * One discrete-event run. Events are slice ends, phase ends, completions and arrivals; between
 * events every running thread progresses at the speed the contention law gives for the current
 * co-schedule. Deterministic: the only randomness is the bus monitor's noise, seeded from the machine.
 */
export function runSimulation(
  machine: Machine,
  threadList: readonly SimThread[],
  kind: DispatcherKind,
  ap: AutoPilotSettings,
  options: RunOptions = {},
): RunMetrics {
  const n = threadList.length;
  const P = machine.cpus;
  const model = new SpeedModel(machine);
  const invB = 1 / machine.busBandwidth;
  const ioShare = model.commitment(0);
  const slice = machine.timeSlice;
  const horizon = machine.horizon ?? Infinity;
  const rng = createRng(machine.seed ^ 0x5bd1e995);
  const noise = machine.monitorNoise;
  const maxDecisions = options.maxDecisions ?? Infinity;

  // Priority levels, highest first.
  const priorities = [...new Set(threadList.map((t) => t.priority))].sort((a, b) => b - a);
  const levelOf = new Map(priorities.map((p, i) => [p, i]));
  const L = priorities.length;
  const queues: Int32Array[] = priorities.map(() => new Int32Array(Math.max(1, n)));
  const qlen = new Int32Array(L);

  const level = new Int32Array(n);
  const ioBound = new Uint8Array(n);
  const phaseIdx = new Int32Array(n);
  const remaining = new Float64Array(n);
  const demand = new Float64Array(n);
  const estimate = new Float64Array(n);
  const readySince = new Float64Array(n);
  const passOvers = new Int32Array(n);
  const maxPass = new Int32Array(n);
  const maxWait = new Float64Array(n);
  const finishAt = new Float64Array(n).fill(NaN);
  const aloneTime = new Float64Array(n);
  const reservedFlag = new Uint8Array(n);
  const reserved: number[] = [];

  const order = threadList.map((_, i) => i).sort((a, b) => threadList[a]!.arrival - threadList[b]!.arrival || a - b);
  for (let i = 0; i < n; i++) {
    const t = threadList[i]!;
    level[i] = levelOf.get(t.priority)!;
    ioBound[i] = t.ioBound ? 1 : 0;
    remaining[i] = t.phases[0]!.work;
    demand[i] = t.phases[0]!.busDemand;
    // The bus monitor knows a thread's first-phase demand when it is created (as in Figure 7).
    estimate[i] = t.phases[0]!.busDemand;
    let alone = 0;
    for (const p of t.phases) alone += p.work / model.speed(p.busDemand, 0, 0);
    aloneTime[i] = alone;
  }

  const running = new Int32Array(P).fill(-1);
  const sliceEnd = new Float64Array(P);
  const speed = new Float64Array(P);
  const doneAt = new Float64Array(P);
  const estAtDispatch = new Float64Array(P);
  let nRunning = 0;
  let nextArrival = 0;
  let finishedCount = 0;
  let t = 0;
  let decisions = 0;
  let events = 0;
  let workDone = 0;
  let busIntegral = 0;
  let busMax = 0;
  let overThr = 0;
  let over100 = 0;
  let idleCpuTime = 0;
  let load = ioShare;
  let rate = 0;
  let dirty = true;

  const record = options.recordSeries ?? false;
  let segT: Float64Array = new Float64Array(record ? 1024 : 0);
  let segLoad: Float64Array = new Float64Array(record ? 1024 : 0);
  let segCount = 0;

  const enqueue = (th: number): void => {
    const l = level[th]!;
    queues[l]![qlen[l]!++] = th;
    readySince[th] = t;
  };
  const removeAt = (l: number, k: number): number => {
    const q = queues[l]!;
    const th = q[k]!;
    q.copyWithin(k, k + 1, qlen[l]!);
    qlen[l]!--;
    return th;
  };
  const admit = (): void => {
    while (nextArrival < n && threadList[order[nextArrival]!]!.arrival <= t + EPS) enqueue(order[nextArrival++]!);
  };
  const start = (c: number, th: number): void => {
    running[c] = th;
    sliceEnd[c] = t + slice;
    estAtDispatch[c] = estimate[th]!;
    nRunning++;
    const waited = t - readySince[th]!;
    if (waited > maxWait[th]!) maxWait[th] = waited;
    passOvers[th] = 0;
    dirty = true;
  };
  const passOver = (l: number, upTo: number): void => {
    const q = queues[l]!;
    for (let k = 0; k < upTo; k++) {
      const th = q[k]!;
      const p = ++passOvers[th]!;
      if (p > maxPass[th]!) maxPass[th] = p;
    }
  };
  const firstLevel = (): number => {
    for (let l = 0; l < L; l++) if (qlen[l]! > 0) return l;
    return -1;
  };

  /** Standard dispatcher (Figure 8): highest priority first, FIFO within a priority. */
  const dispatchStandard = (c: number): boolean => {
    const l = firstLevel();
    if (l < 0) return false;
    start(c, removeAt(l, 0));
    return true;
  };

  const takeReserved = (c: number, committed: number): boolean => {
    // A thread passed over `starvationBound` times goes next; nothing else is dispatched ahead of it,
    // so running threads drain at their slice ends until it fits under the bus capacity.
    const th = reserved[0]!;
    if (nRunning > 0 && committed + estimate[th]! * invB > 1 + EPS) return false;
    const l = level[th]!;
    const q = queues[l]!;
    let k = 0;
    while (q[k] !== th) k++;
    removeAt(l, k);
    reserved.shift();
    reservedFlag[th] = 0;
    start(c, th);
    return true;
  };
  const reserve = (th: number): void => {
    if (reservedFlag[th] === 0) { reservedFlag[th] = 1; reserved.push(th); }
  };

  /** AutoPilot (Figures 9A/9B) with the document's tunables and a starvation bound. */
  const dispatchAutoPilot = (c: number): boolean => {
    let committed = ioShare;
    for (let k = 0; k < P; k++) if (running[k]! >= 0) committed += estAtDispatch[k]! * invB;
    if (reserved.length > 0) return takeReserved(c, committed);
    const top = firstLevel();
    if (top < 0) return false;
    const lastLevel = ap.searchAllPriorities ? L - 1 : top;
    const bound = ap.starvationBound;
    for (let l = top; l <= lastLevel; l++) {
      const q = queues[l]!;
      const len = qlen[l]!;
      for (let k = 0; k < len; k++) {
        const th = q[k]!;
        const limit = ioBound[th] ? ap.threshold : ap.threshold - ap.ioReserve;
        if (committed + estimate[th]! * invB <= limit + EPS) {
          for (let above = top; above < l; above++) passOver(above, qlen[above]!);
          passOver(l, k);
          start(c, removeAt(l, k));
          return true;
        }
        // Passing this thread over once more would break the bound: it goes next instead.
        if (passOvers[th]! >= bound) { reserve(th); return takeReserved(c, committed); }
      }
    }
    if (ap.idleWhenNoFit && nRunning > 0) return false;
    // Nothing fits: run the candidate that adds least to the bus (ties: first in line), unless a
    // thread ahead of it has reached the starvation bound.
    const q = queues[top]!;
    let best = 0;
    for (let k = 1; k < qlen[top]!; k++) if (estimate[q[k]!]! < estimate[q[best]!]!) best = k;
    for (let k = 0; k < best; k++) if (passOvers[q[k]!]! >= bound) { best = k; break; }
    passOver(top, best);
    start(c, removeAt(top, best));
    return true;
  };

  const dispatchIdle = (): void => {
    for (let c = 0; c < P; c++) {
      if (running[c]! >= 0) continue;
      decisions++;
      const started = kind === 'standard' ? dispatchStandard(c) : dispatchAutoPilot(c);
      if (!started) break; // every other idle CPU would decide the same
    }
  };

  admit();
  dispatchIdle();
  while (decisions < maxDecisions) {
    if (dirty) {
      let total = 0;
      for (let c = 0; c < P; c++) if (running[c]! >= 0) total += demand[running[c]!]!;
      load = model.commitment(total);
      rate = 0;
      for (let c = 0; c < P; c++) {
        const th = running[c]!;
        if (th < 0) continue;
        const d = demand[th]!;
        const s = model.speed(d, total - d, nRunning - 1);
        speed[c] = s;
        rate += s;
      }
      dirty = false;
    }
    let tn = Infinity;
    for (let c = 0; c < P; c++) {
      const th = running[c]!;
      if (th < 0) continue;
      const done = t + remaining[th]! / speed[c]!;
      doneAt[c] = done;
      if (done < tn) tn = done;
      if (sliceEnd[c]! < tn) tn = sliceEnd[c]!;
    }
    if (nextArrival < n) {
      const a = threadList[order[nextArrival]!]!.arrival;
      if (a < tn) tn = a;
    }
    if (tn === Infinity) break;
    const stopping = tn >= horizon;
    if (stopping) tn = horizon;
    const dt = tn - t;
    if (dt > 0) {
      events++;
      busIntegral += load * dt;
      if (load > busMax) busMax = load;
      if (load > ap.threshold + 1e-9) overThr += dt;
      if (load > 1 + 1e-9) over100 += dt;
      idleCpuTime += (P - nRunning) * dt;
      workDone += rate * dt;
      if (record) {
        if (segCount === segT.length) {
          const grow = (a: Float64Array): Float64Array => { const b = new Float64Array(a.length * 2); b.set(a); return b; };
          segT = grow(segT);
          segLoad = grow(segLoad);
        }
        segT[segCount] = t;
        segLoad[segCount++] = load;
      }
    }
    // Outside the dt > 0 branch: late in a long run t + remaining/speed can round to t itself, and
    // the thread must still complete rather than leave the loop spinning at dt = 0.
    for (let c = 0; c < P; c++) {
      const th = running[c]!;
      if (th < 0) continue;
      remaining[th] = doneAt[c]! <= tn ? 0 : Math.max(0, remaining[th]! - speed[c]! * dt);
    }
    t = tn;
    if (stopping) break;
    for (let c = 0; c < P; c++) {
      const th = running[c]!;
      if (th < 0) continue;
      if (remaining[th]! <= 0) {
        const phases = threadList[th]!.phases;
        const next = phaseIdx[th]! + 1;
        if (next < phases.length) {
          phaseIdx[th] = next;
          remaining[th] = phases[next]!.work;
          demand[th] = phases[next]!.busDemand;
          dirty = true;
        } else {
          finishAt[th] = t;
          finishedCount++;
          running[c] = -1;
          nRunning--;
          dirty = true;
          continue;
        }
      }
      if (sliceEnd[c]! <= t) {
        // The bus monitor's measurement of the slice moves the estimate by the adjustment rate.
        const measured = noise > 0 ? Math.max(0, demand[th]! * (1 + noise * rng.gaussian())) : demand[th]!;
        estimate[th] = estimate[th]! + ap.adjustRate * (measured - estimate[th]!);
        running[c] = -1;
        nRunning--;
        dirty = true;
        enqueue(th);
      }
    }
    admit();
    dispatchIdle();
  }

  const elapsed = t;
  const threads: ThreadResult[] = threadList.map((th, i) => {
    const finished = !Number.isNaN(finishAt[i]!);
    return {
      name: th.name,
      finished,
      slowdown: finished ? (finishAt[i]! - th.arrival) / aloneTime[i]! : null,
      maxPassOvers: maxPass[i]!,
      maxReadyWait: maxWait[i]!,
    };
  });
  const slowdowns = threads.flatMap((r) => (r.slowdown === null ? [] : [r.slowdown]));
  return {
    dispatcher: kind,
    elapsed,
    makespan: finishedCount === n ? elapsed : null,
    workCompleted: workDone,
    throughput: elapsed > 0 ? workDone / elapsed : 0,
    threadsFinished: finishedCount,
    slowdownMean: slowdowns.length ? slowdowns.reduce((a, b) => a + b, 0) / slowdowns.length : null,
    slowdownWorst: slowdowns.length ? Math.max(...slowdowns) : null,
    busMean: elapsed > 0 ? busIntegral / elapsed : load,
    busMax,
    overThresholdFraction: elapsed > 0 ? overThr / elapsed : 0,
    overCommittedFraction: elapsed > 0 ? over100 / elapsed : 0,
    cpuIdleFraction: elapsed > 0 ? idleCpuTime / (elapsed * P) : 0,
    decisions,
    events,
    maxPassOvers: threads.reduce((m, r) => Math.max(m, r.maxPassOvers), 0),
    maxReadyWait: threads.reduce((m, r) => Math.max(m, r.maxReadyWait), 0),
    threads,
    series: record ? downsample(segT.subarray(0, segCount), segLoad.subarray(0, segCount), elapsed, options.maxPoints ?? 500) : null,
  };
}

/** Time-weighted mean and max of a piecewise-constant series in at most `maxPoints` equal buckets. */
export function downsample(segStart: Float64Array, segValue: Float64Array, end: number, maxPoints: number): BusSeries {
  const count = segStart.length;
  if (count === 0 || end <= 0) return { t: [], mean: [], max: [] };
  const buckets = Math.max(1, Math.min(maxPoints, count));
  const width = end / buckets;
  const sum = new Float64Array(buckets);
  const max = new Float64Array(buckets);
  for (let i = 0; i < count; i++) {
    const a = segStart[i]!;
    const b = i + 1 < count ? segStart[i + 1]! : end;
    const v = segValue[i]!;
    let from = a;
    while (from < b) {
      let k = Math.min(buckets - 1, Math.floor(from / width));
      // floor can land one bucket low when `from` sits on a boundary; step past it, never lose time
      while (k < buckets - 1 && (k + 1) * width <= from) k++;
      const to = k === buckets - 1 ? b : Math.min(b, (k + 1) * width);
      sum[k]! += v * (to - from);
      if (v > max[k]!) max[k] = v;
      from = to;
    }
  }
  return {
    t: Array.from({ length: buckets }, (_, k) => k * width),
    mean: Array.from(sum, (s) => s / width),
    max: Array.from(max),
  };
}
