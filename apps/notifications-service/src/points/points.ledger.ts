import { Injectable } from '@nestjs/common';

/** Loyalty points per user. */
@Injectable()
export class PointsLedger {
  private readonly balances = new Map<string, number>();

  credit(userId: string, points: number): number {
    const balance = (this.balances.get(userId) ?? 0) + points;
    this.balances.set(userId, balance);
    return balance;
  }

  balance(userId: string): number {
    return this.balances.get(userId) ?? 0;
  }
}
