import { runBusProbe } from '../smp/index.js';
import type { StreamHandlers } from './service.js';
import { RpcError } from './wire.js';

/** One probe at a time: two would load the bus for each other and measure that, not the machine. */
let busy = false;

export function probeStreamHandlers(): Pick<StreamHandlers, 'smp.probe'> {
  return {
    'smp.probe': async (params, ctx) => {
      if (busy) throw new RpcError({ code: 'conflict', message: 'a bus probe is already running; cancel it or wait for it to finish' });
      busy = true;
      try {
        return await runBusProbe(
          { ...(params.threads !== undefined ? { threads: params.threads } : {}), ...(params.seconds !== undefined ? { seconds: params.seconds } : {}) },
          { signal: ctx.signal, onProgress: (p) => ctx.progress(p) },
        );
      } catch (err) {
        if (ctx.signal.aborted) throw new RpcError({ code: 'cancelled', message: 'bus probe cancelled' });
        if (err instanceof RangeError) throw new RpcError({ code: 'invalid-input', message: err.message });
        throw err;
      } finally {
        busy = false;
      }
    },
  };
}
