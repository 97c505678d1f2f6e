// Relating captured segments (src/raw/wire.ts), placing them under steps and checking wire
// expectations (src/scenario/wire.ts), and drawing ladders (src/scenario/ladder.ts): pure
// functions, fed with segments as the capture decodes them.
import { describe, expect, it } from 'vitest';
import { messageOf } from './helpers.js';
import type { CapturedSegment } from '../src/raw/segment.js';
import { hasFlags, segmentLabel, wireSegments, type WireSegment } from '../src/raw/wire.js';
import { renderLadder } from '../src/scenario/ladder.js';
import { scenario } from '../src/scenario/scenario.js';
import { checkExpectation, describeExpectation, placeSegments, validateWireExpectation } from '../src/scenario/wire.js';

const C = { address: '127.0.0.1', port: 40000 };
const S = { address: '127.0.0.1', port: 80 };

function seg(
  from: typeof C,
  to: typeof C,
  flagBits: number,
  seq: number,
  ack: number,
  o: Partial<CapturedSegment> = {},
): CapturedSegment {
  const letters = ['F', 'S', 'R', 'P', '.'].filter((_, i) => flagBits & (1 << i)).join('');
  return {
    at: 100,
    family: 4,
    source: from,
    destination: to,
    seq,
    ack,
    flags: letters,
    flagBits,
    window: 100,
    length: 0,
    options: {},
    ...o,
  };
}

const name = (end: { port: number }) => (end.port === 80 ? 'server' : 'client');

describe('wireSegments', () => {
  it('numbers each side from its SYN, acks from the other side, and scales windows once both SYNs offered it', () => {
    const handshake = [
      seg(C, S, 0x02, 0xfffffff0, 0, { options: { windowScale: 7 }, window: 65495, at: 100 }),
      seg(S, C, 0x12, 5000, 0xfffffff1, { options: { windowScale: 2 }, window: 65483, at: 100.5 }),
      seg(C, S, 0x10, 0xfffffff1, 5001, { window: 512, at: 101 }),
      // Data across the wrap of the sequence space: relative numbers stay small.
      seg(C, S, 0x18, 0xfffffff1, 5001, { length: 20, window: 512, at: 102 }),
      seg(S, C, 0x10, 5001, 0x5, { window: 300, at: 102.25, forged: true }),
    ];
    expect(wireSegments(handshake, name, 100)).toEqual([
      { from: 'client', to: 'server', flags: 'S', seq: 0, length: 0, window: 65495, atMs: 0 },
      { from: 'server', to: 'client', flags: 'S.', seq: 0, ack: 1, length: 0, window: 65483, atMs: 0.5 },
      { from: 'client', to: 'server', flags: '.', seq: 1, ack: 1, length: 0, window: 512 * 128, atMs: 1 },
      { from: 'client', to: 'server', flags: 'P.', seq: 1, ack: 1, length: 20, window: 512 * 128, atMs: 2 },
      { from: 'server', to: 'client', flags: '.', seq: 1, ack: 21, length: 0, window: 300 * 4, atMs: 2.25, forged: true },
    ]);
  });

  it('without the SYNs: numbers from the first segment seen, windows unscaled; unnamed ends left out', () => {
    const out = wireSegments([seg(C, S, 0x18, 700, 900, { length: 2 }), seg(S, C, 0x14, 900, 702)], name, 100);
    expect(out.map((s) => segmentLabel(s))).toEqual(['P. 0:2 ack 0 len 2', 'R. 0 ack 2']);
    expect(wireSegments([seg(C, S, 0x10, 1, 1)], () => undefined, 0)).toEqual([]);
    // One end named is not enough: both must be.
    const serverOnly = (end: { port: number }) => (end.port === 80 ? 'server' : undefined);
    expect(wireSegments([seg(C, S, 0x10, 1, 1), seg(S, C, 0x10, 1, 1)], serverOnly, 0)).toEqual([]);
  });

  it('scales only with both SYNs offering it, caps the shift at 14, never scales a SYN, rounds times to the µs', () => {
    const oneSided = wireSegments(
      [seg(C, S, 0x02, 1, 0, { options: { windowScale: 7 } }), seg(S, C, 0x12, 9, 2), seg(C, S, 0x10, 2, 10, { window: 10 })],
      name,
      100,
    );
    expect(oneSided.map((s) => s.window)).toEqual([100, 100, 10]);
    const capped = wireSegments(
      [
        seg(C, S, 0x02, 1, 0, { options: { windowScale: 20 } }),
        seg(S, C, 0x12, 9, 2, { options: { windowScale: 0 } }),
        seg(C, S, 0x10, 2, 10, { window: 3, at: 100.0004 }),
        // A retransmitted SYN offering another scale does not change the first one's.
        seg(C, S, 0x02, 1, 0, { options: { windowScale: 1 }, window: 7 }),
      ],
      name,
      100,
    );
    expect(capped.map((s) => [s.window, s.atMs])).toEqual([
      [100, 0],
      [100, 0],
      [3 * 2 ** 14, 0],
      [7, 0],
    ]);
  });

  it('a label shows the window only when asked and known; hasFlags needs every letter', () => {
    const shape = { from: 'client', to: 'server', flags: 'P.', seq: 1, ack: 1, length: 2 };
    expect(segmentLabel(shape, { window: true })).toBe('P. 1:3 ack 1 len 2');
    expect(segmentLabel({ ...shape, window: 512 }, { window: true })).toBe('P. 1:3 ack 1 len 2 win 512');
    expect(segmentLabel({ ...shape, window: 512 })).toBe('P. 1:3 ack 1 len 2');
    expect(hasFlags({ flags: 'R.' }, 'R')).toBe(true);
    expect(hasFlags({ flags: 'R.' }, 'R.')).toBe(true);
    expect(hasFlags({ flags: 'R.' }, 'RF')).toBe(false);
    expect(hasFlags({ flags: 'S' }, '.')).toBe(false);
  });

  it('refuses what is not a captured segment, naming the field', () => {
    const ok = seg(C, S, 0x10, 1, 1);
    const refused = (segments: unknown, nameOf: unknown = name, origin: unknown = 0) =>
      messageOf(() => wireSegments(segments as never, nameOf as never, origin as never));
    expect(refused('x')).toBe(`The "segments" argument must be an Array of captured segments. Received type string ('x')`);
    expect(refused([ok], 5)).toBe('The "nameOf" argument must be of type function. Received type number (5)');
    expect(refused([ok], name, NaN)).toBe('The "origin" argument must be a finite number. Received type number (NaN)');
    expect(refused([ok], name, '1')).toBe(`The "origin" argument must be a finite number. Received type string ('1')`);
    expect(refused([ok, null])).toBe('The "segments[1]" argument must be of type object. Received null');
    expect(refused([{ ...ok, source: 'x' }])).toBe(
      `The "segments[0].source" argument must be of type object. Received type string ('x')`,
    );
    expect(refused([{ ...ok, destination: { address: 1, port: 2 } }])).toBe(
      'The "segments[0].destination" argument must be { address: string, port: number }. Received an instance of Object',
    );
    expect(refused([{ ...ok, source: { address: 'a', port: '2' } }])).toBe(
      'The "segments[0].source" argument must be { address: string, port: number }. Received an instance of Object',
    );
    for (const field of ['at', 'seq', 'ack', 'flagBits', 'window', 'length']) {
      expect(refused([{ ...ok, [field]: '1' }])).toBe(
        `The "segments[0].${field}" argument must be of type number. Received type string ('1')`,
      );
    }
    expect(refused([{ ...ok, flags: 1 }])).toBe(
      'The "segments[0].flags" argument must be of type string. Received type number (1)',
    );
    expect(refused([{ ...ok, options: null }])).toBe('The "segments[0].options" argument must be of type object. Received null');
  });
});

describe('segmentLabel', () => {
  it('shows flags, the sequence range of data, ack, length and, when asked, the window', () => {
    const s: WireSegment = { from: 'client', to: 'server', flags: 'P.', seq: 1, ack: 1, length: 2, window: 65536, atMs: 0 };
    expect(segmentLabel(s)).toBe('P. 1:3 ack 1 len 2');
    expect(segmentLabel(s, { window: true })).toBe('P. 1:3 ack 1 len 2 win 65536');
    expect(segmentLabel({ ...s, flags: 'R', length: 0, ack: undefined, forged: true })).toBe('R 1 (forged)');
  });
});

const w = (from: string, flags: string, atMs: number, o: Partial<WireSegment> = {}): WireSegment => ({
  from,
  to: from === 'client' ? 'server' : 'client',
  flags,
  seq: 0,
  length: 0,
  window: 0,
  atMs,
  ...o,
});

describe('placeSegments', () => {
  it('puts each segment under the last step started at or before it; earlier ones are the setup', () => {
    const segments = [w('client', 'S', 1), w('client', 'P.', 10), w('server', 'R.', 20), w('server', '.', 35)];
    const { setup, perStep } = placeSegments(segments, [5, 20, 30]);
    expect(setup.map((s) => s.flags)).toEqual(['S']);
    expect(perStep.map((list) => list.map((s) => s.flags))).toEqual([['P.'], ['R.'], ['.']]);
  });
});

describe('checkExpectation', () => {
  const perStep = [[w('server', 'R.', 1)], [w('client', '.', 1000), w('client', '.', 2010), w('client', 'R.', 3020)], []];

  it('counts from the step on by default, or in the step alone', () => {
    expect(checkExpectation({ from: 'server', flags: 'R' }, 0, perStep)).toEqual({
      expects: 'server sends R',
      seen: '1 × R. from server',
      ok: true,
    });
    expect(checkExpectation({ from: 'server', flags: 'R' }, 1, perStep).ok).toBe(false);
    expect(checkExpectation({ from: 'server', flags: 'F', count: 0 }, 0, perStep).ok).toBe(true);
    expect(checkExpectation({ from: 'client', flags: '.', count: 3, scope: 'step' }, 1, perStep).ok).toBe(true);
    expect(checkExpectation({ from: 'client', flags: '.', exact: true, count: 2, scope: 'step' }, 1, perStep).ok).toBe(true);
  });

  it('checks spacing and backoff between matches', () => {
    const probes = { from: 'client' as const, flags: '.', exact: true };
    expect(checkExpectation({ ...probes, spacingMs: { min: 900, max: 1100 } }, 1, perStep)).toMatchObject({
      ok: true,
      seen: '2 × . from client, gaps 1010 ms',
    });
    expect(checkExpectation({ ...probes, spacingMs: { max: 500 } }, 1, perStep).ok).toBe(false);
    const retransmits = [[0, 200, 400, 800, 1600].map((t) => w('client', 'P.', t, { length: 1 }))];
    expect(checkExpectation({ from: 'client', flags: '.', data: true, backoff: true }, 0, retransmits).ok).toBe(true);
    // data: false matches only segments without payload; true only those with.
    expect(checkExpectation({ from: 'client', flags: '.', data: false, count: 0 }, 0, retransmits).ok).toBe(true);
    expect(checkExpectation({ from: 'client', flags: '.', data: false }, 0, retransmits).ok).toBe(false);
    const backoff = (times: number[]) =>
      checkExpectation({ from: 'client', flags: '.', data: true, backoff: true }, 0, [
        times.map((t) => w('client', 'P.', t, { length: 1 })),
      ]).ok;
    expect(backoff([0, 200, 400, 600])).toBe(false); // steady: no backoff
    expect(backoff([0, 200, 600, 800])).toBe(false); // an RTO gap that shrinks
    expect(backoff([0, 200])).toBe(false); // one retransmission shows nothing
    // Measured on an emulated arm64: the user timeout fired before the third retransmission;
    // the tail-loss probe came late (a slow machine's RTT) and the first RTO gap was shorter.
    expect(backoff([0, 206, 416])).toBe(true);
    expect(backoff([0, 239, 453, 886])).toBe(true);
    expect(backoff([0, 275, 478, 886])).toBe(true);
  });

  it("never counts forged segments as an end's own", () => {
    expect(checkExpectation({ from: 'client', flags: 'R' }, 0, [[w('client', 'R', 1, { forged: true })]]).ok).toBe(false);
  });

  it('says what it expects in words', () => {
    expect(
      describeExpectation({ from: 'client', flags: '.', exact: true, data: false, count: 2, spacingMs: { min: 800, max: 1500 } }),
    ).toBe('client sends 2 × exactly . (no data) 800–1500 ms apart');
    expect(describeExpectation({ from: 'client', flags: '.', data: true, count: { min: 3 }, backoff: true })).toBe(
      'client sends ≥ 3 × . with data backing off',
    );
  });
});

describe('wire expectations refuse bad input with coded errors', () => {
  it.each([
    [null, 'ERR_INVALID_ARG_TYPE', 'e'],
    [{ from: 'peer', flags: 'R' }, 'ERR_INVALID_ARG_VALUE', 'e.from'],
    [{ from: 'server', flags: 4 }, 'ERR_INVALID_ARG_TYPE', 'e.flags'],
    [{ from: 'server', flags: 'X' }, 'ERR_INVALID_ARG_VALUE', 'e.flags'],
    [{ from: 'server', flags: '' }, 'ERR_INVALID_ARG_VALUE', 'e.flags'],
    [{ from: 'server', flags: 'R', count: -1 }, 'ERR_OUT_OF_RANGE', 'e.count'],
    [{ from: 'server', flags: 'R', count: { min: 3, max: 1 } }, 'ERR_OUT_OF_RANGE', 'e.count.max'],
    [{ from: 'server', flags: 'R', scope: 'all' }, 'ERR_INVALID_ARG_VALUE', 'e.scope'],
    [{ from: 'server', flags: 'R', backoff: 'yes' }, 'ERR_INVALID_ARG_TYPE', 'e.backoff'],
  ])('%j → %s naming %s', (value, code, name) => {
    const named = expect.stringMatching(new RegExp(`^The (argument |value of )?["']${name.replace(/\./g, '\\.')}["'] `));
    expect(() => validateWireExpectation(value as never, 'e')).toThrow(expect.objectContaining({ code, message: named }));
    expect(() => scenario('x', ({ server }) => [server.close().expectWire(value as never)]).describe()).toThrow(
      expect.objectContaining({ code }),
    );
  });

  it('forge steps check their arguments when declared', () => {
    expect(() => scenario('x', ({ server }) => [server.forgeReset('middle' as never)]).describe()).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() => scenario('x', ({ server }) => [server.forge({ flags: 'R', seq: -1 })]).describe()).toThrow(
      expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }),
    );
    expect(() => scenario('x', ({ server }) => [server.forge({ flags: 'Q', seq: 1 })]).describe()).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    expect(() =>
      scenario('x', ({ server }) => [server.forge({ flags: 'R', seq: 1, data: 'x'.repeat(1025) })]).describe(),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('renderLadder', () => {
  it('draws the client on the left, the server on the right, each arrow under its step', () => {
    const text = renderLadder({
      wire: { setup: [w('client', 'S', 0)] },
      steps: [
        {
          index: 0,
          end: 'server',
          op: 'close',
          detail: '',
          outcome: 'ok',
          expected: 'ok',
          segments: [w('server', 'R.', 1, { seq: 1, ack: 3 })],
          wire: [{ expects: 'server sends R', seen: '', ok: true }],
        },
        { index: 1, end: 'client', op: 'recv', detail: '1 byte', outcome: 'EOF', expected: 'ECONNRESET', segments: [] },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\s+client\s+server$/);
    expect(lines).toContain('  setup');
    expect(lines.find((l) => l.includes(' S 0 '))).toMatch(/│─+ S 0 ─+▶│$/);
    expect(lines).toContain('  0 server.close → ok ✓');
    expect(lines.find((l) => l.includes('R. 1 ack 3'))).toMatch(/│◀─+ R\. 1 ack 3 ─+│$/);
    expect(lines).toContain('              ✓ wire: server sends R');
    expect(lines).toContain('  1 client.recv 1 byte → EOF ✗ expected ECONNRESET');
    expect(renderLadder({ wire: { setup: [], skipped: 'needs capture' }, steps: [] })).toContain('(not captured: needs capture)');
  });
});

describe('validateWireExpectation copies only what it names', () => {
  it('the fields given, none more; each checked by its own name and bounds', () => {
    expect(validateWireExpectation({ from: 'client', flags: 'R' }, 'e')).toStrictEqual({ from: 'client', flags: 'R' });
    const all = {
      from: 'server',
      flags: 'P.',
      exact: true,
      count: { min: 1, max: 3 },
      data: true,
      spacingMs: { min: 0, max: 2 ** 31 - 1 },
      backoff: false,
      scope: 'step',
    } as const;
    expect(validateWireExpectation(all, 'e')).toStrictEqual(all);
    expect(validateWireExpectation({ from: 'client', flags: 'R', exact: false, data: false, backoff: true }, 'e')).toStrictEqual({
      from: 'client',
      flags: 'R',
      exact: false,
      data: false,
      backoff: true,
    });
    const refusals: Array<[object, string, string]> = [
      [{ exact: 'yes' }, 'ERR_INVALID_ARG_TYPE', 'e.exact'],
      [{ data: 1 }, 'ERR_INVALID_ARG_TYPE', 'e.data'],
      [{ spacingMs: { min: -1 } }, 'ERR_OUT_OF_RANGE', 'e.spacingMs.min'],
      [{ spacingMs: { min: 2 ** 31 } }, 'ERR_OUT_OF_RANGE', 'e.spacingMs.min'],
      [{ spacingMs: { max: 2 ** 31 } }, 'ERR_OUT_OF_RANGE', 'e.spacingMs.max'],
      [{ count: { min: 'x' } }, 'ERR_INVALID_ARG_TYPE', 'e.count.min'],
      [{ count: 1_000_001 }, 'ERR_OUT_OF_RANGE', 'e.count'],
    ];
    for (const [extra, code, name] of refusals) {
      expect(() => validateWireExpectation({ from: 'client', flags: 'R', ...extra } as never, 'e'), name).toThrow(
        expect.objectContaining({ code, message: expect.stringContaining(`"${name}"`) }),
      );
    }
  });

  it('spacing bounds are inclusive at both ends', () => {
    const at = (times: number[]) => [times.map((t) => w('client', '.', t))];
    const e = { from: 'client' as const, flags: '.', spacingMs: { min: 100, max: 200 } };
    expect(checkExpectation(e, 0, at([0, 100, 300])).ok).toBe(true);
    expect(checkExpectation(e, 0, at([0, 99, 299])).ok).toBe(false);
    expect(checkExpectation(e, 0, at([0, 100, 301])).ok).toBe(false);
    expect(checkExpectation({ ...e, spacingMs: { min: 150 } }, 0, at([0, 150, 10_000])).ok).toBe(true);
    expect(checkExpectation({ ...e, spacingMs: { max: 150 } }, 0, at([0, 1, 151])).ok).toBe(true);
  });
});
