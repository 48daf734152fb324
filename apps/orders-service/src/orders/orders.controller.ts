import { Body, Controller, Get, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ZodBodyPipe } from '../http/zod-body.pipe';
import { metadataFromHeaders } from '../http/correlation';
import { PlaceOrderBody, type Order, type PlaceOrder } from './order';
import { OrdersService } from './orders.service';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
  place(
    @Body(new ZodBodyPipe(PlaceOrderBody)) body: PlaceOrder,
    @Headers() headers: Record<string, string>,
  ): Promise<Order> {
    return this.orders.place(body, metadataFromHeaders(headers));
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<Order> {
    return this.orders.get(id);
  }
}
