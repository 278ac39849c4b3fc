/**
 * The source document's delay model. One synchronous send/receive to one gateway costs
 * t1 (send: kernel formats the packet) + t2 (remote wake-up) + t3 (remote service)
 * + t4 (remote scheduling and reply) + t5 (local wake-up).
 *  - one thread, synchronous, all gateways in turn:  n (t1+t2+t3+t4+t5)
 *  - one thread per gateway (thread-per-agent):      t1..t5 + thread switching + the CPU work,
 *    spread over the cores: each gateway's thread switches in to send and again to receive
 *  - one non-blocking thread pair per shard:         t1 for the first send only, the per-gateway
 *    processing spread over the shards, and one overlapped round trip t2+t3+t4+t5
 * All times in microseconds; results in milliseconds.
 */
export interface DelayParams {
  t1Us: number;
  t2Us: number;
  t3Us: number;
  t4Us: number;
  t5Us: number;
  /** Cost of one thread switch (save/restore, cache and TLB refill). */
  threadSwitchUs: number;
  /** The daemon's CPU work per gateway per poll (encode, write, read, decode). */
  perGatewayUs: number;
  /** Thread pairs (shards) of the pair daemon. */
  shards: number;
  cores: number;
}

export interface DelayPoint {
  gateways: number;
  singleThreadSyncMs: number;
  threadPerAgentMs: number;
  threadPairMs: number;
}

export function delayAt(p: DelayParams, gateways: number): DelayPoint {
  const roundTrip = p.t1Us + p.t2Us + p.t3Us + p.t4Us + p.t5Us;
  const cores = Math.max(1, p.cores);
  const shards = Math.max(1, Math.min(p.shards, cores));
  const singleThreadSync = gateways * roundTrip;
  const threadPerAgent = roundTrip + (gateways * (2 * p.threadSwitchUs + p.perGatewayUs)) / cores;
  const threadPair = gateways === 0 ? 0 : p.t1Us + (gateways * p.perGatewayUs) / shards + (p.t2Us + p.t3Us + p.t4Us + p.t5Us);
  return {
    gateways,
    singleThreadSyncMs: singleThreadSync / 1000,
    threadPerAgentMs: threadPerAgent / 1000,
    threadPairMs: threadPair / 1000,
  };
}

export function delayCurves(p: DelayParams, gateways: readonly number[]): DelayPoint[] {
  return gateways.map((n) => delayAt(p, n));
}

/** What a bench run measured that the model can use (see MessagingBenchRow). */
export interface MeasuredForModel {
  arch: 'pair' | 'per-agent';
  gateways: number;
  threads: number;
  cycleP50Ms: number;
  cpuMs: number;
  cycles: number;
  contextSwitches: number;
  cpuUsPerGatewayCycle: number;
  error: string | null;
}

export interface DerivedDelayParams {
  params: DelayParams;
  /** How each parameter was obtained, for the view and the report. */
  sources: Record<keyof DelayParams, string>;
}

/**
 * Model parameters from measured runs: the round trip from the smallest lock-step run,
 * per-gateway cost from the largest pair run's CPU time, switching cost from the per-agent
 * runs' extra CPU per context switch. t1 comes from the batching bench when given; the rest of
 * the round trip is split evenly over t2, t4, t5, and t3 is the fleet's service time.
 */
export function deriveDelayParams(rows: readonly MeasuredForModel[], opts: { serviceUs: number; cores: number; t1Us?: number }): DerivedDelayParams {
  const ok = rows.filter((r) => r.error === null && r.cycles > 0);
  const agents = ok.filter((r) => r.arch === 'per-agent').sort((a, b) => a.gateways - b.gateways);
  const pairs = ok.filter((r) => r.arch === 'pair').sort((a, b) => a.gateways - b.gateways);
  const smallest = agents[0] ?? pairs[0];
  const roundTripUs = smallest ? (smallest.cycleP50Ms * 1000) : 200;
  const largestPair = pairs[pairs.length - 1];
  const perGatewayUs = largestPair ? largestPair.cpuUsPerGatewayCycle : 20;
  const largestAgent = agents[agents.length - 1];
  let threadSwitchUs = 5;
  let switchSource = 'default 5 us (no per-agent run)';
  if (largestAgent && largestAgent.contextSwitches > 0) {
    const extraUs = largestAgent.cpuMs * 1000 - perGatewayUs * largestAgent.gateways * largestAgent.cycles;
    threadSwitchUs = Math.max(0.1, extraUs / largestAgent.contextSwitches);
    switchSource = `per-agent run at ${largestAgent.gateways}: CPU beyond the pair's per-gateway cost, per context switch`;
  }
  const t3Us = opts.serviceUs;
  const t1Us = opts.t1Us ?? Math.min(roundTripUs * 0.1, 20);
  const rest = Math.max(0, roundTripUs - t1Us - t3Us) / 3;
  const shards = largestPair?.threads ?? opts.cores;
  return {
    params: { t1Us, t2Us: rest, t3Us, t4Us: rest, t5Us: rest, threadSwitchUs, perGatewayUs, shards, cores: opts.cores },
    sources: {
      t1Us: opts.t1Us !== undefined ? 'batching bench: time per message written alone' : 'estimate: 10% of the round trip, at most 20 us',
      t2Us: `a third of the measured round trip (${Math.round(roundTripUs)} us) less t1 and t3`,
      t3Us: 'fleet service time (--service-us)',
      t4Us: 'as t2',
      t5Us: 'as t2',
      threadSwitchUs: switchSource,
      perGatewayUs: largestPair ? `pair run at ${largestPair.gateways}: daemon CPU per gateway per cycle` : 'default 20 us (no pair run)',
      shards: largestPair ? 'threads of the largest pair run' : 'one per core',
      cores: 'os.availableParallelism()',
    },
  };
}
