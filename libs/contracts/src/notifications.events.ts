import { defineEvent } from '@nestjs-events/core';
import { z } from 'zod';

export const EmailSent = defineEvent({
  type: 'email.sent',
  schema: z.object({
    to: z.string(),
    template: z.enum(['order-confirmation', 'welcome', 'payment-receipt']),
    subject: z.string(),
    /** The event the email is about. */
    aboutEventId: z.string(),
  }),
});
