/**
 * Captured segments as people read them: each end named, sequence numbers relative to the
 * sender's initial sequence number and acknowledgements relative to the receiver's (as tcpdump
 * prints them), windows scaled as negotiated, times from a chosen origin. Relative numbers are
 * what stays the same from one run to the next: ISNs are random, times vary.
 */
import { invalidArgType, validateFunction, validateObject } from '../controls/validate.js';
import type { CapturedSegment, SegmentEnd } from './segment.js';

/** A captured segment, relative to its connection. */
export interface WireSegment {
  /** The end that sent it ('client', 'server', or whatever the caller names ends). */
  from: string;
  to: string;
  /** tcpdump's letters: 'S', 'S.', '.', 'P.', 'F.', 'R', 'R.'. */
  flags: string;
  /** Sequence number relative to the sender's first (its SYN's when the SYN was seen). */
  seq: number;
  /** Acknowledgement number relative to the receiver's first sequence number; absent without ACK. */
  ack?: number;
  /** Payload bytes. */
  length: number;
  /** The receive window the sender advertised, bytes (scaled once both SYNs offered scaling). */
  window: number;
  /** When the kernel received it, ms since the origin (a scenario's start), to the µs. */
  atMs: number;
  /** Sent by sockctl's forge, not by a kernel's TCP. */
  forged?: boolean;
}

/** A segment without what varies between runs (its time, its window): what a saved ladder keeps. */
export type SegmentShape = Omit<WireSegment, 'atMs' | 'window'> & { atMs?: number; window?: number };

const NUMBERS = ['at', 'seq', 'ack', 'flagBits', 'window', 'length'] as const;

/** A captured segment as {@link wireSegments} reads it; anything else is refused, coded. */
function checkSegment(segment: unknown, i: number): void {
  const name = `segments[${i}]`;
  const s = validateObject(segment as CapturedSegment, name);
  for (const end of ['source', 'destination'] as const) {
    const e = validateObject(s[end], `${name}.${end}`);
    if (typeof e.address !== 'string' || typeof e.port !== 'number')
      throw invalidArgType(`${name}.${end}`, '{ address: string, port: number }', e);
  }
  for (const field of NUMBERS)
    if (typeof s[field] !== 'number') throw invalidArgType(`${name}.${field}`, 'of type number', s[field]);
  if (typeof s.flags !== 'string') throw invalidArgType(`${name}.flags`, 'of type string', s.flags);
  validateObject(s.options, `${name}.options`);
}

const keyOf = (end: SegmentEnd) => `${end.address}|${end.port}`;

/**
 * The segments, relative: `nameOf` names each end (segments whose ends it names `undefined` are
 * left out), `origin` is the time 0 on performance.now()'s clock.
 */
export function wireSegments(
  segments: readonly CapturedSegment[],
  nameOf: (end: SegmentEnd) => string | undefined,
  origin: number,
): WireSegment[] {
  if (!Array.isArray(segments)) throw invalidArgType('segments', 'an Array of captured segments', segments);
  validateFunction(nameOf, 'nameOf');
  if (!Number.isFinite(origin)) throw invalidArgType('origin', 'a finite number', origin);
  segments.forEach(checkSegment);
  const base = new Map<string, number>();
  const scale = new Map<string, number>();
  for (const s of segments) {
    const key = keyOf(s.source);
    if (!base.has(key)) base.set(key, s.seq);
    if ((s.flagBits & 0x02) !== 0 && s.options.windowScale !== undefined && !scale.has(key)) {
      scale.set(key, Math.min(s.options.windowScale, 14));
    }
  }
  const out: WireSegment[] = [];
  for (const s of segments) {
    const from = nameOf(s.source);
    const to = nameOf(s.destination);
    if (from === undefined || to === undefined) continue;
    const source = keyOf(s.source);
    const destination = keyOf(s.destination);
    const syn = (s.flagBits & 0x02) !== 0;
    // RFC 7323 §2.2: the window of a SYN is never scaled, and scaling holds only when both
    // SYNs carried the option.
    const shift = !syn && scale.has(source) && scale.has(destination) ? (scale.get(source) as number) : 0;
    const segment: WireSegment = {
      from,
      to,
      flags: s.flags,
      seq: (s.seq - (base.get(source) ?? 0)) >>> 0,
      length: s.length,
      window: s.window * 2 ** shift,
      atMs: Math.round((s.at - origin) * 1000) / 1000,
    };
    if ((s.flagBits & 0x10) !== 0) segment.ack = (s.ack - (base.get(destination) ?? 0)) >>> 0;
    if (s.forged) segment.forged = true;
    out.push(segment);
  }
  return out;
}

/**
 * The segment in one line, as a ladder labels its arrow: flags, sequence numbers (the range
 * `first:next` when it carries data), ack, payload length; the window with `window: true`.
 * E.g. `P. 1:3 ack 1 len 2`, `R. 3 ack 3`, `S 0`.
 */
export function segmentLabel(segment: SegmentShape, options: { window?: boolean } = {}): string {
  const parts = [segment.flags];
  parts.push(segment.length > 0 ? `${segment.seq}:${(segment.seq + segment.length) >>> 0}` : String(segment.seq));
  if (segment.ack !== undefined) parts.push(`ack ${segment.ack}`);
  if (segment.length > 0) parts.push(`len ${segment.length}`);
  if (options.window && segment.window !== undefined) parts.push(`win ${segment.window}`);
  if (segment.forged) parts.push('(forged)');
  return parts.join(' ');
}

/** Whether `segment` carries every flag of `letters` ('R' matches 'R' and 'R.'; '.' is ACK). */
export function hasFlags(segment: { flags: string }, letters: string): boolean {
  return [...letters].every((letter) => segment.flags.includes(letter));
}
