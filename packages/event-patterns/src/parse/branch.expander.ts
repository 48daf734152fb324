import { InvalidEventPatternError } from '../errors/invalid-event-pattern.error';
import type { PatternField } from '../interfaces/pattern-condition.interface';
import { describeValue } from '../json/json-value.describer';
import { isPlainObject } from '../json/plain-object.guard';
import {
  MAX_PATTERN_BRANCHES,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_FIELDS,
  MAX_PATTERN_TOTAL_FIELDS,
} from '../limits/event-pattern.limits';
import { RESERVED_IN_OR } from './operator.names';
import { parseCondition } from './pattern-value.parser';

/** One alternative being built: its fields by path, so that a later definition replaces one. */
export type ExpandedBranch = Map<string, PatternField>;

interface Scope {
  readonly path: string | undefined;
  readonly location: string | undefined;
  readonly insideOr: boolean;
  /** Objects entered so far, the pattern itself being 1. */
  readonly depth: number;
}

/**
 * Reads a pattern object into its alternatives, one per way its `$or`s can be chosen, as
 * EventBridge expands them; every value is parsed on the way and every limit checked as it grows.
 */
export function expandBranches(pattern: Record<string, unknown>): ExpandedBranch[] {
  return walkObject(pattern, [], {
    path: undefined,
    location: undefined,
    insideOr: false,
    depth: 1,
  });
}

function walkObject(
  object: Record<string, unknown>,
  branches: ExpandedBranch[],
  scope: Scope,
): ExpandedBranch[] {
  // Checked before recursing, so that a pattern nested thousands deep is refused, not a stack
  // overflow.
  if (scope.depth > MAX_PATTERN_DEPTH) {
    throw new InvalidEventPatternError(
      scope.location ?? '',
      `objects nest more than ${MAX_PATTERN_DEPTH} levels deep; flatten the pattern`,
    );
  }
  const keys = Object.keys(object).filter((key) => object[key] !== undefined);
  if (keys.length === 0) {
    throw new InvalidEventPatternError(
      scope.location ?? '',
      'empty objects are not allowed: name at least one field to match, or remove the object',
    );
  }
  let current = branches;
  for (const key of keys) {
    const value = object[key];
    const location = join(scope.location, key);
    if (key === '$or') {
      current = walkOr(value, current, { ...scope, location });
      continue;
    }
    if (scope.insideOr && RESERVED_IN_OR.has(key)) {
      throw new InvalidEventPatternError(
        location,
        `"${key}" is an operator keyword and cannot name a field inside $or; put operators ` +
          `in a value list, as in {"field": [{"${key}": …}]}`,
      );
    }
    const path = join(scope.path, key);
    if (Array.isArray(value)) {
      current = addField(current, path, location, value, scope.insideOr);
    } else if (isPlainObject(value)) {
      current = walkObject(value, current, {
        path,
        location,
        insideOr: scope.insideOr,
        depth: scope.depth + 1,
      });
    } else {
      throw new InvalidEventPatternError(
        location,
        `a field's value must be a list of alternatives or a nested object, not ` +
          `${describeValue(value)}; wrap it: [${JSON.stringify(value) ?? ''}]`,
      );
    }
  }
  return current;
}

function walkOr(value: unknown, branches: ExpandedBranch[], scope: Scope): ExpandedBranch[] {
  const location = scope.location ?? '$or';
  if (!Array.isArray(value) || value.length < 2 || !value.every(isPlainObject)) {
    throw new InvalidEventPatternError(
      location,
      '$or takes a list of at least two pattern objects, as in ' +
        '"$or": [{"a": ["x"]}, {"b": ["y"]}]',
    );
  }
  const alternatives: readonly Record<string, unknown>[] = value;
  const base = orNew(branches);
  const result: ExpandedBranch[] = [];
  alternatives.forEach((alternative, index) => {
    const copies = base.map((branch) => new Map(branch));
    const scoped = {
      path: scope.path,
      location: `${location}[${index}]`,
      insideOr: true,
      depth: scope.depth + 1,
    };
    result.push(...walkObject(alternative, copies, scoped));
    if (result.length > MAX_PATTERN_BRANCHES) {
      throw new InvalidEventPatternError(
        location,
        `$or combinations expand to more than ${MAX_PATTERN_BRANCHES} alternative patterns; ` +
          'nest fewer $or lists or split the pattern across handlers',
      );
    }
    checkTotalFields(result, location);
  });
  return result;
}

function addField(
  branches: ExpandedBranch[],
  path: string,
  location: string,
  values: readonly unknown[],
  insideOr: boolean,
): ExpandedBranch[] {
  if (values.length === 0) {
    throw new InvalidEventPatternError(
      location,
      'empty value lists are not allowed: list at least one alternative, or use ' +
        '[{"exists": false}] to require that the field is absent',
    );
  }
  const field: PatternField = {
    path,
    location,
    conditions: values.map((value) => parseCondition(value, location)),
  };
  const target = orNew(branches);
  // A path written twice (`{"a": {"b": …}, "a.b": …}`) keeps its last definition, as EventBridge.
  for (const branch of target) {
    branch.set(path, field);
    if (branch.size > MAX_PATTERN_FIELDS) {
      throw new InvalidEventPatternError(
        location,
        `the pattern names more than ${MAX_PATTERN_FIELDS} fields` +
          (insideOr || target.length > 1 ? ' in one $or alternative' : '') +
          '; split it across handlers',
      );
    }
  }
  checkTotalFields(target, location);
  return target;
}

/** Checked as fields are added, so that a huge pattern is refused before it is all copied. */
function checkTotalFields(branches: readonly ExpandedBranch[], location: string): void {
  let total = 0;
  for (const branch of branches) total += branch.size;
  if (total > MAX_PATTERN_TOTAL_FIELDS) {
    throw new InvalidEventPatternError(
      location,
      `$or alternatives name more than ${MAX_PATTERN_TOTAL_FIELDS} fields in all once ` +
        'expanded (each alternative repeats the fields beside its $or); use fewer alternatives ' +
        'or split the pattern across handlers',
    );
  }
}

/** Before its first field the pattern is one empty alternative. */
function orNew(branches: ExpandedBranch[]): ExpandedBranch[] {
  return branches.length > 0 ? branches : [new Map<string, PatternField>()];
}

function join(prefix: string | undefined, key: string): string {
  return prefix === undefined ? key : `${prefix}.${key}`;
}
