// One connection's toxics (src/faults/connection-toxics.ts) and its Sleeper, driven directly: which toxics act
// (drawn once per toxicity from the seed), the events a silence, a loss, a reset and a close
// record, what a live add/update/remove does to an open connection, and the timers. The
// receiving socket is a real loopback socket: the filters go onto it (where the privilege is
// missing the kernel refuses them, and the events are still recorded, as on a live fixture).
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionToxics, type ToxicTargets } from '../src/faults/connection-toxics.js';
import {
  actsOnConnection,
  normalizeToxic,
  PROXY_SCOPE,
  ToxicSet,
  type ActiveToxic,
  type ToxicEvent,
} from '../src/faults/toxics.js';
import { Sleeper } from '../src/faults/sleeper.js';
import { detachFilter } from '../src/raw/filter.js';
import { tcpPair, type TcpPair } from './helpers.js';

const toxic = (value: object): ActiveToxic => normalizeToxic(value, 'toxic', PROXY_SCOPE);

let pair: TcpPair | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

/** A connection's toxics over `toxics`, its upstream received by a real socket (or none). */
async function connection(toxics: ActiveToxic[], options: { socket?: boolean; seed?: number; number?: number } = {}) {
  pair ??= await tcpPair();
  const calls: string[] = [];
  const events: ToxicEvent[] = [];
  const set = new ToxicSet(PROXY_SCOPE, toxics);
  const socket = options.socket === false ? undefined : pair.server;
  const targets: ToxicTargets = {
    receiver: (stream) => (stream === 'upstream' ? socket : undefined),
    reset: () => calls.push('reset'),
    close: () => calls.push('close'),
    silenceChanged: () => calls.push('silenceChanged'),
  };
  const origin = performance.now();
  const toxicsOf = new ConnectionToxics(set, options.seed ?? 1, options.number ?? 1, events, origin, targets);
  return { toxics: toxicsOf, set, calls, events, origin, actions: () => events.map((e) => `${e.toxic}:${e.action}`) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('which toxics act on a connection', () => {
  it('is drawn once per toxicity, from the seed and the connection number: a new toxicity draws again', async () => {
    const never = toxic({ type: 'latency', name: 'lag', latency: 5, toxicity: 0 });
    const { toxics } = await connection([never]);
    expect(toxics.acts(never)).toBe(false);
    expect(toxics.acts({ ...never, toxicity: 1 })).toBe(true);
    expect(toxics.acts(never)).toBe(false);
    // A toxicity in between: the seeded draw, the same each time it is asked.
    const half = { ...never, toxicity: 0.5 };
    const draws = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => actsOnConnection(7, n, half));
    expect(draws).toContain(true);
    expect(draws).toContain(false);
    for (const [i, drawn] of draws.entries()) {
      const other = await connection([half], { seed: 7, number: i + 1 });
      expect(other.toxics.acts(half)).toBe(drawn);
      expect(other.toxics.acts(half)).toBe(drawn);
    }
  });

  it("records 'spared' for a toxic its toxicity leaves out, and starts nothing for it", async () => {
    const spared = toxic({ type: 'resetPeer', name: 'rst', stream: 'upstream', timeout: 0, toxicity: 0 });
    const { toxics, calls, actions } = await connection([spared]);
    toxics.start();
    await sleep(5);
    expect(actions()).toEqual(['rst:spared']);
    expect(calls).toEqual([]);
  });
});

describe('timers', () => {
  it('resetPeer resets after its timeout and records it; timeout closes after its own', async () => {
    const rst = toxic({ type: 'resetPeer', name: 'rst', stream: 'downstream', timeout: 200 });
    const { toxics, calls, actions, events } = await connection([rst]);
    toxics.start();
    await sleep(20);
    expect(calls).toEqual([]);
    await sleep(300);
    expect(calls).toEqual(['reset']);
    expect(actions()).toEqual(['rst:reset']);
    expect(events[0].at).toBeGreaterThanOrEqual(199);
    expect(events[0]).toMatchObject({ type: 'resetPeer', stream: 'downstream' });
  });

  it('a timeout of 0 acts in a microtask, before any timer; dispose() first stops it', async () => {
    const rst = toxic({ type: 'resetPeer', name: 'rst', stream: 'downstream', timeout: 0 });
    const first = await connection([rst]);
    first.toxics.start();
    expect(first.calls).toEqual([]);
    await Promise.resolve();
    expect(first.calls).toEqual(['reset']);
    const second = await connection([rst]);
    second.toxics.start();
    second.toxics.dispose();
    await sleep(5);
    expect(second.calls).toEqual([]);
  });

  it('dispose() clears the timers: nothing fires after', async () => {
    const close = toxic({ type: 'timeout', name: 'quiet', stream: 'downstream', timeout: 20 });
    const { toxics, calls } = await connection([close]);
    toxics.start();
    toxics.dispose();
    await sleep(40);
    expect(calls).toEqual([]);
  });
});

describe('silence and loss on the receiving socket', () => {
  it("a timeout toxic silences its stream at start ('silence', silenceChanged), and its deadline closes", async () => {
    const quiet = toxic({ type: 'timeout', name: 'quiet', stream: 'upstream', timeout: 30 });
    const { toxics, calls, actions } = await connection([quiet]);
    toxics.start();
    expect(actions()).toEqual(['quiet:silence']);
    expect(calls).toEqual(['silenceChanged']);
    expect(toxics.silenced('upstream')).toBe(true);
    expect(toxics.silenced('downstream')).toBe(false);
    await sleep(60);
    expect(actions()).toEqual(['quiet:silence', 'quiet:close']);
    expect(calls).toEqual(['silenceChanged', 'close']);
  });

  it('a timeout of 0 silences without a deadline: nothing closes', async () => {
    const quiet = toxic({ type: 'timeout', name: 'quiet', stream: 'upstream', timeout: 0 });
    const { toxics, calls, actions } = await connection([quiet]);
    toxics.start();
    await sleep(20);
    expect(actions()).toEqual(['quiet:silence']);
    expect(calls).toEqual(['silenceChanged']);
  });

  it("packet loss puts a loss filter on ('filter' for each loss toxic, no silence)", async () => {
    const a = toxic({ type: 'packetLoss', name: 'a', stream: 'upstream', probability: 0.5 });
    const b = toxic({ type: 'packetLoss', name: 'b', stream: 'upstream', probability: 0.2 });
    const { toxics, calls, actions } = await connection([a, b]);
    toxics.start();
    expect(actions()).toEqual(['a:filter', 'b:filter']);
    expect(calls).toEqual([]);
    expect(toxics.silenced('upstream')).toBe(false);
  });

  it('a silence overrides a loss on the same stream; when it ends, the loss filters', async () => {
    const quiet = toxic({ type: 'timeout', name: 'quiet', stream: 'upstream', timeout: 0 });
    const loss = toxic({ type: 'packetLoss', name: 'loss', stream: 'upstream', probability: 0.5 });
    const { toxics, set, actions } = await connection([quiet, loss]);
    toxics.start();
    expect(actions()).toEqual(['quiet:silence']);
    toxics.changed('remove', set.remove('quiet'));
    expect(actions()).toEqual(['quiet:silence', 'quiet:unsilence', 'loss:filter']);
    expect(toxics.silenced('upstream')).toBe(false);
  });

  it("a loss interrupted by a silence records 'filter' again when the silence ends", async () => {
    const loss = toxic({ type: 'packetLoss', name: 'loss', stream: 'upstream', probability: 0.5 });
    const { toxics, set, actions } = await connection([loss]);
    toxics.start();
    toxics.changed('add', set.add({ type: 'timeout', name: 'quiet', stream: 'upstream', timeout: 0 }));
    expect(toxics.silenced('upstream')).toBe(true);
    toxics.changed('remove', set.remove('quiet'));
    expect(actions()).toEqual(['loss:filter', 'quiet:silence', 'quiet:unsilence', 'loss:filter']);
  });

  it("a loss added to a running one records 'filter' for itself only; a new probability records nothing", async () => {
    const a = toxic({ type: 'packetLoss', name: 'a', stream: 'upstream', probability: 0.5 });
    const { toxics, set, actions } = await connection([a]);
    toxics.start();
    toxics.changed('add', set.add({ type: 'packetLoss', name: 'b', stream: 'upstream', probability: 0.3 }));
    expect(actions()).toEqual(['a:filter', 'b:filter']);
    const { before, after } = set.update('b', { probability: 0.1 });
    toxics.changed('update', after, before);
    expect(actions()).toEqual(['a:filter', 'b:filter']);
    toxics.changed('remove', set.remove('b'));
    expect(actions()).toEqual(['a:filter', 'b:filter', 'b:unfilter']);
    toxics.changed('add', set.add({ type: 'packetLoss', name: 'b', stream: 'upstream', probability: 0.3 }));
    expect(actions()).toEqual(['a:filter', 'b:filter', 'b:unfilter', 'b:filter']);
  });

  it('a stream without a receiving socket yet gets its filter when resync() finds one', async () => {
    const quiet = toxic({ type: 'timeout', name: 'quiet', stream: 'downstream', timeout: 0 });
    const { toxics, actions, calls } = await connection([quiet]);
    toxics.start();
    // Downstream has no receiver here: nothing is put on, nothing recorded.
    expect(actions()).toEqual([]);
    toxics.resync();
    expect(actions()).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('pinSilent silences a stream whatever the toxics say; resync() after dispose() does nothing', async () => {
    const { toxics, calls, actions } = await connection([]);
    toxics.pinSilent('upstream');
    expect(toxics.silenced('upstream')).toBe(true);
    expect(calls).toEqual(['silenceChanged']);
    expect(actions()).toEqual([]); // no toxic to name
    toxics.dispose();
    toxics.resync();
    expect(calls).toEqual(['silenceChanged']);
  });
});

describe('a live change on an open connection', () => {
  it("removing an acting timeout ends its silence ('unsilence'); removing a spared one records nothing", async () => {
    const quiet = toxic({ type: 'timeout', name: 'quiet', stream: 'upstream', timeout: 0 });
    const spared = toxic({ type: 'timeout', name: 'spared', stream: 'upstream', timeout: 0, toxicity: 0 });
    const { toxics, set, calls, actions } = await connection([quiet, spared]);
    toxics.start();
    expect(actions()).toEqual(['spared:spared', 'quiet:silence']);
    toxics.changed('remove', set.remove('spared'));
    expect(actions()).toEqual(['spared:spared', 'quiet:silence']);
    expect(toxics.silenced('upstream')).toBe(true);
    toxics.changed('remove', set.remove('quiet'));
    expect(actions()).toEqual(['spared:spared', 'quiet:silence', 'quiet:unsilence']);
    expect(toxics.silenced('upstream')).toBe(false);
    expect(calls).toEqual(['silenceChanged', 'silenceChanged']);
    // No filter is left on the socket (detaching finds none; unprivileged, none was ever put on).
    expect(() => detachFilter(pair!.server)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('an update of a spared toxic that stays spared ends nothing', async () => {
    const spared = toxic({ type: 'timeout', name: 'spared', stream: 'upstream', timeout: 0, toxicity: 0 });
    const { toxics, set, actions, calls } = await connection([spared]);
    toxics.start();
    const { before, after } = set.update('spared', { timeout: 10 });
    toxics.changed('update', after, before);
    expect(actions()).toEqual(['spared:spared', 'spared:spared']);
    expect(calls).toEqual([]);
  });

  it('resync() after dispose() leaves the filters as they were, whatever the set says now', async () => {
    const quiet = toxic({ type: 'timeout', name: 'quiet', stream: 'upstream', timeout: 0 });
    const { toxics, set, actions, calls } = await connection([quiet]);
    toxics.start();
    toxics.dispose();
    set.remove('quiet');
    toxics.resync();
    expect(actions()).toEqual(['quiet:silence']);
    expect(calls).toEqual(['silenceChanged']);
    expect(toxics.silenced('upstream')).toBe(true);
  });

  it("removing a loss toxic records 'unfilter'", async () => {
    const loss = toxic({ type: 'packetLoss', name: 'loss', stream: 'upstream', probability: 0.5 });
    const { toxics, set, actions } = await connection([loss]);
    toxics.start();
    toxics.changed('remove', set.remove('loss'));
    expect(actions()).toEqual(['loss:filter', 'loss:unfilter']);
  });

  it('an update that leaves the connection out ends what the toxic did; one that keeps it does not', async () => {
    const quiet = toxic({ type: 'timeout', name: 'quiet', stream: 'upstream', timeout: 0 });
    const { toxics, set, actions } = await connection([quiet]);
    toxics.start();
    const kept = set.update('quiet', { timeout: 0 });
    toxics.changed('update', kept.after, kept.before);
    expect(actions()).toEqual(['quiet:silence']);
    const dropped = set.update('quiet', { toxicity: 0 });
    toxics.changed('update', dropped.after, dropped.before);
    expect(actions()).toEqual(['quiet:silence', 'quiet:unsilence', 'quiet:spared']);
    expect(toxics.silenced('upstream')).toBe(false);
    // Back on: drawn again for the new toxicity, and silent again.
    const back = set.update('quiet', { toxicity: 1 });
    toxics.changed('update', back.after, back.before);
    expect(actions()).toEqual(['quiet:silence', 'quiet:unsilence', 'quiet:spared', 'quiet:silence']);
  });

  it('an update restarts the toxic: its timer counts from the change', async () => {
    // Wide margins: a loaded machine may stretch each sleep by a good part of them.
    const rst = toxic({ type: 'resetPeer', name: 'rst', stream: 'downstream', timeout: 300 });
    const { toxics, set, calls } = await connection([rst]);
    toxics.start();
    await sleep(50);
    const { before, after } = set.update('rst', { timeout: 600 });
    toxics.changed('update', after, before);
    await sleep(350); // ~400 ms after start: the first timer would have fired
    expect(calls).toEqual([]);
    await sleep(450);
    expect(calls).toEqual(['reset']);
  });

  it('an add acts at once; changes after dispose() do nothing', async () => {
    const { toxics, set, actions, calls } = await connection([]);
    toxics.start();
    toxics.changed('add', set.add({ type: 'timeout', name: 'late', stream: 'upstream', timeout: 0 }));
    expect(actions()).toEqual(['late:silence']);
    toxics.dispose();
    toxics.changed('remove', set.remove('late'));
    expect(actions()).toEqual(['late:silence']);
    expect(calls).toEqual(['silenceChanged']);
  });
});

describe('slowClose', () => {
  it('holds a FIN for the longest slowClose acting on that stream', async () => {
    const short = toxic({ type: 'slowClose', name: 'short', stream: 'downstream', delay: 10 });
    const long = toxic({ type: 'slowClose', name: 'long', stream: 'downstream', delay: 50 });
    const spared = toxic({ type: 'slowClose', name: 'spared', stream: 'downstream', delay: 90, toxicity: 0 });
    const other = toxic({ type: 'slowClose', name: 'other', stream: 'upstream', delay: 70 });
    const lag = toxic({ type: 'latency', name: 'lag', stream: 'downstream', latency: 80 });
    const { toxics } = await connection([short, spared, long, other, lag]);
    expect(toxics.slowClose('downstream')).toEqual({ delay: 50, toxic: long });
    expect(toxics.slowClose('upstream')).toEqual({ delay: 70, toxic: other });
    const equal = await connection([toxic({ ...long, name: 'first' }), toxic({ ...long, name: 'second' })]);
    expect(equal.toxics.slowClose('downstream').toxic?.name).toBe('first');
    expect((await connection([lag])).toxics.slowClose('downstream')).toEqual({ delay: 0 });
  });
});

describe('times', () => {
  it('now() is ms since the origin, to a tenth', async () => {
    const { toxics, origin } = await connection([]);
    await sleep(15);
    const before = performance.now() - origin;
    const now = toxics.now();
    const after = performance.now() - origin;
    expect(now).toBeGreaterThanOrEqual(Math.floor(before * 10) / 10);
    expect(now).toBeLessThanOrEqual(Math.ceil(after * 10) / 10);
    expect(Math.round(now * 10)).toBe(now * 10);
  });
});

describe('Sleeper', () => {
  it('until() resolves at its time, not before; at once for a time already past', async () => {
    const sleeper = new Sleeper();
    const at = performance.now() + 30;
    await sleeper.until(at, () => false);
    expect(performance.now()).toBeGreaterThanOrEqual(at);
    const started = performance.now();
    await sleeper.until(started - 1, () => false);
    await sleeper.until(started, () => false);
    expect(performance.now() - started).toBeLessThan(5);
  });

  it('wakeAll() cuts every sleep short; until() then returns if stop() says so, else sleeps on', async () => {
    const sleeper = new Sleeper();
    let stop = false;
    const started = performance.now();
    const stopped = sleeper.until(started + 5_000, () => stop);
    const slept = sleeper.sleep(5_000);
    const goesOn = sleeper.until(started + 60, () => false);
    setTimeout(() => {
      stop = true;
      sleeper.wakeAll();
    }, 20);
    await Promise.all([stopped, slept]);
    expect(performance.now() - started).toBeLessThan(1_000);
    await goesOn;
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);
  });
});
