import { defineEvent } from '@nestjs-events/core';
import { z } from 'zod';

export const UserRegistered = defineEvent({
  type: 'user.registered',
  schema: z.object({
    userId: z.string().min(1),
    email: z.email(),
    name: z.string().min(1),
  }),
});
