export { planDemo, startDemo, DEMO_STORAGE_ARGS, type DemoMode, type DemoPlan, type DemoRun } from './demo-storage.js';
