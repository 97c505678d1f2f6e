/**
 * The capture's clocks. The kernel stamps each frame on CLOCK_REALTIME (packet(7)); steps and
 * segments are timed with performance.now(), which runs on CLOCK_MONOTONIC (libuv's uv_hrtime,
 * shifted to the process's start). Two offsets map one onto the other: realtime to monotonic,
 * measured when frames are read (realtime can be stepped), and monotonic to performance.now(),
 * measured once.
 *
 * Each offset is read between two reads of the other clock and taken at the end of that bracket
 * that makes a mapped time late, never early (a segment is never placed before the syscall that
 * sent it): late by at most the reads' distance. A thread preempted between the reads makes that distance
 * wide: under emulation, with the catalog running, 1 in ~10⁴ read pairs was more than 1 ms apart
 * (33 ms at worst), enough to place a FIN a close() sent under the step after it. So each offset
 * is the narrowest of several samples.
 */
import { performance } from 'node:perf_hooks';

/** One sample of realtime minus monotonic: [seconds, nanoseconds 0..999 999 999, width in ns]. */
export type ClockSampler = () => readonly [seconds: number, nanoseconds: number, widthNs: number];

/** CLOCK_REALTIME minus CLOCK_MONOTONIC, split so doubles hold it exactly. */
export interface RealtimeOffset {
  seconds: number;
  nanoseconds: number;
  /** The distance of the monotonic reads around the realtime one: how late a mapped time can be. */
  widthNs: number;
}

/** Samples taken at most for one offset. */
export const MAX_SAMPLES = 8;
/** A sample this narrow (a mapped time 5 µs late at most; an idle machine's first) ends the search. */
export const GOOD_WIDTH_NS = 5_000;

/**
 * The narrowest of up to `maxSamples` samples; the first at most `goodWidthNs` wide ends the
 * search (on an idle machine, the first: three clock reads take about a µs).
 */
export function realtimeOffset(
  sample: ClockSampler,
  maxSamples: number = MAX_SAMPLES,
  goodWidthNs: number = GOOD_WIDTH_NS,
): RealtimeOffset {
  let [seconds, nanoseconds, widthNs] = sample();
  // Bounded: maxSamples - 1 more samples at most.
  for (let i = 1; i < maxSamples && widthNs > goodWidthNs; i++) {
    const next = sample();
    if (next[2] < widthNs) [seconds, nanoseconds, widthNs] = next;
  }
  return { seconds, nanoseconds, widthNs };
}

/**
 * performance.now() minus process.hrtime() in ms: both CLOCK_MONOTONIC, so one offset maps one
 * onto the other. Taken against the hrtime read before performance.now() (the largest the offset
 * can be, so a mapped time is late, never early), from the narrowest of 16 bracketing reads (the
 * first calls are slow).
 */
export function performanceOffsetMs(samples = 16): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < samples; i++) {
    const before = process.hrtime.bigint();
    const now = performance.now();
    const after = process.hrtime.bigint();
    const width = Number(after - before);
    if (width < best) {
      best = width;
      offset = now - Number(before) / 1e6;
    }
  }
  return offset;
}

/**
 * Converts realtime stamps (seconds, nanoseconds) to ms on performance.now()'s clock, given the
 * realtime offset and performance.now()'s offset from CLOCK_MONOTONIC.
 */
export function stampToMs(offset: RealtimeOffset, performanceMs: number): (seconds: number, nanoseconds: number) => number {
  return (seconds, nanoseconds) => (seconds - offset.seconds) * 1e3 + (nanoseconds - offset.nanoseconds) / 1e6 + performanceMs;
}
