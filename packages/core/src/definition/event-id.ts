import { randomFillSync } from 'node:crypto';

/** Random bytes for 256 ids: one call into the CSPRNG per 256 events. */
const pool = Buffer.allocUnsafe(16 * 256);
let used = pool.length;
/** The id's text, written here and then copied out as one string. */
const text = Buffer.allocUnsafe(36);
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * A random (version 4) UUID, as `crypto.randomUUID()` makes, but as one flat string. That one is
 * put together by concatenation, and V8 keeps every piece: about 490 bytes per id instead of 64,
 * for as long as the envelope (and every event that copies its id as correlation or cause) lives.
 */
export function newEventId(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  let at = 0;
  for (let i = 0; i < 16; i++) {
    let byte = pool[used + i];
    // The version (4) and the RFC 9562 variant (binary 10) replace the top bits of two bytes.
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d;
    text[at++] = HEX[byte >> 4];
    text[at++] = HEX[byte & 0x0f];
  }
  used += 16;
  return text.toString('latin1', 0, 36);
}
