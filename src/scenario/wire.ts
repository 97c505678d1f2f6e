/**
 * A scenario's view of the wire: its segments placed under the steps that set them off, and the
 * steps' wire expectations checked against them.
 */
import {
  invalidArgType,
  invalidArgValue,
  validateBoolean,
  validateInteger,
  validateObject,
  validateOneOf,
} from '../controls/validate.js';
import { flagBitsOf } from '../raw/segment.js';
import { hasFlags, type WireSegment } from '../raw/wire.js';
import type { WireCheck, WireExpectation } from './types.js';

const ENDS = ['client', 'server'] as const;
const SCOPES = ['step', 'rest'] as const;
const MAX_COUNT = 1_000_000;

function range(value: unknown, name: string): { min?: number; max?: number } {
  const r = validateObject(value as { min?: number; max?: number }, name);
  const out: { min?: number; max?: number } = {};
  if (r.min !== undefined) out.min = validateInteger(r.min, `${name}.min`, 0, 2 ** 31 - 1);
  if (r.max !== undefined) out.max = validateInteger(r.max, `${name}.max`, out.min ?? 0, 2 ** 31 - 1);
  return out;
}

/** Checks a {@link WireExpectation}; returns a copy holding only what it names. */
export function validateWireExpectation(expectation: WireExpectation, name: string): WireExpectation {
  const e = validateObject(expectation, name);
  const from = validateOneOf(e.from, `${name}.from`, ENDS);
  if (typeof e.flags !== 'string') throw invalidArgType(`${name}.flags`, 'of type string', e.flags);
  if (e.flags === '' || flagBitsOf(e.flags) === undefined) {
    throw invalidArgValue(`${name}.flags`, "tcpdump's flag letters (S F R P . U E W)", e.flags);
  }
  const out: WireExpectation = { from, flags: e.flags };
  if (e.exact !== undefined) out.exact = validateBoolean(e.exact, `${name}.exact`, false);
  if (e.count !== undefined) {
    out.count =
      typeof e.count === 'number' ? validateInteger(e.count, `${name}.count`, 0, MAX_COUNT) : range(e.count, `${name}.count`);
  }
  if (e.data !== undefined) out.data = validateBoolean(e.data, `${name}.data`, false);
  if (e.spacingMs !== undefined) out.spacingMs = range(e.spacingMs, `${name}.spacingMs`);
  if (e.backoff !== undefined) out.backoff = validateBoolean(e.backoff, `${name}.backoff`, false);
  if (e.scope !== undefined) out.scope = validateOneOf(e.scope, `${name}.scope`, SCOPES);
  return out;
}

function countWords(count: WireExpectation['count']): { min: number; max: number; words: string } {
  if (count === undefined) return { min: 1, max: Infinity, words: '' };
  if (typeof count === 'number') return { min: count, max: count, words: count === 0 ? 'no ' : `${count} × ` };
  const min = count.min ?? 0;
  const max = count.max ?? Infinity;
  const words = max === Infinity ? `≥ ${min} × ` : min === max ? `${min} × ` : `${min}–${max} × `;
  return { min, max, words };
}

/** The expectation in words, as reports show it: 'server sends R', 'client sends 2 × . (no data)'. */
export function describeExpectation(e: WireExpectation): string {
  const parts = [`${e.from} sends ${countWords(e.count).words}${e.exact ? `exactly ${e.flags}` : e.flags}`];
  if (e.data !== undefined) parts.push(e.data ? 'with data' : '(no data)');
  if (e.spacingMs) parts.push(`${e.spacingMs.min ?? 0}–${e.spacingMs.max ?? '∞'} ms apart`);
  if (e.backoff) parts.push('backing off');
  if (e.scope === 'step') parts.push('in this step');
  return parts.join(' ');
}

function matches(e: WireExpectation, s: WireSegment): boolean {
  if (s.forged || s.from !== e.from) return false;
  if (e.exact ? s.flags !== e.flags : !hasFlags(s, e.flags)) return false;
  return e.data === undefined || s.length > 0 === e.data;
}

/**
 * Checks `e` against the segments of its step (`perStep[index]`) and, unless scoped to the step,
 * every later step's.
 */
export function checkExpectation(e: WireExpectation, index: number, perStep: readonly WireSegment[][]): WireCheck {
  const pool = e.scope === 'step' ? (perStep[index] ?? []) : perStep.slice(index).flat();
  const found = pool.filter((s) => matches(e, s));
  const gaps = found.slice(1).map((s, i) => Math.round(s.atMs - found[i].atMs));
  const { min, max } = countWords(e.count);
  let ok = found.length >= min && found.length <= max;
  if (e.spacingMs) ok &&= gaps.every((g) => g >= (e.spacingMs?.min ?? 0) && g <= (e.spacingMs?.max ?? Infinity));
  if (e.backoff) {
    // Linux's first retransmission is a tail-loss probe, timed from the RTT (200 ms on an idle
    // loopback, more on a loaded or emulated machine); from the RTO on, each gap doubles. How
    // many fit before a user timeout depends on the machine's speed, so: at least two gaps; from
    // the second on, none shrinks past timer jitter (20 %); given three or more, the last is at
    // least 1.5× the smallest before it.
    const before = gaps.slice(0, -1);
    ok &&=
      gaps.length >= 2 &&
      gaps.every((g, i) => i < 2 || g >= 0.8 * gaps[i - 1]) &&
      (gaps.length < 3 || gaps[gaps.length - 1] >= 1.5 * Math.min(...before));
  }
  const flags = [...new Set(found.map((s) => s.flags))].join('/') || e.flags;
  const seen = `${found.length} × ${flags} from ${e.from}${gaps.length ? `, gaps ${gaps.join(', ')} ms` : ''}`;
  return { expects: describeExpectation(e), seen, ok };
}

/**
 * Places each segment under the step that was running when the kernel received it: the last
 * step started at or before it. `starts` are the steps' start times on the segments' clock;
 * segments before the first step are the setup's.
 */
export function placeSegments(
  segments: readonly WireSegment[],
  starts: readonly number[],
): { setup: WireSegment[]; perStep: WireSegment[][] } {
  const setup: WireSegment[] = [];
  const perStep: WireSegment[][] = starts.map(() => []);
  for (const s of segments) {
    let index = -1;
    for (let i = starts.length - 1; i >= 0; i--) {
      if (starts[i] <= s.atMs) {
        index = i;
        break;
      }
    }
    (index < 0 ? setup : perStep[index]).push(s);
  }
  return { setup, perStep };
}
