import type { EventPattern } from '@nestjs-events/core';
import { sharedTopicBodyPolicy, typeFilterPolicy } from './sns-sqs.provisioner';

const BIG: EventPattern = { data: { amount: [{ numeric: ['>=', 100_000] }] } };

describe('typeFilterPolicy', () => {
  it('filters the event-type attribute on exact types, prefixes and suffixes', () => {
    expect(typeFilterPolicy(['order.created', 'invoice.*', 'billing.**', '*.paid'])).toEqual({
      'event-type': [
        'order.created',
        { prefix: 'invoice.' },
        'billing',
        { prefix: 'billing.' },
        { suffix: '.paid' },
      ],
    });
  });

  it('has no policy when a selector takes every type', () => {
    expect(typeFilterPolicy(['a', '**'])).toBeUndefined();
  });
});

describe('sharedTopicBodyPolicy', () => {
  it("filters the body's type AND the handler's pattern", () => {
    expect(sharedTopicBodyPolicy([{ eventTypes: ['order.created'], pattern: BIG }])).toEqual({
      type: ['order.created'],
      data: { amount: [{ numeric: ['>=', 100_000] }] },
    });
  });

  it('ORs the handlers, the ones without a pattern sharing one alternative', () => {
    expect(
      sharedTopicBodyPolicy([
        { eventTypes: ['order.created'] },
        { eventTypes: ['invoice.*'], pattern: BIG },
        { eventTypes: ['order.cancelled'] },
      ]),
    ).toEqual({
      $or: [
        { type: ['order.created', 'order.cancelled'] },
        { type: [{ prefix: 'invoice.' }], data: { amount: [{ numeric: ['>=', 100_000] }] } },
      ],
    });
  });

  it('drops the alternative of a handler whose types a handler without a pattern takes anyway', () => {
    expect(
      sharedTopicBodyPolicy([
        { eventTypes: ['order.created'] },
        { eventTypes: ['order.created'], pattern: BIG },
      ]),
    ).toEqual({ type: ['order.created'] });
  });

  it('keeps only the pattern of a handler that takes every type', () => {
    expect(sharedTopicBodyPolicy([{ eventTypes: ['**'], pattern: BIG }])).toEqual(BIG);
  });

  it('is undefined when a handler without a pattern takes every type, or a pattern is beyond SNS', () => {
    expect(
      sharedTopicBodyPolicy([{ eventTypes: ['**'] }, { eventTypes: ['a'], pattern: BIG }]),
    ).toBeUndefined();
    expect(
      sharedTopicBodyPolicy([
        { eventTypes: ['a'], pattern: { data: { name: [{ wildcard: 'x*' }] } } },
      ]),
    ).toBeUndefined();
  });
});
