export { autoPilotVariants, type AutoPilotVariant, type Dispatcher, type DispatcherKind, type DispatchState } from './dispatcher.js';
export { ReadyQueues } from './ready-queues.js';
export { StandardDispatcher } from './standard.js';
export { DocumentAutoPilot, ProjectedAutoPilot, createAutoPilot } from './autopilot.js';
export { BusMonitor } from './monitor.js';
