/** Many simulated gateways in one process, for integration tests and scale runs. */
export { startFleet, gatewayIdOf, DEFAULT_FLEET_SECRET, type Fleet, type FleetOptions, type FleetTotals } from './fleet.js';
export { SimulatedGateway, type GatewayBehaviour, type GatewayCounters } from './simulated-gateway.js';
export { simulatedStats } from './stats-model.js';
