// Ladder text (src/scenario/ladder.ts) beyond the default drawing: times and windows in the
// labels, a narrower span, forged (dashed) arrows, failed wire checks, steps without an
// expectation, dropped copies, what a saved run keeps, and the page's placeholders.
import { describe, expect, it } from 'vitest';
import { renderLadder, renderLaddersPage, saveLadders, type LadderSource } from '../src/scenario/ladder.js';
import type { CaseRun, CatalogRun, Environment } from '../src/scenario/run-catalog.js';
import type { ScenarioResult, StepRecord, WireSegment } from '../src/scenario/types.js';

const PAD = ' '.repeat(12);

const environment: Environment = {
  kernel: '6.18.0-test',
  kernelVersion: '#1 SMP',
  node: 'v20.20.2',
  platform: 'linux-x64',
  uid: 0,
  capabilities: ['CAP_NET_RAW'],
  tcpInfoLength: 248,
  probes: {},
  families: [4, 6],
};

function step(index: number, fields: Partial<StepRecord>): StepRecord {
  return {
    index,
    end: 'client',
    op: 'recv',
    syscall: 'recv',
    detail: '',
    outcome: 'ok',
    states: {},
    atMs: 1,
    durationMs: 1,
    ...fields,
  };
}

function caseRun(name: string, family: 4 | 6, raw: Partial<ScenarioResult>): CaseRun {
  return {
    name,
    family,
    title: `title of ${name}`,
    expectation: 'something',
    verdict: raw.verdict ?? 'pass',
    raw: { name, family, verdict: 'pass', steps: [], expected: [], actual: [], durationMs: 1, ...raw },
  };
}

describe('renderLadder options', () => {
  const source: LadderSource = {
    wire: {
      setup: [{ from: 'client', to: 'server', flags: 'S', seq: 0, length: 0, window: 65495, atMs: 0.5 }],
      dropped: 3,
    },
    steps: [
      {
        index: 0,
        end: 'server',
        op: 'forgeReset',
        detail: 'next',
        outcome: 'ok',
        segments: [
          { from: 'client', to: 'server', flags: 'R', seq: 1, length: 0, window: 0, atMs: 12.5, forged: true },
          // Without a time: the margin stays blank even when times are asked for.
          { from: 'server', to: 'client', flags: '.', seq: 1, ack: 1, length: 0 },
        ],
        wire: [
          { expects: 'server sends R', seen: '0 × R from server', ok: false },
          { expects: 'client sends no F', seen: '0 × F from client', ok: true },
        ],
      },
      { index: 1, end: 'client', op: 'recv', detail: '', outcome: 'EAGAIN' },
    ],
  };

  it('with times, windows and a 20-character span: every line exactly', () => {
    expect(renderLadder(source, { times: true, window: true, span: 20 }).split('\n')).toEqual([
      `${PAD}client               server`,
      '  setup',
      '   0.50 ms  │── S 0 win 65495 ──▶│',
      '  0 server.forgeReset next → ok',
      '  12.50 ms  │╌ R 1 win 0 (forged) ╌▶│',
      `${PAD}│◀──── . 1 ack 1 ────│`,
      `${PAD}  ✗ wire: server sends R — saw 0 × R from server`,
      `${PAD}  ✓ wire: client sends no F`,
      '  1 client.recv → EAGAIN',
      `${PAD}(3 segments dropped: the capture ring was full)`,
    ]);
  });

  it('by default: no times, no windows, a 44-character span', () => {
    const lines = renderLadder(source).split('\n');
    expect(lines[0]).toBe(`${PAD}${'client'.padEnd(45)}server`);
    expect(lines[2]).toBe(`${PAD}│${'─'.repeat(19)} S 0 ${'─'.repeat(19)}▶│`);
    expect(lines[4]).toBe(`${PAD}│${'╌'.repeat(14)} R 1 (forged) ${'╌'.repeat(15)}▶│`);
    expect(lines).toHaveLength(10);
  });

  it('a run without any wire record says it was not captured', () => {
    expect(renderLadder({ steps: [{ index: 0, end: 'client', op: 'send', detail: "'x'", outcome: 'ok', expected: 'ok' }] })).toBe(
      [`${PAD}${'client'.padEnd(45)}server`, `${PAD}(not captured)`, "  0 client.send 'x' → ok ✓"].join('\n'),
    );
  });

  it('refuses a source or options it cannot draw, with coded errors naming the argument', () => {
    const ok: LadderSource = { steps: [] };
    const badSegments = { steps: [{ index: 0, end: 'client', op: 'x', detail: '', outcome: 'ok', segments: 'x' }] };
    const cases: Array<[() => unknown, string, string]> = [
      [() => renderLadder(null as never), 'ERR_INVALID_ARG_TYPE', 'The "source" argument must be of type object'],
      [
        () => renderLadder({ steps: 'x' } as never),
        'ERR_INVALID_ARG_TYPE',
        'The "source.steps" argument must be an Array of step records',
      ],
      [
        () => renderLadder({ steps: [null] } as never),
        'ERR_INVALID_ARG_TYPE',
        'The "source.steps[0]" argument must be of type object',
      ],
      [
        () => renderLadder(badSegments as never),
        'ERR_INVALID_ARG_TYPE',
        'The "source.steps[0].segments" argument must be an Array',
      ],
      [() => renderLadder(ok, null as never), 'ERR_INVALID_ARG_TYPE', 'The "options" argument must be of type object'],
      [() => renderLadder(ok, { span: 19 }), 'ERR_OUT_OF_RANGE', 'The value of "options.span" is out of range'],
      [() => renderLadder(ok, { span: 401 }), 'ERR_OUT_OF_RANGE', 'The value of "options.span" is out of range'],
      [
        () => renderLadder(ok, { span: '30' as never }),
        'ERR_INVALID_ARG_TYPE',
        'The "options.span" argument must be of type number',
      ],
    ];
    for (const [call, code, message] of cases) {
      expect(call).toThrow(expect.objectContaining({ code, message: expect.stringContaining(message) }));
    }
    expect(renderLadder({ steps: [], wire: { setup: [], skipped: 'no capture here' } } as never).split('\n')[1]).toBe(
      `${PAD}(not captured: no capture here)`,
    );
    expect(renderLadder(ok, { span: 20 }).split('\n')[0]).toBe(`${PAD}${'client'.padEnd(21)}server`);
    expect(renderLadder(ok, { span: 400 }).split('\n')[0]).toBe(`${PAD}${'client'.padEnd(401)}server`);
  });
});

describe('saveLadders', () => {
  const segment = (o: Partial<WireSegment>): WireSegment => ({
    from: 'client',
    to: 'server',
    flags: '.',
    seq: 1,
    ack: 1,
    length: 0,
    window: 65536,
    atMs: 3.25,
    ...o,
  });
  const run: CatalogRun = {
    environment,
    wallMs: 10,
    results: [
      caseRun('captured', 4, {
        wire: { setup: [{ from: 'client', to: 'server', flags: 'S', seq: 0, length: 0, window: 65495, atMs: 0.1 }] },
        steps: [
          step(0, {
            op: 'close',
            end: 'server',
            expected: 'ok',
            matched: true,
            segments: [segment({ from: 'server', to: 'client', flags: 'R.', forged: true })],
            wire: [{ expects: 'server sends R', seen: '1 × R. from server', ok: true }],
          }),
          step(1, { detail: '1 byte', outcome: 'ECONNRESET' }),
        ],
      }),
      caseRun('captured', 6, { steps: [step(0, {})] }),
      caseRun('not-captured', 4, {
        verdict: 'skipped',
        reason: 'needs x: y',
        wire: { setup: [], skipped: 'needs capture (CAP_NET_RAW): no' },
        steps: [],
      }),
    ],
  };

  it('keeps the IPv4 results without times, windows or what the capture saw', () => {
    expect(saveLadders(run)).toStrictEqual({
      recordedOn: { kernel: '6.18.0-test', node: 'v20.20.2' },
      cases: [
        {
          name: 'captured',
          verdict: 'pass',
          steps: [
            {
              index: 0,
              end: 'server',
              op: 'close',
              detail: '',
              outcome: 'ok',
              expected: 'ok',
              segments: [{ from: 'server', to: 'client', flags: 'R.', seq: 1, ack: 1, length: 0, forged: true }],
              wire: [{ expects: 'server sends R', ok: true, seen: '' }],
            },
            { index: 1, end: 'client', op: 'recv', detail: '1 byte', outcome: 'ECONNRESET' },
          ],
          wire: { setup: [{ from: 'client', to: 'server', flags: 'S', seq: 0, length: 0 }] },
        },
        {
          name: 'not-captured',
          verdict: 'skipped',
          steps: [],
          wire: { setup: [], skipped: 'needs capture (CAP_NET_RAW): no' },
        },
      ],
    });
  });

  it('draws the same ladder as the run it was saved from, when times and windows are not shown', () => {
    const saved = saveLadders(run);
    expect(renderLadder(saved.cases[0])).toBe(renderLadder(run.results[0].raw));
  });
});

describe('renderLaddersPage placeholders', () => {
  it('says which cases the saved run lacks or skipped, and notes a case written by hand', () => {
    const saved = saveLadders({
      environment,
      wallMs: 1,
      results: [
        caseRun('skipped-one', 4, { verdict: 'skipped', steps: [] }),
        caseRun('by-hand', 4, { steps: [step(0, { op: 'connect', expected: 'ok', matched: true })] }),
      ],
    });
    const page = renderLaddersPage(saved, [
      { name: 'missing', title: 'Missing', expectation: 'nothing' },
      { name: 'skipped-one', title: 'Skipped', expectation: 'a skip', note: 'needs a privilege', describe: () => [] },
      { name: 'by-hand', title: 'By hand', expectation: 'ok' },
    ]);
    const body = page.split('\n').slice(page.split('\n').indexOf('## missing'));
    expect(body).toEqual([
      '## missing',
      '',
      'Missing. Linux should: nothing.',
      '',
      '(not in the saved run)',
      '',
      '## skipped-one',
      '',
      'Skipped. Linux should: a skip.',
      '',
      'Note: needs a privilege.',
      '',
      '(skipped when the page was recorded)',
      '',
      '## by-hand',
      '',
      'By hand. Linux should: ok.',
      '',
      'Written by hand over node:http rather than as a scenario: its steps are shown, its segments are not captured.',
      '',
      '```',
      `${PAD}${'client'.padEnd(45)}server`,
      `${PAD}(not captured)`,
      '  0 client.connect → ok ✓',
      '```',
      '',
    ]);
    expect(page).toContain('Recorded on Linux\n6.18.0-test with Node v20.20.2, IPv4;');
  });
});
