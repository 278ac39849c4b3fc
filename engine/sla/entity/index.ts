/** The Entity Service: latest statistics of every gateway, host and LUN, in memory. */
export { EntityService, type GatewayEntity, type GatewayState, type AggregateEntity, type EntitySnapshot } from './entity-service.js';
