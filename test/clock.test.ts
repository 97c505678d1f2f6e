// The capture's clocks (src/raw/clock.ts, native/capture.cc clockSample): the realtime offset is
// the narrowest of several bracketed samples, so a thread preempted between two clock reads does
// not move a segment out of the step that sent it.
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  GOOD_WIDTH_NS,
  MAX_SAMPLES,
  performanceOffsetMs,
  realtimeOffset,
  stampToMs,
  type ClockSampler,
} from '../src/raw/clock.js';
import { Capture, canCapture } from '../src/raw/capture.js';
import { native } from '../src/controls/native.js';
import { RawSocket } from '../src/raw/raw-socket.js';
import { HOSTS } from './helpers.js';

/** A sampler that answers from `samples` in turn and counts its calls. */
function scripted(samples: Array<[number, number, number]>): ClockSampler & { calls: number } {
  const sampler = Object.assign(
    () => {
      const next = samples[sampler.calls++];
      if (next === undefined) throw new Error('sampled past the script');
      return next;
    },
    { calls: 0 },
  );
  return sampler;
}

describe('realtimeOffset', () => {
  it('takes the first sample when it is narrow enough, and samples no more', () => {
    const sampler = scripted([[1_700_000_000, 5, GOOD_WIDTH_NS]]);
    expect(realtimeOffset(sampler)).toEqual({ seconds: 1_700_000_000, nanoseconds: 5, widthNs: GOOD_WIDTH_NS });
    expect(sampler.calls).toBe(1);
  });

  it('samples again past a wide one and keeps the narrowest', () => {
    const sampler = scripted([
      [100, 900_000_000, 30_000_000], // preempted 30 ms between the reads
      [100, 885_000_000, 2_000_000],
      [100, 880_000_123, 700],
      [100, 1, 1],
    ]);
    expect(realtimeOffset(sampler)).toEqual({ seconds: 100, nanoseconds: 880_000_123, widthNs: 700 });
    expect(sampler.calls).toBe(3);
  });

  it('stops after maxSamples and keeps the narrowest seen, even when none is narrow enough', () => {
    const widths = [9e6, 4e6, 6e6, 3e6, 5e6, 8e6, 7e6, 3.5e6, 1];
    const sampler = scripted(widths.map((w, i) => [i, i, w]));
    expect(realtimeOffset(sampler)).toEqual({ seconds: 3, nanoseconds: 3, widthNs: 3e6 });
    expect(sampler.calls).toBe(MAX_SAMPLES);
    const few = scripted(widths.map((w, i) => [i, i, w]));
    expect(realtimeOffset(few, 2)).toEqual({ seconds: 1, nanoseconds: 1, widthNs: 4e6 });
    expect(few.calls).toBe(2);
  });

  it('keeps the earlier of two samples of the same width', () => {
    const sampler = scripted([
      [1, 1, 100],
      [2, 2, 100],
      [3, 3, 100],
    ]);
    expect(realtimeOffset(sampler, 3, 50)).toEqual({ seconds: 1, nanoseconds: 1, widthNs: 100 });
    expect(sampler.calls).toBe(3);
  });
});

describe('stampToMs', () => {
  it('subtracts the offset part by part and adds the performance offset', () => {
    const toMs = stampToMs({ seconds: 1_700_000_000, nanoseconds: 900_000_000, widthNs: 0 }, -1234.5);
    // 1_700_000_100.2 s realtime is 99.3 s after the offset's monotonic zero.
    expect(toMs(1_700_000_100, 200_000_000)).toBeCloseTo(99_300 - 1234.5, 9);
    expect(toMs(1_700_000_000, 900_000_001)).toBeCloseTo(0.000001 - 1234.5, 9);
  });
});

describe('the clocks as the addon reads them', () => {
  it('realtime minus monotonic, mapped to performance.now(), is Date.now() (to a few ms)', () => {
    const [seconds, nanoseconds, widthNs] = native.capture.clockSample();
    expect(Number.isInteger(seconds) && Number.isInteger(nanoseconds) && Number.isInteger(widthNs)).toBe(true);
    expect(nanoseconds).toBeGreaterThanOrEqual(0);
    expect(nanoseconds).toBeLessThan(1e9);
    expect(widthNs).toBeGreaterThanOrEqual(0);
    const offset = realtimeOffset(native.capture.clockSample);
    const toMs = stampToMs(offset, performanceOffsetMs());
    const nowMs = Date.now();
    // The realtime stamp of now, on performance.now()'s clock, is performance.now().
    const stamp = toMs(Math.floor(nowMs / 1000), (nowMs % 1000) * 1e6);
    expect(Math.abs(stamp - performance.now())).toBeLessThan(5);
  });

  it('performanceOffsetMs maps process.hrtime onto performance.now(): never early, late by well under a ms', () => {
    const offset = performanceOffsetMs();
    const before = performance.now();
    const mapped = Number(process.hrtime.bigint()) / 1e6 + offset;
    const after = performance.now();
    expect(mapped).toBeGreaterThanOrEqual(before); // never early
    expect(mapped).toBeLessThanOrEqual(after + 0.05);
  });
});

const probe = canCapture();
const skipReason = probe.ok ? '' : ` (skipped: ${probe.code}: ${probe.reason})`;

describe.skipIf(!probe.ok).each(HOSTS)(`a preempted clock sample, capturing on %s${skipReason}`, (host) => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('does not move a FIN out of the close() that sent it', async () => {
    // Each measurement's first sample is what a thread preempted 30 ms between its monotonic
    // reads gives: width 30 ms, offset 15 ms off. A capture that trusted it would place every
    // segment of that read 15 ms early, before the syscall that sent it.
    const real = native.capture.clockSample;
    let fresh = true;
    const spy = vi.spyOn(native.capture, 'clockSample').mockImplementation(() => {
      const [seconds, nanoseconds, widthNs] = real();
      if (!fresh) return [seconds, nanoseconds, widthNs];
      fresh = false;
      const skewed = nanoseconds + 15_000_000;
      return [seconds + Math.floor(skewed / 1e9), skewed % 1e9, 30_000_000];
    });
    for (let round = 0; round < 5; round++) {
      const listened = await RawSocket.listen({ host });
      if (!listened.ok) throw new Error(listened.code);
      const listener = listened.socket;
      const capture = Capture.open(listener);
      const { address, port } = listener.localAddress!;
      const [connected, accepted] = await Promise.all([RawSocket.connect({ host: address, port }), listener.accept()]);
      if (!connected.ok || !accepted.ok) throw new Error('no connection');
      await capture.settle();
      fresh = true;
      const before = performance.now();
      accepted.socket.close();
      const after = performance.now();
      await capture.settle();
      const fin = capture.segments.find((s) => s.source.port === port && s.flags.includes('F'));
      capture.close();
      connected.socket.close();
      listener.close();
      expect(fin, `round ${round}: the server's FIN was captured`).toBeDefined();
      expect(fin!.at, `round ${round}`).toBeGreaterThanOrEqual(before);
      expect(fin!.at, `round ${round}`).toBeLessThanOrEqual(after);
    }
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(10);
  });
});
