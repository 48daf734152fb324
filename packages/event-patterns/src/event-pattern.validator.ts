import { InvalidEventPatternError } from './invalid-event-pattern.error';
import {
  MAX_PATTERN_BRANCHES,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_FIELDS,
  MAX_PATTERN_TOTAL_FIELDS,
} from './event-pattern.limits';
import type { PatternBranch, PatternField } from './pattern-condition.interface';
import { isPlainObject, OPERATORS, parseCondition } from './pattern-value.parser';
import { wildcardComplexity } from './wildcard.matcher';

/**
 * Field names EventBridge reserves inside `$or` (its engine's operator keywords, including ones
 * kept for future use), so that an operator misplaced one level up is not read as a field.
 */
const RESERVED_IN_OR = new Set<string>([
  ...OPERATORS,
  'exactly',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

/** Beyond what the wildcard byte machines of EventBridge accept ("Rule is too complex"). */
export const MAX_WILDCARD_COMPLEXITY = 10;

type Branch = Map<string, PatternField>;

interface Scope {
  readonly path: string | undefined;
  readonly location: string | undefined;
  readonly insideOr: boolean;
  /** Objects entered so far, the pattern itself being 1. */
  readonly depth: number;
}

/**
 * Validates a parsed pattern the way EventBridge does and returns its branches: one per way the
 * `$or`s can be chosen, each listing its fields sorted by path (the order EventBridge evaluates
 * them in, which decides `exists: false` inside arrays).
 */
export function validatePatternObject(pattern: unknown): PatternBranch[] {
  if (!isPlainObject(pattern)) {
    throw new InvalidEventPatternError(
      '',
      `a pattern must be a JSON object such as {"source": ["orders"]}, not ${JSON.stringify(pattern) ?? String(pattern)}`,
    );
  }
  const branches = walkObject(pattern, [], {
    path: undefined,
    location: undefined,
    insideOr: false,
    depth: 1,
  });
  const sorted = branches.map((branch) =>
    [...branch.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  );
  checkWildcardComplexity(sorted);
  return sorted;
}

function walkObject(object: Record<string, unknown>, branches: Branch[], scope: Scope): Branch[] {
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
          `${JSON.stringify(value) ?? String(value)}; wrap it: [${JSON.stringify(value) ?? ''}]`,
      );
    }
  }
  return current;
}

function walkOr(value: unknown, branches: Branch[], scope: Scope): Branch[] {
  const location = scope.location ?? '$or';
  if (!Array.isArray(value) || value.length < 2 || !value.every(isPlainObject)) {
    throw new InvalidEventPatternError(
      location,
      '$or takes a list of at least two pattern objects, as in ' +
        '"$or": [{"a": ["x"]}, {"b": ["y"]}]',
    );
  }
  const alternatives: readonly Record<string, unknown>[] = value;
  const base = branches.length > 0 ? branches : [new Map<string, PatternField>()];
  const result: Branch[] = [];
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
  branches: Branch[],
  path: string,
  location: string,
  values: readonly unknown[],
  insideOr: boolean,
): Branch[] {
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
  const target = branches.length > 0 ? branches : [new Map<string, PatternField>()];
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
function checkTotalFields(branches: readonly Branch[], location: string): void {
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

function checkWildcardComplexity(branches: readonly PatternBranch[]): void {
  const byPath = new Map<string, { location: string; wildcards: string[] }>();
  for (const branch of branches) {
    for (const field of branch) {
      for (const condition of field.conditions) {
        const wildcards =
          condition.kind === 'wildcard'
            ? [condition.value]
            : condition.kind === 'anything-but-wildcard'
              ? condition.values
              : [];
        if (wildcards.length === 0) continue;
        const entry = byPath.get(field.path) ?? { location: field.location, wildcards: [] };
        entry.wildcards.push(...wildcards);
        byPath.set(field.path, entry);
      }
    }
  }
  for (const { location, wildcards } of byPath.values()) {
    const complexity = wildcardComplexity(wildcards, MAX_WILDCARD_COMPLEXITY);
    if (complexity > MAX_WILDCARD_COMPLEXITY) {
      throw new InvalidEventPatternError(
        location,
        `wildcards are too complex: a value could keep ${complexity} partial matches open ` +
          `(EventBridge allows ${MAX_WILDCARD_COMPLEXITY}); use fewer "*" or avoid repeating ` +
          'the characters that follow a "*"',
      );
    }
  }
}

function join(prefix: string | undefined, key: string): string {
  return prefix === undefined ? key : `${prefix}.${key}`;
}
