import { hash } from 'node:crypto';

/**
 * The key a store is given for `key` of `handler`: SHA-256, base64url (43 characters), whatever
 * the length of the event id or key function's result. The UTF-16 code units are hashed as they
 * are (not as UTF-8, which turns every lone surrogate into U+FFFD), and the handler name is
 * length-prefixed, so two distinct (handler, key) pairs never share a store key.
 */
export function idempotencyStoreKey(handler: string, key: string): string {
  const prefix = prefixBytes(handler);
  const bytes = prefix.length + key.length * 2;
  if (bytes > scratch.length) {
    return hash('sha256', Buffer.concat([prefix, Buffer.from(key, 'utf16le')]), 'base64url');
  }
  scratch.set(prefix, 0);
  scratch.write(key, prefix.length, 'utf16le');
  return hash('sha256', scratchBytes(bytes), 'base64url');
}

/** Reused for keys up to its size: hashing is synchronous, and a Buffer per event is garbage. */
const scratch = Buffer.allocUnsafe(4096);

/**
 * Views of the first n bytes of `scratch`, by n: `hash()` takes a whole view, and keys of one
 * handler have a few lengths (an event id has one), so a view per key would be an object per event.
 */
const scratchViews: Buffer[] = [];

function scratchBytes(length: number): Buffer {
  return (scratchViews[length] ??= scratch.subarray(0, length));
}

/** Handlers whose prefix bytes are kept: an application has tens of them. */
const MAX_CACHED_PREFIXES = 512;
const prefixes = new Map<string, Buffer>();

/** The UTF-16LE bytes of `<length>:<handler>:`, which start every store key of `handler`. */
function prefixBytes(handler: string): Buffer {
  let prefix = prefixes.get(handler);
  if (prefix === undefined) {
    prefix = Buffer.from(`${handler.length}:${handler}:`, 'utf16le');
    if (prefixes.size < MAX_CACHED_PREFIXES) prefixes.set(handler, prefix);
  }
  return prefix;
}

/**
 * SHA-256 (base64url) of a canonical JSON of `value`: object keys sorted at every level, so two
 * payloads that differ only in key order have the same fingerprint. `undefined` members are
 * dropped and `toJSON` honoured, as in `JSON.stringify`; lone surrogates are escaped by it, so
 * the text hashed as UTF-8 stays exact.
 */
export function payloadFingerprint(value: unknown): string {
  return hash('sha256', canonicalJson(value) ?? 'undefined', 'base64url');
}

function canonicalJson(value: unknown): string | undefined {
  // Most members are strings and numbers; JSON.stringify reads no `toJSON` of theirs either.
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? `${value}` : 'null';
  if (
    value !== null &&
    (typeof value === 'object' || typeof value === 'bigint') &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    value = (value as { toJSON: () => unknown }).toJSON();
  }
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Built by appending: a fingerprint is taken per event, and arrays of parts to join are garbage.
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      text += canonicalJson(value[i]) ?? 'null';
    }
    return `${text}]`;
  }
  const names = Object.keys(value);
  sortNames(names);
  let text = '{';
  for (const name of names) {
    const member = canonicalJson((value as Record<string, unknown>)[name]);
    if (member === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${jsonString(name)}:${member}`;
  }
  return `${text}}`;
}

/** Strings up to this length are checked here for characters to escape; longer ones by V8. */
const SCANNED_CHARS = 64;

/**
 * `JSON.stringify(text)`. A short text with nothing to escape (no control character, quote,
 * backslash or surrogate) is quoted as it is, without the call.
 */
function jsonString(text: string): string {
  if (text.length > SCANNED_CHARS) return JSON.stringify(text);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) {
      return JSON.stringify(text);
    }
  }
  return `"${text}"`;
}

/** Objects with up to this many keys have them sorted here; larger ones by `Array#sort`. */
const INSERTION_SORTED = 16;

/**
 * Sorts `names` by UTF-16 code units, as `sort()` does. Payload objects have a few keys, often
 * already in order (then it only compares neighbours): for them `sort()`'s setup costs more than
 * the sorting, about 0.3 µs for three keys.
 */
function sortNames(names: string[]): void {
  if (names.length > INSERTION_SORTED) {
    names.sort();
    return;
  }
  for (let i = 1; i < names.length; i++) {
    const name = names[i];
    let at = i;
    while (at > 0 && names[at - 1] > name) {
      names[at] = names[at - 1];
      at--;
    }
    names[at] = name;
  }
}

const SHOWN_KEY_CHARS = 64;

/** A key as logs may show it: whole when short, else its start and its length. */
export function displayKey(key: string): string {
  if (key.length <= SHOWN_KEY_CHARS) return JSON.stringify(key);
  return `${JSON.stringify(key.slice(0, SHOWN_KEY_CHARS))}… (${key.length} chars)`;
}
