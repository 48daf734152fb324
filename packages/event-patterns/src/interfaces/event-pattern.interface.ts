/**
 * A content filter in the EventBridge event-pattern language, written against the envelope as the
 * handler sees it (`type`, `version`, `source`, `aggregateId`, `data`, `metadata`).
 *
 * Matching follows EventBridge: fields named in the pattern must all match (AND) and the values
 * listed for a field are alternatives (OR). A field absent from the event fails unless the pattern
 * allows `{ "exists": false }`; when the event holds an array, one element matching is enough, and
 * fields matched inside objects of the same array must come from the same element. Strings,
 * numbers, booleans and `null` never match one another (`"5"` is not `5`). Operators: `prefix`,
 * `suffix` (both optionally `{ "equals-ignore-case": … }`), `equals-ignore-case`, `wildcard`,
 * `anything-but`, `numeric`, `exists`, `cidr`, and `$or` to combine sub-patterns.
 *
 * Size and depth are bounded (`event-pattern.limits.ts`; our limits, far above what EventBridge's
 * 2,048-character patterns and 256 KB events reach), so that no pattern or event overflows the
 * stack or runs for minutes:
 * - `validatePattern()` refuses patterns nesting objects more than 100 deep, naming more than
 *   1,000 fields in one alternative, expanding `$or` to more than 1,000 alternatives, or to more
 *   than 100,000 fields over all of them;
 * - matching reads an event at most 100 levels deep and at most 100,000 array elements under any
 *   one path of the pattern, and spends at most 100,000 steps pairing fields within array
 *   elements; an event that takes more does not match the pattern (nothing is thrown). Cyclic
 *   events are caught by the depth limit.
 *
 * See `validatePattern()` for what EventBridge rejects, and `matchesPattern()` to test one;
 * `EventPatternIndex` matches one event against many patterns.
 */
export type EventPattern = {
  readonly $or?: readonly EventPattern[];
  readonly [field: string]:
    readonly EventPatternValue[] | EventPattern | readonly EventPattern[] | undefined;
};

/** One alternative for a field: an exact JSON value or an operator object. */
export type EventPatternValue =
  | string
  | number
  | boolean
  | null
  | { readonly prefix: string | { readonly 'equals-ignore-case': string } }
  | { readonly suffix: string | { readonly 'equals-ignore-case': string } }
  | { readonly 'equals-ignore-case': string }
  | { readonly wildcard: string }
  | {
      readonly 'anything-but':
        | string
        | number
        | readonly string[]
        | readonly number[]
        | { readonly prefix: string | readonly string[] }
        | { readonly suffix: string | readonly string[] }
        | { readonly 'equals-ignore-case': string | readonly string[] }
        | { readonly wildcard: string | readonly string[] };
    }
  | { readonly numeric: readonly (string | number)[] }
  | { readonly exists: boolean }
  | { readonly cidr: string };
