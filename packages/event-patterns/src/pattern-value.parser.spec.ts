import { InvalidEventPatternError } from './invalid-event-pattern.error';
import { validatePattern } from './event-pattern.matcher';

function errorOf(pattern: object | string): InvalidEventPatternError {
  try {
    validatePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(pattern)}`);
}

/** `{ amount: [alternative] }` nested under `data`, to check paths through objects. */
const field = (alternative: unknown) => ({ data: { amount: [alternative] } });

type Row = [description: string, pattern: object | string, path: string, message: RegExp];

const refused: Record<string, Row[]> = {
  'prefix, suffix and equals-ignore-case': [
    ['a numeric prefix', field({ prefix: 123 }), 'data.amount', /prefix takes a string/],
    ['a prefix list', field({ prefix: ['a'] }), 'data.amount', /prefix takes a string/],
    [
      'a nested suffix in prefix',
      field({ prefix: { suffix: 'a' } }),
      'data.amount',
      /prefix takes/,
    ],
    [
      'a numeric ignore-case prefix',
      field({ prefix: { 'equals-ignore-case': 1 } }),
      'data.amount',
      /prefix takes/,
    ],
    ['a suffix list', field({ suffix: ['.png'] }), 'data.amount', /suffix takes a string/],
    ['a numeric suffix', field({ suffix: 123 }), 'data.amount', /suffix takes a string/],
    [
      'an ignore-case list',
      field({ 'equals-ignore-case': ['a'] }),
      'data.amount',
      /equals-ignore-case takes a string/,
    ],
    [
      'an ignore-case object',
      field({ 'equals-ignore-case': { prefix: 'a' } }),
      'data.amount',
      /takes a string/,
    ],
  ],
  wildcard: [
    ['a number', field({ wildcard: 123 }), 'data.amount', /wildcard takes a string/],
    ['a list', field({ wildcard: ['a*'] }), 'data.amount', /wildcard takes a string/],
    [
      'consecutive stars',
      field({ wildcard: 'arn:*:**:bus' }),
      'data.amount',
      /consecutive "\*\*" at index 6/,
    ],
    ['an unknown escape', field({ wildcard: 'a\\b' }), 'data.amount', /invalid escape at index 1/],
    ['a trailing backslash', field({ wildcard: 'a\\' }), 'data.amount', /invalid escape/],
    [
      'too many colon-separated stars',
      field({ wildcard: '*:*:*:*:*:event-bus/*' }),
      'data.amount',
      /too complex/,
    ],
    [
      'too many overlapping wildcards on one field',
      {
        key: ['*/sync/*.bif', '*/sync/*.tif', '*/sync/*.tiff', '*/sync/*.svs'].map((w) => ({
          wildcard: w,
        })),
      },
      'key',
      /too complex: a value could keep \d+ partial matches open/,
    ],
    [
      'wildcards spread over $or branches on one field',
      {
        $or: [
          { key: [{ wildcard: '*/sync/*.bif' }, { wildcard: '*/sync/*.tif' }] },
          { key: [{ wildcard: '*/sync/*.tiff' }, { wildcard: '*/sync/*.svs' }] },
        ],
      },
      '$or[0].key',
      /too complex/,
    ],
  ],
  'anything-but': [
    [
      'null',
      field({ 'anything-but': null }),
      'data.amount',
      /anything-but takes a string, a number/,
    ],
    [
      'a boolean',
      field({ 'anything-but': true }),
      'data.amount',
      /anything-but takes a string, a number/,
    ],
    ['an empty list', field({ 'anything-but': [] }), 'data.amount', /at least one/],
    [
      'a mixed list',
      field({ 'anything-but': ['a', 1] }),
      'data.amount',
      /only strings or only numbers/,
    ],
    [
      'null in a list',
      field({ 'anything-but': ['a', null] }),
      'data.amount',
      /only strings or only numbers/,
    ],
    [
      'operators in a list',
      field({ 'anything-but': [{ prefix: 'a' }] }),
      'data.amount',
      /only strings/,
    ],
    ['a number beyond 5e9', field({ 'anything-but': 6e9 }), 'data.amount', /out of range/],
    [
      'seven decimals in a list',
      field({ 'anything-but': [0.1234567] }),
      'data.amount',
      /at most 6 decimal/,
    ],
    [
      'an empty prefix',
      field({ 'anything-but': { prefix: '' } }),
      'data.amount',
      /prefix cannot be empty/,
    ],
    [
      'an empty suffix',
      field({ 'anything-but': { suffix: '' } }),
      'data.amount',
      /suffix cannot be empty/,
    ],
    [
      'an empty suffix in a list',
      field({ 'anything-but': { suffix: ['.a', ''] } }),
      'data.amount',
      /empty/,
    ],
    [
      'a numeric prefix',
      field({ 'anything-but': { prefix: 123 } }),
      'data.amount',
      /prefix takes a string/,
    ],
    [
      'a number in a prefix list',
      field({ 'anything-but': { prefix: [123, 'a'] } }),
      'data.amount',
      /string/,
    ],
    [
      'null in a suffix list',
      field({ 'anything-but': { suffix: [null, '.a'] } }),
      'data.amount',
      /string/,
    ],
    [
      'a nested ignore-case prefix',
      field({ 'anything-but': { prefix: { 'equals-ignore-case': 'a' } } }),
      'data.amount',
      /do not nest further/,
    ],
    [
      'a numeric ignore-case',
      field({ 'anything-but': { 'equals-ignore-case': 123 } }),
      'data.amount',
      /string/,
    ],
    [
      'numeric ignore-case list',
      field({ 'anything-but': { 'equals-ignore-case': [1, 2] } }),
      'data.amount',
      /string/,
    ],
    [
      'a numeric wildcard',
      field({ 'anything-but': { wildcard: 123 } }),
      'data.amount',
      /wildcard takes a string/,
    ],
    [
      'consecutive stars',
      field({ 'anything-but': { wildcard: ['a**'] } }),
      'data.amount',
      /consecutive/,
    ],
    [
      'an unsupported operator',
      field({ 'anything-but': { numeric: ['>', 1] } }),
      'data.amount',
      /exactly one of/,
    ],
    ['an empty object', field({ 'anything-but': {} }), 'data.amount', /exactly one of/],
    [
      'two operators',
      field({ 'anything-but': { prefix: 'a', suffix: 'b' } }),
      'data.amount',
      /exactly one of/,
    ],
  ],
  numeric: [
    ['a bare number', field({ numeric: 10 }), 'data.amount', /numeric takes an array/],
    [
      'an empty list',
      field({ numeric: [] }),
      'data.amount',
      /must start with an operator .* not nothing/,
    ],
    ['a number first', field({ numeric: [5] }), 'data.amount', /must start with an operator/],
    ['an unknown operator', field({ numeric: ['=>', 5] }), 'data.amount', /"=>" is not one of/],
    [
      'an operator alone',
      field({ numeric: ['>'] }),
      'data.amount',
      /">" must be followed by a number/,
    ],
    [
      'a numeric string',
      field({ numeric: ['>', '5'] }),
      'data.amount',
      /must be followed by a number, not "5"/,
    ],
    [
      'a missing upper value',
      field({ numeric: ['>', 0, '<'] }),
      'data.amount',
      /"<" must be followed by a number/,
    ],
    [
      'two lower bounds',
      field({ numeric: ['>', 0, '>', 5] }),
      'data.amount',
      /must use "<" or "<="/,
    ],
    [
      'the upper bound first',
      field({ numeric: ['<', 10, '>', 0] }),
      'data.amount',
      /lower bound first/,
    ],
    [
      'more after equality',
      field({ numeric: ['=', 5, '<', 6] }),
      'data.amount',
      /takes nothing more/,
    ],
    [
      'an empty range',
      field({ numeric: ['>', 5, '<', 5] }),
      'data.amount',
      /5 must be less than upper bound 5/,
    ],
    [
      'an inverted range',
      field({ numeric: ['>=', 10, '<=', 5] }),
      'data.amount',
      /must be less than/,
    ],
    ['a third pair', field({ numeric: ['>', 0, '<', 5, '=', 3] }), 'data.amount', /at most two/],
    ['an operand beyond 5e9', field({ numeric: ['>', 6e9] }), 'data.amount', /out of range/],
    ['seven decimals', field({ numeric: ['=', 0.0000001] }), 'data.amount', /at most 6 decimal/],
  ],
  'exists and cidr': [
    ['exists as a string', field({ exists: 'true' }), 'data.amount', /exists takes true or false/],
    ['exists as null', field({ exists: null }), 'data.amount', /exists takes true or false/],
    ['a cidr list', field({ cidr: ['10.0.0.0/24'] }), 'data.amount', /cidr takes a string/],
    [
      'a cidr without a slash',
      field({ cidr: 'bad-filter' }),
      'data.amount',
      /one address and one prefix/,
    ],
    [
      'a cidr with two slashes',
      field({ cidr: '10.0.0.0/8/8' }),
      'data.amount',
      /one address and one prefix/,
    ],
    ['a non-integer mask', field({ cidr: '10.0.0.0/abc' }), 'data.amount', /must be an integer/],
    [
      'a bad address',
      field({ cidr: 'xx.11.xx/8' }),
      'data.amount',
      /"xx.11.xx" .* is not an IPv4 or IPv6/,
    ],
    ['a bad IPv6 address', field({ cidr: 'xxxx:db8::/64' }), 'data.amount', /not an IPv4 or IPv6/],
    ['an octet over 255', field({ cidr: '256.0.0.0/8' }), 'data.amount', /not an IPv4 or IPv6/],
    ['an IPv4 mask over 31', field({ cidr: '10.0.0.0/33' }), 'data.amount', /between 0 and 31/],
    [
      'a /32 block',
      field({ cidr: '10.0.0.1/32' }),
      'data.amount',
      /list it as a plain value: \["10.0.0.1"\]/,
    ],
    ['a /128 block', field({ cidr: '::1/128' }), 'data.amount', /between 0 and 127/],
    ['a negative mask', field({ cidr: '10.0.0.0/-1' }), 'data.amount', /between 0 and 31/],
  ],
};

describe.each(Object.entries(refused))(
  'validatePattern refuses operator values (%s)',
  (_group, rows) => {
    it.each(rows)('%s', (_what, pattern, path, message) => {
      const error = errorOf(pattern);
      expect(error.path).toBe(path);
      expect(error.message).toMatch(message);
      expect(error.message).toContain(`at "${path}"`);
    });
  },
);
