// The toxics' and steps' checks and bookkeeping (src/faults/toxics.ts, steps.ts), without sockets: each field's refusal
// names the field, the limits sit at their exact values, the set counts its changes, and the
// seeded draw is pinned (a seed must replay the same decisions from one version to the next).
import { describe, expect, it } from 'vitest';
import { MAX_TOXICS, normalizeToxics, PROXY_SCOPE, ToxicSet, unitRandom, validateSeed } from '../src/faults/toxics.js';
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
