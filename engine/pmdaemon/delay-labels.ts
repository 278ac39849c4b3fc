/**
 * The delay model's parameters as a planner reads them (the first document's t1..t5), for the
 * Messaging view and the report alike. Pure data: the renderer imports it too.
 */
export const delayParameterLabels: Readonly<Record<string, string>> = {
  t1Us: 't1: build and send one poll (µs)',
  t2Us: 't2: network to the gateway (µs)',
  t3Us: 't3: gateway service (µs)',
  t4Us: 't4: network back (µs)',
  t5Us: 't5: receive and decode the reply (µs)',
  threadSwitchUs: 'thread switch (µs)',
  perGatewayUs: 'daemon CPU per gateway per cycle (µs)',
  shards: 'thread pairs (shards)',
  cores: 'cores',
};

export function delayParameterLabel(key: string): string {
  return Object.hasOwn(delayParameterLabels, key) ? delayParameterLabels[key]! : key;
}
