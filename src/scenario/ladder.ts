/**
 * Ladder diagrams: a scenario's segments drawn as people draw TCP on a whiteboard — the client
 * and the server as two columns, each segment an arrow between them labelled with its flags,
 * relative sequence numbers and length — under the step that set them off.
 */
import { segmentLabel, type WireSegment } from '../raw/wire.js';
import type { EndName, Outcome, WireCheck, WireRecord } from './types.js';

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
    segments?: readonly WireSegment[];
    wire?: readonly WireCheck[];
  }>;
  wire?: WireRecord;
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

function arrow(segment: WireSegment, span: number, options: LadderOptions): string {
  const label = ` ${segmentLabel(segment, { window: options.window })} `;
  const line = segment.forged ? '╌' : '─';
  const room = Math.max(span - 1, label.length + 2);
  const before = Math.floor((room - label.length) / 2);
  const after = room - label.length - before;
  const body = line.repeat(before) + label + line.repeat(after);
  const drawn = segment.from === RIGHT ? `│◀${body}│` : `│${body}▶│`;
  const time = options.times ? `${segment.atMs.toFixed(2)} ms`.padStart(MARGIN - 2) : '';
  return `${time.padEnd(MARGIN)}${drawn}`;
}

function checks(list: readonly WireCheck[] | undefined): string[] {
  return (list ?? []).map((c) => `${' '.repeat(MARGIN)}  ${c.ok ? '✓' : '✗'} wire: ${c.expects}${c.ok ? '' : ` — saw ${c.seen}`}`);
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
  const span = options.span ?? 44;
  const out: string[] = [];
  const head = `${' '.repeat(MARGIN)}${LEFT.padEnd(span + 1)}${RIGHT}`;
  out.push(head);
  if (source.wire?.skipped) {
    out.push(`${' '.repeat(MARGIN)}(not captured: ${source.wire.skipped})`);
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
