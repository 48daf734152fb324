import type { EventPattern } from '@nestjs-events/core';
import { translateEnvelopePattern } from './envelope-pattern.translator';

describe('translateEnvelopePattern', () => {
  it('renames type to detail-type and keeps source at the top', () => {
    expect(
      translateEnvelopePattern({ type: [{ prefix: 'order.' }], source: ['orders', 'billing'] }),
    ).toEqual({ 'detail-type': [{ prefix: 'order.' }], source: ['orders', 'billing'] });
  });

  it('moves every other envelope field under detail', () => {
    const pattern: EventPattern = {
      id: [{ prefix: '0' }],
      version: [{ numeric: ['>=', 2] }],
      aggregateId: [{ exists: true }],
      occurredAt: [{ prefix: '2025-' }],
      data: { total: [{ numeric: ['>', 100] }], items: { sku: ['A-1'] } },
      metadata: { correlationId: [{ 'anything-but': 'test' }] },
    };
    expect(translateEnvelopePattern(pattern)).toEqual({ detail: pattern });
  });

  it('splits a mixed pattern between the top and detail', () => {
    expect(
      translateEnvelopePattern({
        type: ['order.created'],
        version: [2],
        data: { country: ['FR', 'DE'] },
      }),
    ).toEqual({
      'detail-type': ['order.created'],
      detail: { version: [2], data: { country: ['FR', 'DE'] } },
    });
  });

  it('rewrites each top-level $or branch as an envelope pattern', () => {
    expect(
      translateEnvelopePattern({
        source: ['orders'],
        $or: [{ type: ['order.cancelled'] }, { data: { total: [{ numeric: ['>', 1000] }] } }],
      }),
    ).toEqual({
      source: ['orders'],
      $or: [
        { 'detail-type': ['order.cancelled'] },
        { detail: { data: { total: [{ numeric: ['>', 1000] }] } } },
      ],
    });
  });

  it('leaves an $or nested inside a field alone: its branches are relative to that field', () => {
    const data = { $or: [{ type: ['a'] }, { source: ['b'] }] };
    expect(translateEnvelopePattern({ data })).toEqual({ detail: { data } });
  });

  it('keeps an empty pattern empty and skips undefined fields', () => {
    expect(translateEnvelopePattern({})).toEqual({});
    expect(translateEnvelopePattern({ type: ['a'], data: undefined })).toEqual({
      'detail-type': ['a'],
    });
  });

  it('does not change its input', () => {
    const pattern: EventPattern = { type: ['a'], data: { x: [1] } };
    const copy = structuredClone(pattern);
    translateEnvelopePattern(pattern);
    expect(pattern).toEqual(copy);
  });
});
