// Scenario.run's own bookkeeping (src/scenario/scenario.ts): its options refused by name, every
// socket it opened closed when it returns, and a wire record that carries only what happened.
import { describe, expect, it } from 'vitest';
import { canCapture, scenario } from '../src/index.js';
import { fdCount } from './helpers.js';

const capture = canCapture();
const noCapture = capture.ok ? '' : ` (skipped: ${capture.code}: ${capture.reason})`;

describe('Scenario.run', () => {
  it('refuses its options by name, and a call on something that is not a Scenario', async () => {
    const s = scenario('any', ({ client }) => [client.send('x')]);
    const refusals: Array<[() => Promise<unknown>, string, string]> = [
      [() => s.run('x' as never), 'ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object'],
      [() => s.run({ family: 5 as never }), 'ERR_OUT_OF_RANGE', 'The value of "options.family" is out of range'],
      [() => s.run({ family: '4' as never }), 'ERR_INVALID_ARG_TYPE', 'The "options.family" argument must be of type number'],
      [() => s.run({ wire: 'yes' as never }), 'ERR_INVALID_ARG_TYPE', 'The "options.wire" argument must be of type boolean'],
      [() => s.run.call({} as never), 'ERR_INVALID_ARG_TYPE', 'The "this" argument must be a Scenario'],
    ];
    for (const [call, code, message] of refusals) {
      await expect(call()).rejects.toMatchObject({ code, message: expect.stringContaining(message) });
    }
  });

  it.each(['connected', 'listening', 'closed-port'] as const)(
    'setup %s: every socket it opened is closed when run() returns, pass or fail',
    async (setup) => {
      const steps = {
        connected: ({ client }: Parameters<Parameters<typeof scenario>[1]>[0]) => [client.send('x').expect('EPIPE')],
        listening: ({ client }: Parameters<Parameters<typeof scenario>[1]>[0]) => [client.connect().expect('ok')],
        'closed-port': ({ client }: Parameters<Parameters<typeof scenario>[1]>[0]) => [client.connect().expect('ECONNREFUSED')],
      }[setup];
      // Once to load what loads lazily, then counted.
      await scenario('warm', steps, { setup }).run({ wire: false });
      const before = fdCount();
      for (let i = 0; i < 3; i++) await scenario('counted', steps, { setup }).run({ wire: false });
      expect(fdCount()).toBe(before);
    },
  );

  it('step records: bytes and errno only where there are some, times from the run start, a 0-byte send is ok', async () => {
    const result = await scenario('record fields', ({ client, server }) => [
      client.send(''),
      client.send('ab'),
      server.recv(2),
      server.abort(),
      client.recv(1).expect('ECONNRESET'),
    ]).run({ wire: false });
    expect(result.steps.map((s) => [s.op, s.outcome, s.bytes, s.errno])).toEqual([
      ['send', 'ok', 0, undefined],
      ['send', 'ok', 2, undefined],
      ['recv', 'ok', 2, undefined],
      ['abort', 'ok', undefined, undefined],
      ['recv', 'ECONNRESET', undefined, -104],
    ]);
    expect(result.steps[3]).not.toHaveProperty('bytes');
    expect(result.steps[3]).not.toHaveProperty('errno');
    expect(result.steps[0]).not.toHaveProperty('errno');
    const at = result.steps.map((s) => s.atMs);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(at[0]).toBeGreaterThanOrEqual(0);
    expect(at[at.length - 1]).toBeLessThanOrEqual(result.durationMs);
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('a step on an end that is not there yet: the run errors, naming the end', async () => {
    const result = await scenario('too early', ({ server }) => [server.send('x')], { setup: 'listening' }).run({ wire: false });
    expect(result.verdict).toBe('error');
    expect(result.reason).toBe('Error: scenario has no server socket at this step (did it connect/accept first?)');
  });

  it.skipIf(!capture.ok)(`with the wire and no wire expectations: no per-step checks, no dropped count${noCapture}`, async () => {
    const result = await scenario('plain', ({ client, server }) => [client.send('ab'), server.recv(2).expect('ok')]).run({
      wire: true,
    });
    expect(result.verdict).toBe('pass');
    expect(result.wire).toBeDefined();
    expect(result.wire).not.toHaveProperty('dropped');
    expect(result.wire).not.toHaveProperty('skipped');
    for (const step of result.steps) {
      expect(step).not.toHaveProperty('wire');
      expect(Array.isArray(step.segments)).toBe(true);
    }
    expect(result.steps[0].segments?.some((s) => s.from === 'client' && s.length === 2)).toBe(true);
  });
});
