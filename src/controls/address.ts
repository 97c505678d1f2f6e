/**
 * Address text from raw bytes (a sock_diag record, a captured IP header), as Node prints
 * addresses: dotted IPv4, RFC 5952 IPv6.
 */

/** Dotted text of the 4 bytes at `at`. */
export function formatIPv4(view: DataView, at: number): string {
  return `${view.getUint8(at)}.${view.getUint8(at + 1)}.${view.getUint8(at + 2)}.${view.getUint8(at + 3)}`;
}

/**
 * RFC 5952 text of 16 bytes, as Node prints addresses (libuv's inet_ntop): the longest run of
 * two or more zero groups as `::` (the first on a tie), IPv4-mapped and IPv4-compatible
 * addresses with the IPv4 part dotted.
 */
export function formatIPv6(view: DataView, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(view.getUint16(at + 2 * i, false));
  // The longest run of zero groups; the first of equal runs.
  let bestStart = 0;
  let bestLength = 0;
  let runStart = 0;
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) {
      runStart = i + 1;
    } else if (i + 1 - runStart > bestLength) {
      bestStart = runStart;
      bestLength = i + 1 - runStart;
    }
  }
  // RFC 5952 §4.2.2: a single zero group is not shortened.
  if (bestLength < 2) bestLength = 0;
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    return `::${bestLength === 5 ? 'ffff:' : ''}${formatIPv4(view, at + 12)}`;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (bestLength > 0 && i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += groups[i].toString(16);
  }
  return text;
}
