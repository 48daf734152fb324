import { OrderCreated, OrderCreatedV1 } from './orders.events';

describe('order.created', () => {
  it('lifts a v1 event to v2 with the legacy defaults', async () => {
    const v1 = OrderCreatedV1.create({ orderId: 'o-1', userId: 'u-1', amount: 5000 });
    const v2 = OrderCreated.upcast(v1);
    expect(v2.version).toBe(2);
    expect(await OrderCreated.validate(v2.data)).toEqual({
      orderId: 'o-1',
      userId: 'u-1',
      amount: 5000,
      currency: 'KRW',
      channel: 'web',
    });
  });

  it('rejects an unknown channel', () => {
    expect(() =>
      OrderCreated.validate({
        orderId: 'o',
        userId: 'u',
        amount: 1,
        currency: 'KRW',
        channel: 'fax',
      }),
    ).toThrow(/channel/);
  });
});
