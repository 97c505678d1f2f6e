/**
 * The record of a run and its verdict, kept in one place: the scenario runner and the catalog's
 * hand-written cases (node:http harnesses) both add their steps here, so a step, an expectation
 * and a verdict mean the same everywhere.
 */
import { performance } from 'node:perf_hooks';
import type { RawFamily } from '../raw/raw-socket.js';
import type { EndName, Outcome, ScenarioResult, StepOutput, StepRecord, Verdict } from './types.js';

/** One step as the caller saw it; the log numbers it and compares it with its expectation. */
export interface LoggedStep extends StepOutput {
  end: EndName;
  op: string;
  detail: string;
  states?: StepRecord['states'];
  /** performance.now() when the step started; default: now (a step that took no time). */
  startedAt?: number;
}

/** Rounds ms to a tenth, as every record shows times. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export class StepLog {
  readonly steps: StepRecord[] = [];
  readonly #started: number;

  constructor(started = performance.now()) {
    this.#started = started;
  }

  /** Adds a step; with `expected`, records whether the kernel's outcome matched it. */
  add(step: LoggedStep, expected?: Outcome): StepRecord {
    const now = performance.now();
    const at = step.startedAt ?? now;
    const record: StepRecord = {
      index: this.steps.length,
      end: step.end,
      op: step.op,
      syscall: step.syscall,
      detail: step.detail,
      outcome: step.outcome,
      ...(step.bytes !== undefined ? { bytes: step.bytes } : {}),
      ...(step.errno !== undefined ? { errno: step.errno } : {}),
      ...(step.timedOut ? { timedOut: true } : {}),
      ...(step.report !== undefined ? { report: step.report } : {}),
      ...(expected !== undefined ? { expected, matched: expected === step.outcome } : {}),
      states: step.states ?? {},
      atMs: roundMs(at - this.#started),
      durationMs: roundMs(now - at),
    };
    this.steps.push(record);
    return record;
  }

  /**
   * The result: `error` when `error` is given (the run itself broke), `fail` when any step's
   * outcome differs from its expectation (the reason names the first), `pass` otherwise.
   */
  result(name: string, family: RawFamily, error?: unknown): ScenarioResult {
    const declared = this.steps.filter((s) => s.expected !== undefined);
    const mismatch = declared.find((s) => !s.matched);
    let verdict: Verdict = 'pass';
    let reason: string | undefined;
    if (error !== undefined) {
      verdict = 'error';
      reason = `${(error as { code?: string }).code ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
    } else if (mismatch) {
      verdict = 'fail';
      reason = `step ${mismatch.index} ${mismatch.end}.${mismatch.op}: expected ${mismatch.expected}, kernel gave ${mismatch.outcome}`;
    } else {
      // Then the wire: a step whose segments differ from what it declared fails the case too.
      for (const s of this.steps) {
        const check = s.wire?.find((c) => !c.ok);
        if (check === undefined) continue;
        verdict = 'fail';
        reason = `step ${s.index} ${s.end}.${s.op}: expected on the wire ${check.expects}, saw ${check.seen}`;
        break;
      }
    }
    return {
      name,
      family,
      verdict,
      ...(reason !== undefined ? { reason } : {}),
      steps: this.steps,
      expected: declared.map((s) => s.expected as Outcome),
      actual: declared.map((s) => s.outcome),
      durationMs: roundMs(performance.now() - this.#started),
    };
  }
}

/** The result of a case that did not run: `requirement` was not met, for `why`. */
export function skippedResult(name: string, family: RawFamily, requirement: string, why: string): ScenarioResult {
  const reason = `needs ${requirement}: ${why}`;
  return { name, family, verdict: 'skipped', reason, unmet: requirement, steps: [], expected: [], actual: [], durationMs: 0 };
}
