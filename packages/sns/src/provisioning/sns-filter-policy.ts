import { validatePattern, type EventPattern } from '@nestjs-events/core';
import { typeSelectorValues, type TypeSelectorValue } from '@nestjs-events/core/transport';

/** A value an SNS filter policy accepts for the envelope's `type`. */
export type TypeFilterValue = TypeSelectorValue;

/** What one handler lets through: its event types, its content pattern, or both. */
export interface FilterPolicyPart {
  /** Alternatives for the body's `type`; absent where the topic already selects the type. */
  readonly type?: readonly TypeFilterValue[];
  readonly pattern?: EventPattern;
}

/** SNS refuses a policy with more keys than this ("Filter policy can not have more than 5 keys"). */
export const MAX_FILTER_POLICY_KEYS = 5;

/** SNS refuses a policy whose value combinations exceed this ("Filter policy is too complex"). */
export const MAX_FILTER_POLICY_COMBINATIONS = 150;

/** SNS refuses policies larger than 256 KB. */
export const MAX_FILTER_POLICY_BYTES = 262_144;

// SNS compares numbers between -1e9 and 1e9 with five decimals, where EventBridge allows ±5e9 and
// six: a number outside would be refused, or compared differently than the in-process matcher does.
const NUMBER_LIMIT = 1e9;
const MAX_DECIMALS = 5;

// Keys SNS reads as operators: inside an `$or` group they make SNS take "$or" for a plain field
// name, which would silently change what the policy means.
const RESERVED_KEYS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'wildcard',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'exactly',
]);

interface Leaf {
  readonly keys: readonly string[];
  readonly values: readonly unknown[];
}

/** One way for the policy to match: every leaf must hold. Keyed by the dotted path. */
type Branch = Map<string, Leaf>;

/**
 * The SNS subscription filter policy (for `FilterPolicyScope: MessageBody`, where the body is the
 * JSON envelope) that lets through exactly what `pattern` does, or undefined when SNS's filter
 * language cannot say it. Throws `InvalidEventPatternError` on a pattern EventBridge would refuse.
 * See `unionFilterPolicy()` for what is expressible.
 */
export function toSnsFilterPolicy(pattern: EventPattern): object | undefined {
  return unionFilterPolicy([{ pattern }]);
}

/**
 * One MessageBody filter policy accepting what any part accepts (each part: its `type` values AND
 * its pattern), or undefined when SNS cannot express it; the caller then filters less at the
 * broker and leaves the rest to the in-process match.
 *
 * Every `$or` is expanded, so the policy is a single object or one top-level `$or` of plain
 * objects, the shape SNS (and the emulators) evaluate most reliably. Expressible: exact strings
 * and numbers, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (strings, numbers or one
 * `prefix`), `numeric`, `exists` and IPv4 `cidr`. Not expressible: `wildcard`, the case-insensitive
 * forms of `prefix`/`suffix`, `anything-but` with `suffix`, `wildcard`, `equals-ignore-case` or a
 * list of prefixes, `true`/`false`/`null` (SNS does not document body matching on them), IPv6
 * ranges, numbers SNS cannot compare as EventBridge does (beyond ±1e9 or 5 decimals), field names
 * with a "." or named like an operator, and policies past SNS's limits: 5 keys (counted as
 * distinct leaf paths, the strictest reading of the documentation), 150 value combinations (the
 * sum over `$or` alternatives of the product of their value counts) and 256 KB.
 *
 * What SNS compares against is the envelope as published, before the consumer upcasts it.
 */
export function unionFilterPolicy(parts: readonly FilterPolicyPart[]): object | undefined {
  const branches: Branch[] = [];
  for (const part of parts) {
    if (part.type === undefined && part.pattern === undefined) {
      throw new RangeError('A filter policy part needs event types, a pattern or both.');
    }
    if (part.pattern !== undefined) validatePattern(part.pattern);
    const expanded = part.pattern === undefined ? [new Map<string, Leaf>()] : expand(part.pattern);
    if (!expanded) return undefined;
    for (const branch of expanded) {
      // A pattern that names `type` itself replaces the handler's types rather than being ANDed
      // with them (one key holds one list): the branch only gets wider, and the handler narrows it.
      if (part.type !== undefined && !branch.has('type')) {
        branch.set('type', { keys: ['type'], values: part.type });
      }
      branches.push(branch);
    }
    if (branches.length > MAX_FILTER_POLICY_COMBINATIONS) return undefined;
  }
  return policyOf(branches);
}

/** The alternatives for `type` that cover `selectors`; undefined when only "every type" does. */
export function typeFilterValues(selectors: readonly string[]): TypeFilterValue[] | undefined {
  return typeSelectorValues(selectors);
}

/**
 * The pattern's `$or`s expanded into branches the way EventBridge (and the core's matcher)
 * expands them, a field written again in a branch replacing the earlier one; undefined as soon as
 * anything is not expressible.
 */
function expand(pattern: EventPattern): Branch[] | undefined {
  return walk(pattern, [], []);
}

function walk(
  object: Readonly<Record<string, unknown>>,
  branches: Branch[],
  keys: readonly string[],
): Branch[] | undefined {
  let current: Branch[] | undefined = branches;
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    if (key === '$or') {
      const base: Branch[] = current.length > 0 ? current : [new Map<string, Leaf>()];
      const result: Branch[] = [];
      for (const alternative of value as readonly Record<string, unknown>[]) {
        const expanded = walk(
          alternative,
          base.map((branch) => new Map(branch)),
          keys,
        );
        if (!expanded) return undefined;
        result.push(...expanded);
        if (result.length > MAX_FILTER_POLICY_COMBINATIONS) return undefined;
      }
      current = result;
      continue;
    }
    if (key.includes('.') || RESERVED_KEYS.has(key)) return undefined;
    const path = [...keys, key];
    if (Array.isArray(value)) {
      if (!value.every(isExpressible)) return undefined;
      const target: Branch[] = current.length > 0 ? current : [new Map<string, Leaf>()];
      for (const branch of target) branch.set(path.join('.'), { keys: path, values: value });
      current = target;
    } else {
      current = walk(value as Record<string, unknown>, current, path);
      if (!current) return undefined;
    }
  }
  return current;
}

function isExpressible(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (typeof value === 'number') return isSnsNumber(value);
  if (typeof value !== 'object' || value === null) return false;
  const [[operator, operand]] = Object.entries(value) as [[string, unknown]];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      // SNS documents neither the empty affix nor the `{ "equals-ignore-case": … }` form.
      return typeof operand === 'string' && operand !== '';
    case 'equals-ignore-case':
      return true;
    case 'numeric':
      return (operand as readonly unknown[]).every(
        (item) => typeof item === 'string' || isSnsNumber(item as number),
      );
    case 'exists':
      return true;
    case 'cidr':
      return !(operand as string).includes(':');
    case 'anything-but':
      if (typeof operand === 'string') return true;
      if (typeof operand === 'number') return isSnsNumber(operand);
      if (Array.isArray(operand)) {
        return operand.every((item) => typeof item === 'string' || isSnsNumber(item as number));
      }
      return typeof (operand as { prefix?: unknown }).prefix === 'string';
    default:
      return false;
  }
}

function isSnsNumber(value: number): boolean {
  if (Math.abs(value) >= NUMBER_LIMIT) return false;
  if (Number.isInteger(value)) return true;
  const text = String(Math.abs(value));
  if (text.includes('e')) return false;
  return text.length - text.indexOf('.') - 1 <= MAX_DECIMALS;
}

function policyOf(branches: readonly Branch[]): object | undefined {
  const paths = new Set<string>();
  let combinations = 0;
  const objects = new Map<string, Record<string, unknown>>();
  for (const branch of branches) {
    let product = 1;
    const object: Record<string, unknown> = {};
    for (const [path, leaf] of branch) {
      paths.add(path);
      product *= leaf.values.length;
      if (!place(object, leaf)) return undefined;
    }
    combinations += product;
    // Equal alternatives count once: SNS would only match them twice.
    const key = JSON.stringify(object);
    if (!objects.has(key)) objects.set(key, object);
  }
  if (paths.size > MAX_FILTER_POLICY_KEYS || combinations > MAX_FILTER_POLICY_COMBINATIONS) {
    return undefined;
  }
  const alternatives = [...objects.values()];
  if (alternatives.length === 0) return undefined;
  const policy = alternatives.length === 1 ? alternatives[0] : { $or: alternatives };
  return Buffer.byteLength(JSON.stringify(policy)) > MAX_FILTER_POLICY_BYTES ? undefined : policy;
}

/** Puts a leaf at its nested place; false where a path is both a leaf and an object. */
function place(object: Record<string, unknown>, leaf: Leaf): boolean {
  let node = object;
  for (const key of leaf.keys.slice(0, -1)) {
    const next = node[key];
    if (Array.isArray(next)) return false;
    if (next === undefined) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = leaf.keys[leaf.keys.length - 1];
  if (node[last] !== undefined) return false;
  node[last] = leaf.values;
  return true;
}
