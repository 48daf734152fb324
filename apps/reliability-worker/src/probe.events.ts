import { defineEvent } from '@nestjs-events/core';
import { z } from 'zod';

/**
 * The one event of the reliability runs. `seq` numbers the events of a run; `pad` lets a
 * scenario make a message as large as it needs.
 */
export const ProbeEvent = defineEvent({
  type: 'reliability.probe',
  version: 1,
  schema: z.object({
    run: z.string(),
    seq: z.number().int().nonnegative(),
    pad: z.string().optional(),
  }),
});
