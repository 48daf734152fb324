import { defineEvent } from '@nestjs-events/core';
import * as v from 'valibot';
import { z } from 'zod';
import { dataSchemaOf } from './json-schema.converter';

describe('dataSchemaOf', () => {
  it('converts a zod 4 schema through Standard JSON Schema, in either dialect', () => {
    const Paid = defineEvent({
      type: 'invoice.paid',
      schema: z.object({ invoiceId: z.string(), status: z.literal('paid') }),
    });
    expect(dataSchemaOf(Paid, 'draft-07').schema).toMatchObject({
      properties: { status: { const: 'paid' } },
      required: ['invoiceId', 'status'],
    });
    const draft4 = dataSchemaOf(Paid, 'draft-04').schema!;
    expect(draft4).toMatchObject({ properties: { status: { enum: ['paid'] } } });
    expect(draft4).not.toHaveProperty('$schema');
  });

  it('converts a valibot schema with @valibot/to-json-schema, const as enum for draft 4', () => {
    const Shipped = defineEvent({
      type: 'parcel.shipped',
      schema: v.object({ parcelId: v.pipe(v.string(), v.minLength(1)), carrier: v.literal('dhl') }),
    });
    expect(dataSchemaOf(Shipped, 'draft-07').schema).toEqual({
      type: 'object',
      properties: { parcelId: { type: 'string', minLength: 1 }, carrier: { const: 'dhl' } },
      required: ['parcelId', 'carrier'],
    });
    expect(dataSchemaOf(Shipped, 'draft-04').schema).toMatchObject({
      properties: { carrier: { enum: ['dhl'] } },
    });
  });

  it('says why when there is no schema, or no converter for its library', () => {
    expect(dataSchemaOf(defineEvent({ type: 'a.b' }), 'draft-07')).toEqual({
      problem: 'it has no schema',
    });
    const custom = defineEvent({
      type: 'c.d',
      schema: {
        '~standard': { version: 1, vendor: 'acme', validate: (value: unknown) => ({ value }) },
      },
    });
    expect(dataSchemaOf(custom, 'draft-07').problem).toBe(
      'its acme schema has no JSON Schema converter the CLI knows',
    );
  });
});
