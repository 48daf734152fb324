import { hash } from 'node:crypto';

/**
 * The key a store is given for `key` of `handler`: SHA-256, base64url (43 characters), whatever
 * the length of the event id or key function's result. The UTF-16 code units are hashed as they
 * are (not as UTF-8, which turns every lone surrogate into U+FFFD), and the handler name is
 * length-prefixed, so two distinct (handler, key) pairs never share a store key.
 */
export function idempotencyStoreKey(handler: string, key: string): string {
  return hash('sha256', utf16(`${handler.length}:${handler}:`, key), 'base64url');
}

/** Reused for keys up to its size: hashing is synchronous, and a Buffer per event is garbage. */
const scratch = Buffer.allocUnsafe(4096);

/** `prefix + text` as UTF-16LE bytes, in `scratch` when they fit. */
function utf16(prefix: string, text: string): Buffer {
  const bytes = (prefix.length + text.length) * 2;
  const into = bytes <= scratch.length ? scratch : Buffer.allocUnsafe(bytes);
  into.write(prefix, 0, 'utf16le');
  into.write(text, prefix.length * 2, 'utf16le');
  return into.subarray(0, bytes);
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
  // `!= null`: undefined members reach here too (dropped below, as JSON.stringify drops them).
  if (value != null && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
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
  // Most objects are written with their keys in one order every time; sort only when needed.
  if (!inOrder(names)) names.sort();
  let text = '{';
  for (const name of names) {
    const member = canonicalJson((value as Record<string, unknown>)[name]);
    if (member === undefined) continue;
    if (text.length > 1) text += ',';
    text += `${JSON.stringify(name)}:${member}`;
  }
  return `${text}}`;
}

/** True when `names` are in the order `sort()` would give (UTF-16 code units). */
function inOrder(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (names[i - 1] > names[i]) return false;
  return true;
}

const SHOWN_KEY_CHARS = 64;

/** A key as logs may show it: whole when short, else its start and its length. */
export function displayKey(key: string): string {
  if (key.length <= SHOWN_KEY_CHARS) return JSON.stringify(key);
  return `${JSON.stringify(key.slice(0, SHOWN_KEY_CHARS))}… (${key.length} chars)`;
}
