import { createHash } from 'node:crypto';

/** EventBridge's limit on rule names. */
export const MAX_RULE_NAME_LENGTH = 64;

const SUFFIX = '-events';
const HASH_LENGTH = 8;

/**
 * Name of the rule that feeds queue `queue`: `<queue>-events`, with characters rules do not allow
 * (anything but letters, digits, `.`, `-`, `_`) replaced by `-`. A name over 64 characters keeps
 * its start and gets a hash of the whole queue name, so that two long names that share their
 * first characters still get rules of their own.
 */
export function ruleNameFor(queue: string): string {
  const base = queue.replace(/[^A-Za-z0-9._-]/g, '-');
  if (base.length + SUFFIX.length <= MAX_RULE_NAME_LENGTH) return `${base}${SUFFIX}`;
  const hash = createHash('sha256').update(queue).digest('hex').slice(0, HASH_LENGTH);
  const keep = MAX_RULE_NAME_LENGTH - SUFFIX.length - HASH_LENGTH - 1;
  return `${base.slice(0, keep)}-${hash}${SUFFIX}`;
}
