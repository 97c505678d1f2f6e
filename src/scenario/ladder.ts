/**
 * Ladder diagrams: a scenario's segments drawn as people draw TCP on a whiteboard — the client
 * and the server as two columns, each segment an arrow between them labelled with its flags,
 * relative sequence numbers and length — under the step that set them off.
 */
import { segmentLabel, type SegmentShape, type WireSegment } from '../raw/wire.js';
import { invalidArgType, validateInteger, validateObject } from '../controls/validate.js';
import type { CatalogRun } from './run-catalog.js';
import type { EndName, Outcome, Verdict, WireCheck } from './types.js';

/** What a ladder is drawn from: a scenario result, or the same fields from a saved run. */
export interface LadderSource {
  steps: ReadonlyArray<{
    index: number;
    end: EndName;
    op: string;
    detail: string;
    outcome: Outcome;
    expected?: Outcome;
    atMs?: number;
    segments?: readonly SegmentShape[];
    wire?: readonly WireCheck[];
  }>;
  wire?: { setup: readonly SegmentShape[]; skipped?: string; dropped?: number };
}

export interface LadderOptions {
  /** Show each segment's time (ms since the start) at the left. Default false. */
  times?: boolean;
  /** Show the advertised window in each label. Default false. */
  window?: boolean;
  /** Characters between the two columns. Default 44. */
  span?: number;
}

const LEFT = 'client';
const RIGHT = 'server';
const MARGIN = 12;

function arrow(segment: SegmentShape, span: number, options: LadderOptions): string {
  const label = ` ${segmentLabel(segment, { window: options.window })} `;
  const line = segment.forged ? '╌' : '─';
  const room = Math.max(span - 1, label.length + 2);
  const before = Math.floor((room - label.length) / 2);
  const after = room - label.length - before;
  const body = line.repeat(before) + label + line.repeat(after);
  const drawn = segment.from === RIGHT ? `│◀${body}│` : `│${body}▶│`;
  const time = options.times && segment.atMs !== undefined ? `${segment.atMs.toFixed(2)} ms`.padStart(MARGIN - 2) : '';
  return `${time.padEnd(MARGIN)}${drawn}`;
}

function checks(list: readonly WireCheck[] | undefined): string[] {
  return (list ?? []).map(
    (c) => `${' '.repeat(MARGIN)}  ${c.ok ? '✓' : '✗'} wire: ${c.expects}${c.ok ? '' : ` — saw ${c.seen}`}`,
  );
}

function stepLine(step: LadderSource['steps'][number]): string {
  const detail = step.detail ? ` ${step.detail}` : '';
  const mark = step.expected === undefined ? '' : step.expected === step.outcome ? ' ✓' : ` ✗ expected ${step.expected}`;
  return `${String(step.index).padStart(3)} ${step.end}.${step.op}${detail} → ${step.outcome}${mark}`;
}

/**
 * The ladder of one run, as lines of text: the column heads, the setup's segments, then each
 * step with the segments under it and its wire checks. Runs without capture say why.
 */
export function renderLadder(source: LadderSource, options: LadderOptions = {}): string {
  const checked = validateObject(source, 'source');
  if (!Array.isArray(checked.steps)) throw invalidArgType('source.steps', 'an Array of step records', checked.steps);
  checked.steps.forEach((step, i) => {
    validateObject(step, `source.steps[${i}]`);
    if (step.segments !== undefined && !Array.isArray(step.segments))
      throw invalidArgType(`source.steps[${i}].segments`, 'an Array', step.segments);
  });
  const o = validateObject(options, 'options');
  const span = o.span === undefined ? 44 : validateInteger(o.span, 'options.span', 20, 400);
  const out: string[] = [];
  const head = `${' '.repeat(MARGIN)}${LEFT.padEnd(span + 1)}${RIGHT}`;
  out.push(head);
  if (source.wire?.skipped) {
    out.push(`${' '.repeat(MARGIN)}(not captured: ${source.wire.skipped})`);
  } else if (source.wire === undefined) {
    out.push(`${' '.repeat(MARGIN)}(not captured)`);
  }
  if (source.wire && source.wire.setup.length > 0) {
    out.push('  setup');
    for (const s of source.wire.setup) out.push(arrow(s, span, options));
  }
  for (const step of source.steps) {
    out.push(stepLine(step));
    for (const s of step.segments ?? []) out.push(arrow(s, span, options));
    out.push(...checks(step.wire));
  }
  if (source.wire?.dropped) out.push(`${' '.repeat(MARGIN)}(${source.wire.dropped} segments dropped: the capture ring was full)`);
  return out.join('\n');
}

/** A catalog run kept for the docs: IPv4, no times, no windows — what repeats run after run. */
export interface SavedLadders {
  /** Where it was recorded: `uname -r` and the Node version. */
  recordedOn: { kernel: string; node: string };
  cases: Array<{ name: string; verdict: Verdict } & LadderSource>;
}

function steady(segment: WireSegment): SegmentShape {
  const { atMs: _at, window: _window, ...rest } = segment;
  return rest;
}

/** The IPv4 results of `run`, stripped of what varies between runs (times, windows). */
export function saveLadders(run: CatalogRun): SavedLadders {
  return {
    recordedOn: { kernel: run.environment.kernel, node: run.environment.node },
    cases: run.results
      .filter((r) => r.family === 4)
      .map((r) => ({
        name: r.name,
        verdict: r.raw.verdict,
        steps: r.raw.steps.map((s) => ({
          index: s.index,
          end: s.end,
          op: s.op,
          detail: s.detail,
          outcome: s.outcome,
          ...(s.expected !== undefined ? { expected: s.expected } : {}),
          ...(s.segments ? { segments: s.segments.map(steady) } : {}),
          ...(s.wire ? { wire: s.wire.map(({ expects, ok }) => ({ expects, ok, seen: '' })) } : {}),
        })),
        ...(r.raw.wire
          ? { wire: { setup: r.raw.wire.setup.map(steady), ...(r.raw.wire.skipped ? { skipped: r.raw.wire.skipped } : {}) } }
          : {}),
      })),
  };
}

/**
 * docs/ladders.md: every catalog case's ladder from a saved run, with the case's title and what
 * Linux should do, in catalog order. Drawn without times or windows, so the page only changes
 * when a case or the kernel's answer does.
 */
export function renderLaddersPage(
  saved: SavedLadders,
  cases: ReadonlyArray<{ name: string; title: string; expectation: string; note?: string; describe?: unknown }>,
): string {
  const out = [
    '# The catalog on the wire',
    '',
    '<!-- Generated by `npm run docs:ladders` (scripts/ladders.mjs) from docs/ladders.json; test/ladders.test.ts checks it. -->',
    '',
    `Every case of the catalog as a ladder: the client and the server as two columns, each segment an arrow`,
    `under the step that set it off, labelled with its flags (tcpdump's letters: \`S\` SYN, \`F\` FIN, \`R\` RST,`,
    `\`P\` PSH, \`.\` ACK), its sequence number relative to the sender's first (a range \`first:next\` when it`,
    `carries data), its acknowledgement relative to the receiver's first, and its payload length. Dashed arrows`,
    `are segments sockctl forged. ✓/✗ mark each step's expected errno and wire expectation. Recorded on Linux`,
    `${saved.recordedOn.kernel} with Node ${saved.recordedOn.node}, IPv4; see [wire.md](wire.md) for how to capture your own.`,
    '',
  ];
  for (const c of cases) {
    const run = saved.cases.find((r) => r.name === c.name);
    out.push(`## ${c.name}`, '', `${c.title}. Linux should: ${c.expectation}.`, '');
    if (c.note) out.push(`Note: ${c.note}.`, '');
    if (!run) {
      out.push('(not in the saved run)', '');
      continue;
    }
    if (run.verdict === 'skipped') {
      out.push('(skipped when the page was recorded)', '');
      continue;
    }
    if (c.describe === undefined) {
      out.push(
        'Written by hand over node:http rather than as a scenario: its steps are shown, its segments are not captured.',
        '',
      );
    }
    out.push('```', renderLadder(run), '```', '');
  }
  return out.join('\n');
}
