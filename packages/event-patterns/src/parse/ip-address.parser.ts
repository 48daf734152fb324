// EventBridge only tries strings made of hex digits and colons as IPv6, so "::ffff:1.2.3.4" and
// zone ids ("fe80::1%eth0") are plain strings to it.
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * The bytes of an IP address literal, or undefined when the text is not one. IPv4-mapped IPv6
 * addresses (`::ffff:a00:1`) come back as IPv4, as Java's InetAddress (and so EventBridge) does.
 */
export function parseIpAddress(text: string): Uint8Array | undefined {
  if (!text.includes(':')) return parseIpv4(text);
  if (!IPV6.test(text)) return undefined;
  const bytes = parseIpv6(text);
  if (bytes && isIpv4Mapped(bytes)) return bytes.slice(12);
  return bytes;
}

/** A canonical text for an address, so equal addresses written differently compare equal. */
export function ipAddressKey(address: Uint8Array): string {
  return address.join('.');
}

// Scanned by hand: events carry many strings that are not addresses, and this runs per value.
function parseIpv4(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : DOT;
    if (code === DOT) {
      if (digits === 0 || part === 4) return undefined;
      bytes[part++] = value;
      value = 0;
      digits = 0;
    } else if (code >= ZERO && code <= NINE) {
      // Leading zeros read as octal in some parsers and decimal in others; modern JDKs refuse them.
      if (digits > 0 && value === 0) return undefined;
      value = value * 10 + code - ZERO;
      if (++digits > 3 || value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return part === 4 ? bytes : undefined;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = head.length + tail.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  if (![...head, ...tail].every((group) => HEX_GROUP.test(group))) return undefined;
  const bytes = new Uint8Array(16);
  const write = (group: string, index: number) => {
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  };
  head.forEach((group, i) => write(group, i));
  tail.forEach((group, i) => write(group, 8 - tail.length + i));
  return bytes;
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}
