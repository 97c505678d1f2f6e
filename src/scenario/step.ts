/** A step of a scenario: which end, which operation, and the action that makes the syscall. */
import type { RawResult, RawSocket } from '../raw/raw-socket.js';
import type { Context, EndName, Outcome, StepOutput, WireExpectation } from './types.js';
import { validateWireExpectation } from './wire.js';

/** What a step does when it runs; `step` gives it its own expectation (timeWait waits for it). */
export type Action = (ctx: Context, step: Step) => Promise<StepOutput> | StepOutput;

/** A step of a scenario; `.expect()` declares what Linux should answer. */
export class Step {
  expected: Outcome | undefined;
  /** What the step expects on the wire, checked on the capture after the last step. */
  readonly wire: WireExpectation[] = [];

  constructor(
    readonly end: EndName,
    readonly op: string,
    readonly detail: string,
    readonly action: Action,
    /** The step sends a forged segment: the run needs capture and a raw socket. */
    readonly forges = false,
  ) {}

  /**
   * Declares the outcome Linux should produce: `'ok'`, `'EOF'`, an errno code (`'ECONNRESET'`),
   * or for `timeWait()` the count as a number.
   */
  expect(outcome: Outcome | number): this {
    this.expected = String(outcome);
    return this;
  }

  /**
   * Declares what should appear on the wire from this step on (or in this step alone, with
   * `scope: 'step'`): `{ from: 'server', flags: 'R' }` — the server sends an RST;
   * `{ from: 'server', flags: 'F', count: 0 }` — and no FIN. Checked when the run captures;
   * where capture is not available the check is skipped with the reason (`wire.skipped`), and
   * the errno expectations still decide the verdict.
   */
  expectWire(expectation: WireExpectation): this {
    this.wire.push(validateWireExpectation(expectation, 'expectation'));
    return this;
  }
}

/** A RawSocket call's result as a step's output: 'ok', 'EOF' for a 0-byte recv, or the errno. */
export function fromResult(result: RawResult<{ bytes?: number }>): StepOutput {
  if (result.ok) {
    const bytes = result.bytes;
    const outcome = result.syscall === 'recv' && bytes === 0 ? 'EOF' : 'ok';
    return bytes === undefined ? { syscall: result.syscall, outcome } : { syscall: result.syscall, outcome, bytes };
  }
  return {
    syscall: result.syscall,
    outcome: result.code,
    errno: result.errno,
    ...(result.timedOut ? { timedOut: true } : {}),
  };
}

/** The socket of `end`, or an error naming the step that came too early. */
export function socketOf(ctx: Context, end: EndName): RawSocket {
  const socket = ctx.ends[end];
  if (!socket) {
    throw new Error(`scenario has no ${end} socket at this step (did it connect/accept first?)`);
  }
  return socket;
}

/** A setsockopt-like step that either works or throws: its output when it worked. */
export function applied(apply: () => void, syscall = 'setsockopt'): StepOutput {
  apply();
  return { syscall, outcome: 'ok' };
}

export const DEFAULT_WAIT_MS = 5000;

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
