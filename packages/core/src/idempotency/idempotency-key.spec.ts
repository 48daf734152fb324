import { hash } from 'node:crypto';
import { idempotencyStoreKey, payloadFingerprint } from './idempotency-key';

// Shared stores keep what these functions return across deployments: a change of either format
// would make every key unknown (events applied again) or every fingerprint a conflict.
describe('idempotencyStoreKey', () => {
  it.each([
    [
      'OrderHandler.onCreated',
      '3f1c2b9e-8d4a-4f6e-9b1a-2c3d4e5f6a7b',
      'NLTL8vQMKw6P0mJD9wIeQnQ_9HHD8bSeUNl_9L_GGk8',
    ],
    ['h', 'a\ud800', 'Tp8jh5HBa15zSOKPkj77YCm4kuZ-MF07gEF-gP7lm6E'],
    ['h', 'a\udc00', 'dnyksAfPyzkmedAHV3AWDvQmRVaZYuQ-fe_McTMafsc'],
    ['a', ':b', 'ebfz65NWjsTRMmHUtqvcVNRfELPDM8pEH6DYJL5gXtk'],
    ['a:', 'b', 'Wuk8doEsL_7n-9AZD08iNAZlSEzfVJ8zpr-H9x2z2zI'],
    ['Ünïcødé.handler', 'ключ-🔑', '7ygo2NGCCdkoOufGYZyxHbHcjPBiRb7YME6keUFQmj8'],
    ['h', 'x'.repeat(3000), 'PbDSGfVp4RFsv71Y4G56qNsWf649GNcuC4QFmLDBX6Q'],
  ])('keeps its format: %s / %s', (handler, key, expected) => {
    expect(idempotencyStoreKey(handler, key)).toBe(expected);
  });

  it('gives each (handler, key) its own key, in any order and at any length', () => {
    // Reused bytes for handlers and lengths met before must not leak into the next key.
    const pairs: Array<[string, string]> = [];
    for (const handler of ['A.a', 'B.bb', 'A.a:']) {
      for (const key of ['', 'k', 'kk', 'k'.repeat(2_040), 'k'.repeat(2_050), '\ud800']) {
        pairs.push([handler, key]);
      }
    }
    const first = pairs.map(([handler, key]) => idempotencyStoreKey(handler, key));
    expect(new Set(first).size).toBe(pairs.length);
    const again = [...pairs].reverse().map(([handler, key]) => idempotencyStoreKey(handler, key));
    expect(again.reverse()).toEqual(first);
    const expected = (handler: string, key: string) =>
      hash('sha256', Buffer.from(`${handler.length}:${handler}:${key}`, 'utf16le'), 'base64url');
    expect(first).toEqual(pairs.map(([handler, key]) => expected(handler, key)));
  });
});

class Point {
  y = 2;
  x = 1;
}

describe('payloadFingerprint', () => {
  it.each<[string, unknown, string]>([
    [
      'flat',
      { amount: 10, currency: 'EUR', orderId: 'o-1' },
      'CC9ArXSHbnfibjE7YKWy22jgU-BhD6nqAvk2MT7BuHg',
    ],
    [
      'keys in another order',
      { orderId: 'o-1', amount: 10, currency: 'EUR' },
      'CC9ArXSHbnfibjE7YKWy22jgU-BhD6nqAvk2MT7BuHg',
    ],
    [
      'nested',
      { b: [1, { d: 1, c: [null, 'x'] }], a: { z: true, y: -0 } },
      'U6p7xqRi5C7Hj5R4a0T0GYkZoJKHkueXyxOF6XF0ARY',
    ],
    [
      'numbers JSON cannot write',
      [NaN, Infinity, 1e21, 0.1, -0],
      'rJc0BLoKf7PUvyRYR3r1unOlHbW7tjFsmi4bVnesbik',
    ],
    ['a date', { at: new Date(0) }, 'iQ_Gv57dqmdCob4oZUqxhf1WRkIPyzf87KHe_V6Juas'],
    ['a bigint', { n: 12345678901234567890n }, 'lEO60VBmicPwsfBqcLi9HN-oasQOQIFNrHzuHO9a3vA'],
    ['a lone surrogate', { t: 'a\ud800b' }, 'NNW2Otm6IQg5wGcpBSzc5X9j5E_l7JzNxLIekcIDobk'],
    ['numeric keys', { 10: 'a', 2: 'b', x: 1 }, 'J41WxjXkJnEPICM2EDI3s5tsyDQf0fMKS5u1OrP8exA'],
    ['a class instance', new Point(), 'aJqPHblUAlgEduOMJkJ4znseZkMgz7Tpro06kIzwmWQ'],
    ['a string', 'plain', 'lFYDqPWHeGtGPD-U_OEVwProj6wnKMyW3fWYHPf2F0E'],
    ['null', null, 'dCNOmK_nSY-12vHzasLXiswzlGT5UHA7jAGYkvmCuQs'],
    ['toJSON', { toJSON: () => ({ b: 1, a: 2 }) }, '02JqwwqH5vemQoIzs8aCmZdoZfpVCOQmfFQVx2r3p3I'],
  ])('keeps its format: %s', (_name, value, expected) => {
    expect(payloadFingerprint(value)).toBe(expected);
  });

  it('drops undefined, function and symbol members as JSON.stringify does', () => {
    const written = payloadFingerprint({ k: 1 });
    expect(payloadFingerprint({ u: undefined, k: 1, f: () => 1, s: Symbol('s') })).toBe(written);
    expect(payloadFingerprint({ list: [1, undefined] })).toBe(
      payloadFingerprint({ list: [1, null] }),
    );
    expect(payloadFingerprint({ nested: { note: undefined } })).toBe(
      payloadFingerprint({ nested: {} }),
    );
  });

  it('writes strings, names and numbers as JSON.stringify does, with keys sorted', () => {
    const sorted = (value: unknown): unknown =>
      Array.isArray(value)
        ? value.map(sorted)
        : value !== null && typeof value === 'object'
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((name) => [name, sorted((value as Record<string, unknown>)[name])]),
            )
          : value;
    const texts = [
      '',
      'plain',
      'say "hi"',
      'back\\slash',
      'tab\tnewline\n',
      '\u0000\u001f',
      'é ü ß',
      '😀 paired',
      'lone \ud800 high',
      'lone \udfff low',
      '\u2028\u2029',
      `${'x'.repeat(63)}"`,
      `${'x'.repeat(64)}"`,
      `${'x'.repeat(200)}\\`,
    ];
    const numbers = [
      0,
      -0,
      1.5,
      -2e-7,
      1e21,
      123456789012345680000,
      Number.MAX_VALUE,
      NaN,
      -Infinity,
    ];
    const many = (count: number): Record<string, number> =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i): [string, number] => [
          `k${(i * 7) % count}`,
          i,
        ]).reverse(),
      );
    for (const text of texts) {
      const value = {
        [text]: text,
        list: [text, ...numbers],
        nested: { [`${text}!`]: true, small: many(16), large: many(17), z: 1 },
      };
      const reference = hash('sha256', JSON.stringify(sorted(value)), 'base64url');
      expect([text, payloadFingerprint(value)]).toEqual([text, reference]);
    }
  });

  it('fingerprints payloads of any size, one after another', () => {
    const reference = (value: unknown) => hash('sha256', JSON.stringify(value), 'base64url');
    for (const size of [10, 5_000, 100_000, 10]) {
      const value = { a: 'é'.repeat(size), b: Array.from({ length: size / 10 }, (_, i) => i) };
      expect(payloadFingerprint(value)).toBe(reference(value));
    }
  });

  it('stays right when toJSON takes a fingerprint itself, or a getter throws', () => {
    const inner = { b: 1, a: 2 };
    const nested = { x: { toJSON: () => ({ f: payloadFingerprint(inner), z: 1 }) } };
    expect(payloadFingerprint(nested)).toBe(
      payloadFingerprint({ x: { f: payloadFingerprint({ a: 2, b: 1 }), z: 1 } }),
    );
    const hostile = {
      get a(): never {
        throw new Error('no');
      },
    };
    expect(() => payloadFingerprint(hostile)).toThrow('no');
    expect(payloadFingerprint(inner)).toBe(payloadFingerprint({ a: 2, b: 1 }));
  });

  it('tells undefined data from null', () => {
    expect(payloadFingerprint(undefined)).not.toBe(payloadFingerprint(null));
  });
});
