import { createRng } from './prng.js';
import { busLawFor, type AutoPilotSettings, type Machine, type SimThread } from './model.js';
import type { BusLawId } from './bus/index.js';
import { BusMonitor, createAutoPilot, ReadyQueues, StandardDispatcher, type AutoPilotVariant, type Dispatcher, type DispatcherKind, type DispatchState } from './dispatch/index.js';

export type { DispatcherKind } from './dispatch/index.js';

export interface ThreadResult {
  name: string;
  finished: boolean;
  /** Time from arrival to completion over the time it needs alone on this machine. */
  slowdown: number | null;
  /** Time it spent on a CPU over the time it needs alone: the bus's share of the slowdown, CPU waiting excluded. */
  runningSlowdown: number | null;
  /** Most times another thread was dispatched ahead of it while it waited (AutoPilot's starvation measure). */
  maxPassOvers: number;
  /** Longest stretch it waited ready but not running. */
  maxReadyWait: number;
  /** The bus monitor's estimate of its demand when the run ended. */
  estimate: number;
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
  /** Which AutoPilot (null for the standard dispatcher). */
  variant: AutoPilotVariant | null;
  /** The bus law that produced these figures. */
  bus: BusLawId;
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
  /** Mean over finished threads of time on a CPU over time alone: how much the bus alone slowed them. */
  runningSlowdownMean: number | null;
  /** Bus utilisation under the law (the document law's is its commitment, which can pass 100%). */
  busMean: number;
  busMax: number;
  /** Offered bus demand: Σ demand / bandwidth + I/O of the running threads, time-weighted (equals busMean under the document law). */
  offeredMean: number;
  /** Share of time the bus utilisation was above the AutoPilot threshold. */
  overThresholdFraction: number;
  /** Share of time the offered demand was over the bus's capacity (above 100%). */
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
  /** Push every dispatch decision here (tests and explanations; off by default). */
  trace?: DecisionTrace[];
}

export interface DecisionTrace {
  t: number;
  cpu: number;
  /** Thread dispatched, or −1 when the CPU was left idle. */
  thread: number;
  /** The thread the standard dispatcher would have taken (head of the best priority), or −1. */
  standardChoice: number;
  /** The bus monitor's reading at the decision. */
  monitorReading: number;
}

const EPS = 1e-12;

/**
 * One discrete-event run. Events are slice ends, phase ends, completions and arrivals; between
 * events every running thread progresses at the speed the bus law gives for the current
 * co-schedule. The dispatcher (standard, or an AutoPilot variant) picks threads for idle CPUs.
 * Deterministic: the only randomness is the bus monitor's noise, seeded from the machine.
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
  const law = busLawFor(machine);
  const invB = 1 / machine.busBandwidth;
  const ioShare = Math.min(1, machine.ioLoad * invB);
  const slice = machine.timeSlice;
  const horizon = machine.horizon ?? Infinity;
  const rng = createRng(machine.seed ^ 0x5bd1e995);
  const noise = machine.monitorNoise;
  const maxDecisions = options.maxDecisions ?? Infinity;
  const trace = options.trace;

  // Priority levels, highest first.
  const priorities = [...new Set(threadList.map((t) => t.priority))].sort((a, b) => b - a);
  const levelIndex = new Map(priorities.map((p, i) => [p, i]));
  const level = new Int32Array(n);
  for (let i = 0; i < n; i++) level[i] = levelIndex.get(threadList[i]!.priority)!;
  const ready = new ReadyQueues(level, priorities.length, n);

  const ioBound = new Uint8Array(n);
  const phaseIdx = new Int32Array(n);
  const remaining = new Float64Array(n);
  const demand = new Float64Array(n);
  const estimate = new Float64Array(n);
  const readySince = new Float64Array(n);
  const maxWait = new Float64Array(n);
  const finishAt = new Float64Array(n).fill(NaN);
  const aloneTime = new Float64Array(n);
  const runTime = new Float64Array(n);

  const dispatcher: Dispatcher = kind === 'standard' ? new StandardDispatcher() : createAutoPilot(ap, n);
  // Headroom's projected variant knows a thread's first-phase demand when it is created; the
  // document's AutoPilot has no figure until the monitor has measured the thread.
  const firstEstimate = ap.initialEstimate ?? machine.referenceBusDemand;
  const order = threadList.map((_, i) => i).sort((a, b) => threadList[a]!.arrival - threadList[b]!.arrival || a - b);
  for (let i = 0; i < n; i++) {
    const t = threadList[i]!;
    ioBound[i] = t.ioBound ? 1 : 0;
    remaining[i] = t.phases[0]!.work;
    demand[i] = t.phases[0]!.busDemand;
    estimate[i] = dispatcher.variant === 'projected' ? t.phases[0]!.busDemand : firstEstimate;
    let alone = 0;
    for (const p of t.phases) alone += p.work / law.aloneSpeed(p.busDemand);
    aloneTime[i] = alone;
  }

  const running = new Int32Array(P).fill(-1);
  const sliceEnd = new Float64Array(P);
  const speed = new Float64Array(P);
  const doneAt = new Float64Array(P);
  const estAtDispatch = new Float64Array(P);
  const coDemand = new Float64Array(P);
  const coSpeed = new Float64Array(P);
  const coCpu = new Int32Array(P);
  let nRunning = 0;
  let nextArrival = 0;
  let finishedCount = 0;
  let t = 0;
  let decisions = 0;
  let events = 0;
  let workDone = 0;
  let busIntegral = 0;
  let offeredIntegral = 0;
  let busMax = 0;
  let overThr = 0;
  let over100 = 0;
  let idleCpuTime = 0;
  let load = ioShare;
  let offered = ioShare;
  let rate = 0;
  let dirty = true;
  const overThreshold = ap.threshold + 1e-9;
  const monitor = new BusMonitor(ap.monitorPeriod, noise, machine.seed, ioShare);

  // Only the document's AutoPilot (and a trace) reads the monitor; the others skip its bookkeeping.
  const watchBus = dispatcher.variant === 'document' || trace !== undefined;
  const state = new RunState(ready, estimate, ioBound, invB, ioShare, running, estAtDispatch, monitor);

  const record = options.recordSeries ?? false;
  let segT: Float64Array = new Float64Array(record ? 1024 : 0);
  let segLoad: Float64Array = new Float64Array(record ? 1024 : 0);
  let segCount = 0;

  const enqueue = (th: number): void => {
    ready.push(th);
    readySince[th] = t;
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
    ready.passOvers[th] = 0;
    dirty = true;
  };

  const dispatchIdle = (): void => {
    for (let c = 0; c < P; c++) {
      if (running[c]! >= 0) continue;
      decisions++;
      let standardChoice = -1;
      if (trace) { const l = ready.firstLevel(); standardChoice = l < 0 ? -1 : ready.at(l, 0); }
      state.nRunning = nRunning;
      const th = dispatcher.choose(state);
      if (trace) trace.push({ t, cpu: c, thread: th, standardChoice, monitorReading: monitor.reading() });
      if (th < 0) break; // every other idle CPU would decide the same
      start(c, th);
    }
  };

  admit();
  dispatchIdle();
  while (decisions < maxDecisions) {
    if (dirty) {
      let m = 0;
      let total = 0;
      for (let c = 0; c < P; c++) {
        const th = running[c]!;
        if (th < 0) continue;
        coDemand[m] = demand[th]!;
        total += demand[th]!;
        coCpu[m++] = c;
      }
      load = law.evaluate(coDemand, m, coSpeed);
      offered = total * invB + ioShare;
      rate = 0;
      for (let k = 0; k < m; k++) {
        speed[coCpu[k]!] = coSpeed[k]!;
        rate += coSpeed[k]!;
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
      offeredIntegral += offered * dt;
      if (load > busMax) busMax = load;
      if (load > overThreshold) overThr += dt;
      if (offered > 1 + 1e-9) over100 += dt;
      idleCpuTime += (P - nRunning) * dt;
      workDone += rate * dt;
      if (watchBus) monitor.advance(t, tn, load);
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
      runTime[th]! += dt;
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
        // The monitor counts the thread's bus transactions over the slice against the work it did
        // (retired instructions): that is its demand when alone, whatever the contention was. The
        // estimate moves towards it by the adjustment rate.
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
      runningSlowdown: finished ? runTime[i]! / aloneTime[i]! : null,
      maxPassOvers: ready.maxPassOvers[i]!,
      maxReadyWait: maxWait[i]!,
      estimate: estimate[i]!,
    };
  });
  const slowdowns = threads.flatMap((r) => (r.slowdown === null ? [] : [r.slowdown]));
  return {
    dispatcher: kind,
    variant: dispatcher.variant,
    bus: law.id,
    elapsed,
    makespan: finishedCount === n ? elapsed : null,
    workCompleted: workDone,
    throughput: elapsed > 0 ? workDone / elapsed : 0,
    threadsFinished: finishedCount,
    slowdownMean: slowdowns.length ? slowdowns.reduce((a, b) => a + b, 0) / slowdowns.length : null,
    slowdownWorst: slowdowns.length ? Math.max(...slowdowns) : null,
    runningSlowdownMean: slowdowns.length ? threads.reduce((a, r) => a + (r.runningSlowdown ?? 0), 0) / slowdowns.length : null,
    busMean: elapsed > 0 ? busIntegral / elapsed : load,
    busMax,
    offeredMean: elapsed > 0 ? offeredIntegral / elapsed : offered,
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

/** What the dispatcher reads, as one object of fixed shape (the dispatch loop's hot path). */
class RunState implements DispatchState {
  nRunning = 0;
  constructor(
    readonly ready: ReadyQueues, readonly estimate: Float64Array, readonly ioBound: Uint8Array, readonly invBandwidth: number,
    private readonly ioShare: number, private readonly running: Int32Array, private readonly estAtDispatch: Float64Array, private readonly monitor: BusMonitor,
  ) {}

  committedEstimate(): number {
    let committed = this.ioShare;
    const running = this.running;
    for (let k = 0; k < running.length; k++) if (running[k]! >= 0) committed += this.estAtDispatch[k]! * this.invBandwidth;
    return committed;
  }

  monitorReading(): number {
    return this.monitor.reading();
  }
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
