export type { DataStage } from './stage.js';
export { AccessStage, checkRequest, decideAccess, type AccessDecision, type AccessIo, type Negotiated, type Refusals } from './access-stage.js';
export { StatisticsStage, type MeasuredIo } from './statistics-stage.js';
export { BudgetStage, GatewayBudget, type Admission, type BudgetedIo, type BudgetListener, type BudgetPump } from './budget-stage.js';
export { ThrottleStage, resumeThrottled, type ThrottledIo, type ThrottleObserver, type ThrottleResume } from './throttle-stage.js';
export { BackendStage, type BackendFaults } from './backend-stage.js';
