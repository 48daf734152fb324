import { isPlainObject } from '../json/plain-object.guard';
import { matchesAnyBranch } from '../match/branches.matcher';
import { collectEventLeaves } from '../match/event-leaves.collector';
import { PathTrie } from '../match/path.trie';
import { parsePatternBranches } from '../parse/pattern-branches.parser';
import { compileBranch } from './branch.compiler';

/** A compiled event pattern: true when the event matches. */
export type EventMatcher = (event: unknown) => boolean;

/**
 * Validates once and returns a matcher for parsed events (plain objects as `JSON.parse` returns
 * them; a `Date` counts as its JSON string). Anything but an object is no match.
 */
export function compilePattern(pattern: object | string): EventMatcher {
  const trie = new PathTrie();
  const compiled = parsePatternBranches(pattern).map((branch) => compileBranch(branch, trie));
  return (event) => {
    if (!isPlainObject(event)) return false;
    const leaves = collectEventLeaves(event, trie, true);
    return leaves.overflowed.size === 0 && matchesAnyBranch(compiled, leaves);
  };
}
