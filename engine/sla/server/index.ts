export { SlaServer, type SlaServerOptions, type SlaServerEvent, type SlaServerStatus, type SlaCycleReport } from './server.js';
