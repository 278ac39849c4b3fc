/**
 * The Performance Monitor Daemon: thread-pair shards (worker_threads) serving many gateways over
 * the control protocol, the thread-per-agent baseline, the poll scheduler, the delay model and
 * the sizing rules.
 */
export {
  startPmDaemon,
  type PmDaemon,
  type DaemonArch,
  type DaemonOptions,
  type DaemonEvent,
  type DaemonCounters,
  type DialTarget,
  type RegisteredGateway,
  type ThrottleAck,
  type ThrottleRequest,
} from './daemon.js';
export type { DaemonTls } from './mailbox.js';
export { GatewayRegistry } from './registry.js';
export { PollCycle, CYCLE_HISTORY, type PollCycleHooks } from './poll-cycle.js';
export { CommandRouter, type CommandRouterHooks } from './command-router.js';
export { TokenBucket } from './rate-limit.js';
export { PollScheduler, type CycleResult, type ReplyVerdict } from './poll-scheduler.js';
export { runMessagingBench, measureMessaging, type MessagingBenchOptions, type MessagingBenchRow, type MessagingProgress } from './messaging-bench.js';
export { runTcpFloor, type TcpFloorOptions, type TcpFloorResult } from './tcp-floor.js';
export { runBatchingBench, type BatchingBenchOptions, type BatchingResult, type BatchingRow, type WriteMode } from './batching-bench.js';
export { delayAt, delayCurves, deriveDelayParams, type DelayParams, type DelayPoint, type DerivedDelayParams, type MeasuredForModel } from './delay-model.js';
export { documentThreadPairs, measuredShards, measureMessageCost, recommendShards, type MessageCost, type MeasuredRuleInput, type ShardRecommendation } from './sizing.js';
export { sampleProcess, type ProcessSample } from './procfs.js';
export { percentile } from './stats.js';
export { runMessagingStudy, type MessagingStudyRequest, type MessagingStudyResult } from './study.js';
export { delayParameterLabel, delayParameterLabels } from './delay-labels.js';
