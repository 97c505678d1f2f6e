// The toxics' and steps' checks and bookkeeping (src/faults/toxics.ts, steps.ts), without sockets: each field's refusal
// names the field, the limits sit at their exact values, the set counts its changes, and the
// seeded draw is pinned (a seed must replay the same decisions from one version to the next).
import { describe, expect, it } from 'vitest';
import {
  actsOnConnection,
  MAX_TOXIC_EVENTS,
  MAX_TOXICS,
  normalizeToxic,
  normalizeToxics,
  PROXY_SCOPE,
  pushEvent,
  StreamShaper,
  ToxicSet,
  unitRandom,
  validateSeed,
  type ToxicEvent,
} from '../src/faults/toxics.js';
import { isSilent, normalizeStep, silentFromStart } from '../src/faults/steps.js';
import { caught } from './helpers.js';

const one = (toxic: object) => normalizeToxics([toxic], 'options.toxics', PROXY_SCOPE)[0];
const refusal = (toxic: object) => {
  const error = caught(() => one(toxic)) as { code?: string; message?: string };
  return `${error.code}: ${error.message?.split('. ')[0]}`;
};

describe('a toxic field that is out of range is refused by its own name', () => {
  it.each([
    [{ type: 'latency', latency: -1 }, 'ERR_OUT_OF_RANGE: The value of "options.toxics[0].latency" is out of range'],
    [{ type: 'latency', latency: 1, jitter: -1 }, 'ERR_OUT_OF_RANGE: The value of "options.toxics[0].jitter" is out of range'],
    [
      { type: 'bandwidth', bytesPerSecond: 0 },
      'ERR_OUT_OF_RANGE: The value of "options.toxics[0].bytesPerSecond" is out of range',
    ],
    [{ type: 'slicer', averageSize: 0 }, 'ERR_OUT_OF_RANGE: The value of "options.toxics[0].averageSize" is out of range'],
    [
      { type: 'slicer', averageSize: 10, sizeVariation: 10 },
      'ERR_OUT_OF_RANGE: The value of "options.toxics[0].sizeVariation" is out of range',
    ],
    [{ type: 'slicer', averageSize: 10, delay: -1 }, 'ERR_OUT_OF_RANGE: The value of "options.toxics[0].delay" is out of range'],
    [{ type: 'slowClose', delay: -1 }, 'ERR_OUT_OF_RANGE: The value of "options.toxics[0].delay" is out of range'],
    [{ type: 'slowClose' }, 'ERR_INVALID_ARG_TYPE: The "options.toxics[0].delay" argument must be of type number'],
    [{ type: 'limitData', bytes: -1 }, 'ERR_OUT_OF_RANGE: The value of "options.toxics[0].bytes" is out of range'],
    [
      { type: 'limitData', bytes: 1, then: 'x' },
      "ERR_INVALID_ARG_VALUE: The argument 'options.toxics[0].then' must be 'fin', 'reset'",
    ],
    [
      { type: 'timeout', stream: 'upstream', timeout: -1 },
      'ERR_OUT_OF_RANGE: The value of "options.toxics[0].timeout" is out of range',
    ],
    [{ type: 'resetPeer', timeout: -1 }, 'ERR_OUT_OF_RANGE: The value of "options.toxics[0].timeout" is out of range'],
    [
      { type: 'packetLoss', stream: 'upstream', probability: 2 },
      'ERR_OUT_OF_RANGE: The value of "options.toxics[0].probability" is out of range',
    ],
  ])('%j', (toxic, expected) => {
    expect(refusal(toxic)).toBe(expected);
  });

  it('a slicer variation up to one less than its average is accepted; the defaults are filled in', () => {
    expect(one({ type: 'slicer', averageSize: 10, sizeVariation: 9 })).toMatchObject({
      averageSize: 10,
      sizeVariation: 9,
      delay: 0,
    });
    expect(one({ type: 'latency', latency: 5 })).toMatchObject({ latency: 5, jitter: 0 });
    expect(one({ type: 'limitData', bytes: 3 })).toMatchObject({ bytes: 3, then: 'fin' });
    expect(one({ type: 'resetPeer' })).toMatchObject({ timeout: 0 });
  });
});

describe('a list of toxics', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ type: 'latency', name: `t${i}`, latency: 1 }));

  it(`holds at most ${MAX_TOXICS}, each name once`, () => {
    expect(normalizeToxics(many(MAX_TOXICS), 'options.toxics', PROXY_SCOPE)).toHaveLength(MAX_TOXICS);
    expect(caught(() => normalizeToxics(many(MAX_TOXICS + 1), 'options.toxics', PROXY_SCOPE))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: `The argument 'options.toxics.length' must be at most ${MAX_TOXICS} toxics. Received type number (${MAX_TOXICS + 1})`,
    });
    expect(
      caught(() =>
        normalizeToxics([...many(2), { type: 'bandwidth', name: 't1', bytesPerSecond: 1 }], 'options.toxics', PROXY_SCOPE),
      ),
    ).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'options.toxics[2].name' must be a name no other toxic has. Received type string ('t1')",
    });
    expect(normalizeToxics(undefined, 'options.toxics', PROXY_SCOPE)).toEqual([]);
  });
});

describe('ToxicSet', () => {
  it('counts every change in generation, and names what it refuses', () => {
    const set = new ToxicSet(PROXY_SCOPE, []);
    expect(set.generation).toBe(0);
    set.add({ type: 'latency', name: 'a', latency: 1 });
    expect(set.generation).toBe(1);
    set.update('a', { latency: 2 });
    expect(set.generation).toBe(2);
    set.remove('a');
    expect(set.generation).toBe(3);
    expect(caught(() => set.add(5))).toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
      message: 'The "toxic" argument must be of type object. Received type number (5)',
    });
    expect(caught(() => set.update('a', {}))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'name' must be the name of a toxic (none). Received type string ('a')",
    });
    set.add({ type: 'latency', name: 'b', latency: 1 });
    expect(caught(() => set.update('b', { type: 'bandwidth' }))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: "The argument 'changes.type' must be unchanged. Received type string ('bandwidth')",
    });
    expect(caught(() => set.update('b', { latency: -1 }))).toMatchObject({
      message: expect.stringMatching(/^The value of "changes\.latency" is out of range\./),
    });
    expect(set.generation).toBe(4);
  });
});

describe('the seeded draw', () => {
  it('is pinned: the same seed and parts give the same number in every version', () => {
    expect(unitRandom(1234, 1, 'timeout_upstream')).toBe(0.12321195635013282);
    expect(unitRandom(0)).toBe(0.5733975800685585);
    // A number part and the same digits as a string are different parts.
    expect(unitRandom(7, 5)).toBe(0.0542781304102391);
    expect(unitRandom(7, '5')).toBe(0.3577568654436618);
  });

  it('validateSeed: an integer 0 to 2^32 - 1, or a random one in that range', () => {
    expect(validateSeed(2 ** 32 - 1, 'seed')).toBe(2 ** 32 - 1);
    expect(caught(() => validateSeed(2 ** 32, 'seed'))).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    for (let i = 0; i < 50; i++) {
      const seed = validateSeed(undefined, 'seed');
      expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    }
  });
});

describe('a step field that is out of range is refused by its own name', () => {
  const refused = (step: unknown, server = true) => {
    const error = caught(() => normalizeStep(step, 'steps[0]', server)) as { code?: string; message?: string };
    return `${error.code}: ${error.message?.split('. ')[0]}`;
  };

  it.each([
    [{ do: 'read', bytes: 0 }, 'ERR_OUT_OF_RANGE: The value of "steps[0].bytes" is out of range'],
    [{ do: 'wait', ms: -1 }, 'ERR_OUT_OF_RANGE: The value of "steps[0].ms" is out of range'],
    [
      { do: 'send', data: 5 },
      'ERR_INVALID_ARG_TYPE: The "steps[0].data" argument must be of type string or an instance of Uint8Array',
    ],
    [{ do: 'reset-when-idle', after: -1 }, 'ERR_OUT_OF_RANGE: The value of "steps[0].after" is out of range'],
    [null, 'ERR_INVALID_ARG_TYPE: The "steps[0]" argument must be a step name or an object with a \'do\' field'],
    [{ do: 5 }, 'ERR_INVALID_ARG_TYPE: The "steps[0]" argument must be a step name or an object with a \'do\' field'],
  ])('%j', (step, expected) => {
    expect(refused(step)).toBe(expected);
  });

  it('HTTP steps only on a fault server; reset-when-idle without after has none', () => {
    expect(refused('respond:200', false)).toBe(
      "ERR_INVALID_ARG_VALUE: The argument 'steps[0]' must be a client step (HTTP steps are for faultServer)",
    );
    expect(normalizeStep({ do: 'reset-when-idle' }, 'steps[0]', true)).toStrictEqual({ do: 'reset-when-idle' });
    // A respond step keeps only the fields given: no body or headers key when none was.
    expect(normalizeStep({ do: 'respond', status: 204 }, 'steps[0]', true)).toStrictEqual({ do: 'respond', status: 204 });
    expect(normalizeStep({ do: 'respond', body: '', headers: { 'x-a': 'b' } }, 'steps[0]', true)).toStrictEqual({
      do: 'respond',
      body: '',
      headers: { 'x-a': 'b' },
    });
    expect(normalizeStep({ do: 'reset-when-idle', after: 5 }, 'steps[0]', true)).toStrictEqual({
      do: 'reset-when-idle',
      after: 5,
    });
  });

  it("isSilent: a script with a 'silent' step anywhere; silentFromStart: only as its first", () => {
    const steps = (...list: string[]) => list.map((s) => normalizeStep(s, 'steps[0]', true));
    expect(isSilent(steps('read:1', 'silent'))).toBe(true);
    expect(isSilent(steps('read:1', 'reset'))).toBe(false);
    expect(isSilent([])).toBe(false);
    expect(silentFromStart(steps('silent', 'reset'))).toBe(true);
    expect(silentFromStart(steps('read:1', 'silent'))).toBe(false);
    expect(silentFromStart([])).toBe(false);
  });
});

describe('StreamShaper plans', () => {
  /** A shaper of the downstream over `toxics`; `applies` says which act on this connection. */
  const shaper = (toxics: object[], applies: (name: string) => boolean = () => true, seed = 1) => {
    const set = new ToxicSet(PROXY_SCOPE, normalizeToxics(toxics, 'toxics', PROXY_SCOPE));
    return new StreamShaper(set, 'downstream', seed, 1, (t) => applies(t.name));
  };
  const shape = (p: { pieces: Array<{ data: Buffer; at: number }> }, t0: number) =>
    p.pieces.map((x) => `${x.data.toString()}@${Math.round((x.at - t0) * 1000) / 1000}`);
  const bytes = (text: string) => Buffer.from(text);

  it('active() and readSize() count only data toxics of this stream that act here', () => {
    expect(shaper([]).active()).toBe(false);
    expect(shaper([{ type: 'latency', stream: 'upstream', latency: 5 }]).active()).toBe(false);
    expect(shaper([{ type: 'resetPeer', name: 'r' }]).active()).toBe(false);
    expect(shaper([{ type: 'latency', name: 'l', latency: 5 }], () => false).active()).toBe(false);
    expect(shaper([{ type: 'latency', name: 'l', latency: 5 }]).active()).toBe(true);
    const s = shaper(
      [
        { type: 'bandwidth', name: 'b', bytesPerSecond: 5_000 },
        { type: 'bandwidth', name: 'up', stream: 'upstream', bytesPerSecond: 10 },
        { type: 'bandwidth', name: 'spared', bytesPerSecond: 10 },
      ],
      (name) => name !== 'spared',
    );
    expect(s.readSize(65_536)).toBe(500);
    expect(s.readSize(100)).toBe(100);
    expect(shaper([{ type: 'bandwidth', bytesPerSecond: 5 }]).readSize(100)).toBe(1);
    const limited = shaper([{ type: 'limitData', bytes: 7 }]);
    expect(limited.readSize(100)).toBe(7);
    limited.plan(bytes('abc'), 0);
    expect(limited.readSize(100)).toBe(4);
  });

  it('latency: each piece latency later, never ahead of the previous chunk; the event says so', () => {
    const s = shaper([{ type: 'latency', name: 'l', latency: 100 }]);
    const first = s.plan(bytes('ab'), 1_000);
    expect(shape(first, 1_000)).toEqual(['ab@100']);
    expect(first.events).toEqual([
      { toxic: 'l', type: 'latency', stream: 'downstream', action: 'delay', at: 0, offset: 0, bytes: 2, plannedMs: 100 },
    ]);
    // Arrived earlier than the first was delivered: still after it, and counted from its own offset.
    const second = s.plan(bytes('cde'), 950);
    expect(shape(second, 950)).toEqual(['cde@150']);
    expect(second.events[0]).toMatchObject({ offset: 2, bytes: 3, plannedMs: 100 });
  });

  it('latency ± jitter: within the bounds, drawn from the seed (the same seed, the same delays)', () => {
    const delays = (seed: number) => {
      const s = shaper([{ type: 'latency', name: 'l', latency: 100, jitter: 40 }], () => true, seed);
      return Array.from({ length: 20 }, (_, i) => s.plan(bytes('x'), i * 1_000).events[0].plannedMs!);
    };
    const a = delays(3);
    expect(a).toEqual(delays(3));
    expect(a).not.toEqual(delays(4));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...a)).toBeLessThanOrEqual(140);
    expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(20);
    // Each chunk's own draw (connection 1, chunk i), added to the latency.
    expect(a).toEqual(a.map((_, i) => Math.round((100 + (2 * unitRandom(3, 1, 'l', 'jitter', i) - 1) * 40) * 10) / 10));
  });

  it('bandwidth: slices of a tenth of a second, each at its own time on the wire', () => {
    const s = shaper([{ type: 'bandwidth', name: 'b', bytesPerSecond: 1_000 }]);
    const plan = s.plan(Buffer.alloc(250, 'x'), 0);
    expect(plan.pieces.map((p) => [p.data.byteLength, p.at])).toEqual([
      [100, 100],
      [100, 200],
      [50, 250],
    ]);
    expect(plan.events[0]).toMatchObject({ action: 'delay', pieces: 3, plannedMs: 250 });
  });

  it('slicer: averageSize pieces, delay apart; with a variation, sizes within it that add up', () => {
    const s = shaper([{ type: 'slicer', name: 's', averageSize: 4, delay: 10 }]);
    const plan = s.plan(bytes('0123456789'), 0);
    expect(shape(plan, 0)).toEqual(['0123@0', '4567@10', '89@20']);
    expect(plan.events[0]).toMatchObject({ action: 'delay', pieces: 3, plannedMs: 20 });
    const varied = shaper([{ type: 'slicer', name: 's', averageSize: 10, sizeVariation: 4 }]).plan(Buffer.alloc(1_000), 0);
    const sizes = varied.pieces.map((p) => p.data.byteLength);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThanOrEqual(6);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(14);
    // Piece i of chunk 0 on connection 1: the average plus its own draw, rounded.
    expect(sizes.slice(0, 10)).toEqual(
      sizes.slice(0, 10).map((_, i) => 10 + Math.round((2 * unitRandom(1, 1, 's', 0, i) - 1) * 4)),
    );
    expect(new Set(sizes).size).toBeGreaterThan(3);
  });

  it('limitData: what fits goes, the chunk that reaches the limit is cut and recorded, later toxics are not applied', () => {
    const s = shaper([
      { type: 'limitData', name: 'lim', bytes: 5 },
      { type: 'latency', name: 'l', latency: 50 },
    ]);
    const first = s.plan(bytes('abc'), 0);
    expect(shape(first, 0)).toEqual(['abc@50']);
    expect(first.cut).toBeUndefined();
    expect(first.events.map((e) => e.toxic)).toEqual(['l']);
    const second = s.plan(bytes('defg'), 100);
    expect(shape(second, 100)).toEqual(['de@0']);
    expect(second.cut?.toxic.name).toBe('lim');
    expect(second.events).toEqual([
      { toxic: 'lim', type: 'limitData', stream: 'downstream', action: 'cut', at: 0, offset: 3, bytes: 2 },
    ]);
  });

  it('limitData after a slicer: the pieces that fit, the one across the limit cut short, none after it', () => {
    const s = shaper([
      { type: 'slicer', name: 's', averageSize: 3, delay: 10 },
      { type: 'limitData', name: 'lim', bytes: 7 },
    ]);
    const plan = s.plan(bytes('abcdefghijkl'), 0);
    expect(shape(plan, 0)).toEqual(['abc@0', 'def@10', 'g@20']);
    expect(plan.cut?.toxic.name).toBe('lim');
    expect(plan.events.map((e) => [e.toxic, e.action, e.bytes])).toEqual([
      ['s', 'delay', 12],
      ['lim', 'cut', 7],
    ]);
  });

  it('toxicity per chunk: drawn for each chunk from the seed; 0 never, 1 always', () => {
    const per = (toxicity: number) => {
      const s = shaper([{ type: 'latency', name: 'l', latency: 10, toxicity, toxicityPer: 'chunk' }], () => true, 9);
      return Array.from({ length: 40 }, () => s.plan(bytes('x'), 0).events.length === 1);
    };
    expect(per(0).every((acted) => !acted)).toBe(true);
    expect(per(1).every((acted) => acted)).toBe(true);
    const half = per(0.5);
    expect(half).toEqual(Array.from({ length: 40 }, (_, chunk) => unitRandom(9, 1, 'l', chunk) < 0.5));
    expect(half.filter(Boolean).length).toBeGreaterThan(5);
    expect(half.filter(Boolean).length).toBeLessThan(35);
  });
});

describe('which connections a toxic acts on, and the event list bound', () => {
  it('per connection: none at toxicity 0, all at 1, between them the seeded draw decides, the same each time', () => {
    const at = (toxicity: number, toxicityPer?: 'chunk') =>
      normalizeToxic({ type: 'latency', latency: 1, name: 'lag', toxicity, toxicityPer }, 'toxic', PROXY_SCOPE);
    const connections = Array.from({ length: 400 }, (_, i) => i + 1);
    expect(connections.filter((c) => actsOnConnection(7, c, at(0)))).toEqual([]);
    expect(connections.filter((c) => actsOnConnection(7, c, at(1)))).toEqual(connections);
    const half = connections.filter((c) => actsOnConnection(7, c, at(0.5)));
    expect(half).toEqual(connections.filter((c) => unitRandom(7, c, 'lag') < 0.5));
    expect(half.length).toBeGreaterThan(150);
    expect(half.length).toBeLessThan(250);
    expect(connections.filter((c) => actsOnConnection(8, c, at(0.5)))).not.toEqual(half);
    // Per chunk: every connection, each chunk drawn on its own.
    expect(connections.filter((c) => actsOnConnection(7, c, at(0, 'chunk')))).toEqual(connections);
  });

  it(`pushEvent keeps the first ${MAX_TOXIC_EVENTS} events and drops the rest`, () => {
    const events: ToxicEvent[] = [];
    for (let i = 0; i < MAX_TOXIC_EVENTS + 5; i++) pushEvent(events, { at: i } as ToxicEvent);
    expect(events).toHaveLength(MAX_TOXIC_EVENTS);
    expect(events[MAX_TOXIC_EVENTS - 1].at).toBe(MAX_TOXIC_EVENTS - 1);
  });
});
