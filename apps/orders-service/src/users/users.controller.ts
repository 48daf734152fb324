import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { EventBus, EventFactory } from '@nestjs-events/core';
import { UserRegistered } from '@sample/contracts';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { metadataFromHeaders } from '../http/correlation';
import { ZodBodyPipe } from '../http/zod-body.pipe';

const RegisterUserBody = z.object({ email: z.email(), name: z.string().min(1) });
type RegisterUser = z.infer<typeof RegisterUserBody>;

@Controller('users')
export class UsersController {
  constructor(
    private readonly events: EventFactory,
    private readonly bus: EventBus,
  ) {}

  @Post()
  @HttpCode(201)
  async register(
    @Body(new ZodBodyPipe(RegisterUserBody)) body: RegisterUser,
    @Headers() headers: Record<string, string>,
  ): Promise<{ id: string }> {
    const id = `usr_${randomUUID()}`;
    await this.bus.publish(
      this.events.create(
        UserRegistered,
        { userId: id, ...body },
        { aggregateId: id, metadata: metadataFromHeaders(headers) },
      ),
    );
    return { id };
  }
}
