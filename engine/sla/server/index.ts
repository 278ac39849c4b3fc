export { SlaServer, type SlaServerOptions, type SlaServerEvent, type SlaServerStatus, type SlaCycleReport, type CycleCommit } from './server.js';
