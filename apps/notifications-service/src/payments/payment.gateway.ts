import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

export interface Authorization {
  readonly id: string;
  readonly orderId: string;
  readonly amount: number;
  readonly currency: string;
}

/** Stands in for a payment provider. */
@Injectable()
export class PaymentGateway {
  private readonly authorizations = new Map<string, Authorization>();

  /** Authorizes once per order: asking again returns the first authorization. */
  authorize(orderId: string, amount: number, currency: string): Promise<Authorization> {
    let authorization = this.authorizations.get(orderId);
    if (!authorization) {
      authorization = { id: `auth_${randomUUID()}`, orderId, amount, currency };
      this.authorizations.set(orderId, authorization);
    }
    return Promise.resolve(authorization);
  }
}
