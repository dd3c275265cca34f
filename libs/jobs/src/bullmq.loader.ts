import { createRequire } from 'node:module';
import type * as BullMq from 'bullmq';

let loaded: typeof BullMq | undefined;

/**
 * `bullmq`, loaded when the first queue or flow is made: about 4 MiB of the gateway's heap (its
 * 240 modules, Lua scripts, cron-parser, luxon, msgpackr) that a gateway answering dashboards
 * never needs until someone uploads a load, asks for a rebuild or opens the queues screen.
 */
export function bullMq(): typeof BullMq {
  loaded ??= createRequire(__filename)('bullmq') as typeof BullMq;
  return loaded;
}
