/**
 * TCP segments as the capture hands them over: the IP and TCP headers decoded from one field
 * table (RFC 9293 §3.1, RFC 791, RFC 8200), the payload's length from the IP header (the payload
 * itself is never captured). A frame that does not hold a whole IPv4/IPv6 + TCP header is
 * counted as malformed and skipped: the decoder never reads past what it was given.
 */
import { formatIPv4, formatIPv6 } from '../controls/address.js';

/** One end of a segment. */
export interface SegmentEnd {
  address: string;
  port: number;
}

/** TCP options of a segment, those a ladder uses (RFC 9293 §3.2, RFC 7323, RFC 2018). */
export interface TcpOptions {
  /** Maximum segment size (SYN only). */
  mss?: number;
  /** Window scale shift (SYN only). */
  windowScale?: number;
  sackPermitted?: boolean;
  /** [TSval, TSecr]. */
  timestamp?: [number, number];
  /** SACK blocks, [left, right) pairs. */
  sack?: Array<[number, number]>;
}

/** A segment as the kernel received it on `lo`, absolute numbers. */
export interface CapturedSegment {
  /** When the kernel received it: ms on performance.now()'s clock. */
  at: number;
  family: 4 | 6;
  source: SegmentEnd;
  destination: SegmentEnd;
  seq: number;
  ack: number;
  /** The flags in tcpdump's letters: 'S', 'S.', 'P.', 'F.', 'R', 'R.'. */
  flags: string;
  /** The flags byte. */
  flagBits: number;
  /** The window field as sent (unscaled). */
  window: number;
  /** Payload bytes. */
  length: number;
  options: TcpOptions;
  /** Sent by sockctl's forge (see raw/forge), not by a kernel's TCP. */
  forged?: boolean;
}

/** TCP flag bits (the header's 14th byte), in tcpdump's order of letters. */
export const TCP_FLAGS = Object.freeze({
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
});

/** tcpdump's letter for each flag, in the order it prints them ('S.' is SYN+ACK). */
const FLAG_LETTERS: ReadonlyArray<readonly [number, string]> = [
  [TCP_FLAGS.FIN, 'F'],
  [TCP_FLAGS.SYN, 'S'],
  [TCP_FLAGS.RST, 'R'],
  [TCP_FLAGS.PSH, 'P'],
  [TCP_FLAGS.ACK, '.'],
  [TCP_FLAGS.URG, 'U'],
  [TCP_FLAGS.ECE, 'E'],
  [TCP_FLAGS.CWR, 'W'],
];

/** The flags byte in tcpdump's letters; 'none' for a segment without flags. */
export function flagLetters(bits: number): string {
  const letters = FLAG_LETTERS.filter(([bit]) => (bits & bit) !== 0)
    .map(([, letter]) => letter)
    .join('');
  return letters === '' ? 'none' : letters;
}

/** The flags bits of tcpdump letters ('R.' → RST | ACK); undefined for an unknown letter. */
export function flagBitsOf(letters: string): number | undefined {
  let bits = 0;
  for (const letter of letters) {
    const found = FLAG_LETTERS.find(([, l]) => l === letter);
    if (!found) return undefined;
    bits |= found[0];
  }
  return bits;
}

type Width = 1 | 2 | 4;

/**
 * The header fields read, [name, byte offset, bytes], network order. Offsets are from the start
 * of each header; `dataOffset`/`ihl` are the high/low nibble of their byte.
 */
export const TCP_HEADER_FIELDS: ReadonlyArray<readonly [name: string, offset: number, width: Width]> = [
  ['sourcePort', 0, 2],
  ['destinationPort', 2, 2],
  ['seq', 4, 4],
  ['ack', 8, 4],
  ['dataOffset', 12, 1],
  ['flags', 13, 1],
  ['window', 14, 2],
];

/** Bytes of the fixed TCP header. */
const TCP_HEADER = 20;
const IPV6_HEADER = 40;
const IPV4_HEADER = 20;

function field(view: DataView, at: number, width: Width): number {
  return width === 1 ? view.getUint8(at) : width === 2 ? view.getUint16(at) : view.getUint32(at);
}

function tcpFields(view: DataView, base: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, offset, width] of TCP_HEADER_FIELDS) out[name] = field(view, base + offset, width);
  return out;
}

/** TCP options from `start` to `end`; stops at End, at a malformed length or at `end`. */
function tcpOptions(view: DataView, start: number, end: number): TcpOptions {
  const options: TcpOptions = {};
  let at = start;
  // Bounded: each pass advances at least one byte.
  while (at < end) {
    const kind = view.getUint8(at);
    if (kind === 0) break;
    if (kind === 1) {
      at++;
      continue;
    }
    if (at + 1 >= end) break;
    const length = view.getUint8(at + 1);
    if (length < 2 || at + length > end) break;
    if (kind === 2 && length === 4) options.mss = view.getUint16(at + 2);
    else if (kind === 3 && length === 3) options.windowScale = view.getUint8(at + 2);
    else if (kind === 4 && length === 2) options.sackPermitted = true;
    else if (kind === 8 && length === 10) options.timestamp = [view.getUint32(at + 2), view.getUint32(at + 6)];
    else if (kind === 5 && (length - 2) % 8 === 0) {
      options.sack = [];
      for (let b = at + 2; b + 8 <= at + length; b += 8) options.sack.push([view.getUint32(b), view.getUint32(b + 4)]);
    }
    at += length;
  }
  return options;
}

/**
 * One segment from the bytes of an IP packet (as captured: possibly cut after the TCP header),
 * or undefined when they do not hold a whole IPv4/IPv6 header and TCP header. `wireLength` is
 * the packet's length on the wire; the payload length is taken from the IP header and clamped to
 * it.
 */
export function decodeSegment(packet: Uint8Array, at: number, wireLength = Infinity): CapturedSegment | undefined {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (packet.byteLength < 1) return undefined;
  const version = view.getUint8(0) >> 4;
  let ipHeader: number;
  let ipTotal: number;
  let source: string;
  let destination: string;
  if (version === 4) {
    if (packet.byteLength < IPV4_HEADER) return undefined;
    ipHeader = (view.getUint8(0) & 0x0f) * 4;
    if (ipHeader < IPV4_HEADER || view.getUint8(9) !== 6) return undefined;
    ipTotal = view.getUint16(2);
    source = formatIPv4(view, 12);
    destination = formatIPv4(view, 16);
  } else if (version === 6) {
    if (packet.byteLength < IPV6_HEADER || view.getUint8(6) !== 6) return undefined;
    ipHeader = IPV6_HEADER;
    ipTotal = IPV6_HEADER + view.getUint16(4);
    source = formatIPv6(view, 8);
    destination = formatIPv6(view, 24);
  } else {
    return undefined;
  }
  if (packet.byteLength < ipHeader + TCP_HEADER) return undefined;
  const tcp = tcpFields(view, ipHeader);
  const tcpHeader = (tcp.dataOffset >> 4) * 4;
  if (tcpHeader < TCP_HEADER) return undefined;
  const optionsEnd = Math.min(ipHeader + tcpHeader, packet.byteLength);
  const total = Math.min(ipTotal, wireLength);
  return {
    at,
    family: version === 4 ? 4 : 6,
    source: { address: source, port: tcp.sourcePort },
    destination: { address: destination, port: tcp.destinationPort },
    seq: tcp.seq,
    ack: tcp.ack,
    flags: flagLetters(tcp.flags),
    flagBits: tcp.flags,
    window: tcp.window,
    length: Math.max(0, total - ipHeader - tcpHeader),
    options: tcpOptions(view, ipHeader + TCP_HEADER, optionsEnd),
  };
}

/** Bytes of the header the addon writes before each frame (see native/core/capture.h). */
export const FRAME_HEADER = 16;
const FRAME_ALIGN = 4;

/**
 * The frames the addon's capture read wrote into `bytes[0, used)`: per frame a 16-byte
 * little-endian header (captured bytes, wire length, the kernel's CLOCK_REALTIME stamp in
 * seconds and nanoseconds), then the packet, padded to 4 bytes. `toMs` maps the stamp to the
 * caller's clock (see raw/clock). Frames that do not decode are counted, not thrown.
 */
export function decodeFrames(
  bytes: Uint8Array,
  used: number,
  toMs: (seconds: number, nanoseconds: number) => number,
): { segments: CapturedSegment[]; malformed: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Math.min(used, bytes.byteLength);
  const segments: CapturedSegment[] = [];
  let malformed = 0;
  let at = 0;
  // Bounded: each pass advances by at least the frame header.
  while (at + FRAME_HEADER <= end) {
    const captured = view.getUint32(at, true);
    const wireLength = view.getUint32(at + 4, true);
    const seconds = view.getUint32(at + 8, true);
    const nanoseconds = view.getUint32(at + 12, true);
    const start = at + FRAME_HEADER;
    if (captured > end - start) {
      malformed++;
      break;
    }
    const segment = decodeSegment(bytes.subarray(start, start + captured), toMs(seconds, nanoseconds), wireLength);
    if (segment) segments.push(segment);
    else malformed++;
    at = start + Math.ceil(captured / FRAME_ALIGN) * FRAME_ALIGN;
  }
  return { segments, malformed };
}
