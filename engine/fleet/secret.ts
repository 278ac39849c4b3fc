/** The simulated fleet's shared secret unless one is given; its own module so `headroom --help` can show it without loading the fleet. */
export const DEFAULT_FLEET_SECRET = 'headroom-fleet-secret';
