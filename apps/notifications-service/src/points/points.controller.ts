import { Controller, Get, Param } from '@nestjs/common';
import { PointsLedger } from './points.ledger';

@Controller('points')
export class PointsController {
  constructor(private readonly ledger: PointsLedger) {}

  @Get(':userId')
  balance(@Param('userId') userId: string): { userId: string; points: number } {
    return { userId, points: this.ledger.balance(userId) };
  }
}
