import { DocumentBusLaw, type BusMachine } from './document-law.js';
import type { BusLaw, BusLawId } from './law.js';
import { QueueingBusLaw } from './queueing-law.js';
import type { QueueingBusParameters } from './queueing-parameters.js';

/** The law a resolved scenario names, with the queueing parameters it resolved to (null for the document law). */
export interface BusSettings {
  law: BusLawId;
  queueing: QueueingBusParameters | null;
}

export function createBusLaw(machine: BusMachine, bus: BusSettings): BusLaw {
  if (bus.law === 'document') return new DocumentBusLaw(machine);
  if (!bus.queueing) throw new RangeError(`the ${bus.law} bus law needs queueing parameters`);
  return new QueueingBusLaw(machine, bus.queueing, bus.law);
}
