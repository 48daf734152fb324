import type { IpRange } from './ip-range.interface';

export type JsonScalar = string | number | boolean | null;

/** Bounds are ±Infinity when the pattern leaves a side open. */
export interface NumericRange {
  readonly min: number;
  readonly minInclusive: boolean;
  readonly max: number;
  readonly maxInclusive: boolean;
}

/** One validated alternative of a pattern field, independent of how it will be evaluated. */
export type PatternCondition =
  | { readonly kind: 'exact'; readonly value: JsonScalar }
  | { readonly kind: 'prefix' | 'suffix'; readonly value: string; readonly ignoreCase: boolean }
  | { readonly kind: 'equals-ignore-case' | 'wildcard'; readonly value: string }
  /** All strings or all numbers, never mixed: EventBridge compares by type. */
  | { readonly kind: 'anything-but'; readonly values: readonly (string | number)[] }
  | {
      readonly kind:
        | 'anything-but-prefix'
        | 'anything-but-suffix'
        | 'anything-but-ignore-case'
        | 'anything-but-wildcard';
      readonly values: readonly string[];
    }
  | { readonly kind: 'numeric'; readonly range: NumericRange }
  | { readonly kind: 'exists'; readonly value: boolean }
  | { readonly kind: 'cidr'; readonly range: IpRange };

/** A leaf of the pattern: the dotted event path and the alternatives it accepts. */
export interface PatternField {
  /** Keys joined with "." as EventBridge does, so `{"a":{"b":…}}` and `{"a.b":…}` coincide. */
  readonly path: string;
  /** Where the field was written, `$or` branches included, for error messages. */
  readonly location: string;
  readonly conditions: readonly PatternCondition[];
}

/** One way for the pattern to match: every field must hold. `$or` yields several branches. */
export type PatternBranch = readonly PatternField[];
