import type { Static } from '@sinclair/typebox';
import os from 'node:os';
import { measureMessageCost, recommendShards, runMessagingStudy, type MessagingStudyResult } from '../pmdaemon/index.js';
import type { MessagingStudySchema } from '../workspace/index.js';
import type { MethodHandlers, StreamHandlers } from './service.js';
import { RpcError } from './wire.js';

/**
 * One measurement at a time: two studies side by side would share the two cores and measure
 * each other, not the daemon.
 */
let busy = false;

/**
 * Both sizing rules for a gateway count the user enters. A cost left empty is measured on this
 * machine (the daemon's encode and decode per gateway, in about a tenth of a second).
 */
export function messagingMethodHandlers(): Pick<MethodHandlers, 'messaging.sizing'> {
  return {
    'messaging.sizing': (params) => {
      const cost = params.ptmaxUs === undefined || params.perGatewayUs === undefined ? measureMessageCost() : null;
      const ptmaxUs = params.ptmaxUs ?? cost!.maxUs;
      const perGatewayUs = params.perGatewayUs ?? cost!.meanUs;
      const cpus = os.availableParallelism();
      const sizing = recommendShards({ gateways: params.gateways, perGatewayUs, ptmaxUs, timeQuantumMs: params.timeQuantumMs, intervalMs: params.intervalMs, deadlineMs: params.intervalMs / 2, cores: cpus });
      return { ...sizing, cpus, deadlineMs: params.intervalMs / 2, measured: { ptmaxUs: params.ptmaxUs === undefined, perGatewayUs: params.perGatewayUs === undefined } };
    },
  };
}

export function messagingStreamHandlers(): Pick<StreamHandlers, 'messaging.run'> {
  return {
    'messaging.run': async (params, ctx) => {
      if (busy) throw new RpcError({ code: 'conflict', message: 'a messaging measurement is already running; cancel it or wait for it to finish' });
      busy = true;
      try {
        const request = {
          gateways: [...new Set(params.gateways)].sort((a, b) => a - b),
          archs: [...new Set(params.archs)],
          ...(params.intervalMs !== undefined ? { intervalMs: params.intervalMs } : {}),
          ...(params.cycles !== undefined ? { cycles: params.cycles } : {}),
          ...(params.serviceUs !== undefined ? { serviceUs: params.serviceUs } : {}),
          ...(params.shards !== undefined ? { shards: params.shards } : {}),
          ...(params.maxAgents !== undefined ? { maxAgents: params.maxAgents } : {}),
          ...(params.batching !== undefined ? { batching: params.batching } : {}),
          ...(params.floor !== undefined ? { floor: params.floor } : {}),
        };
        const result = await runMessagingStudy(request, { signal: ctx.signal, onProgress: (p) => ctx.progress(p) });
        if (ctx.signal.aborted) throw new RpcError({ code: 'cancelled', message: 'measurement cancelled' });
        return result;
      } finally {
        busy = false;
      }
    },
  };
}

// A study the engine returns must be one the workspace can save: checked when compiling.
type SavedStudy = Static<typeof MessagingStudySchema>;
export const studiesAreSaveable: MessagingStudyResult extends SavedStudy ? true : never = true;
