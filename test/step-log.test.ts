// The record and verdict every case shares (src/scenario/step-log.ts): the scenario runner and
// the hand-written node:http cases both go through it.
import { describe, expect, it } from 'vitest';
import { skippedResult, StepLog } from '../src/scenario/step-log.js';

const step = (op: string, outcome: string) => ({ end: 'client' as const, op, syscall: op, detail: '', outcome });

describe('StepLog', () => {
  it('passes when every declared expectation matched; steps without one do not count', () => {
    const log = new StepLog();
    log.add(step('send', 'ok'), 'ok');
    log.add(step('recv', 'EAGAIN'));
    log.add(step('recv', 'ECONNRESET'), 'ECONNRESET');
    const result = log.result('x', 4);
    expect(result).toMatchObject({ verdict: 'pass', expected: ['ok', 'ECONNRESET'], actual: ['ok', 'ECONNRESET'] });
    expect(result.reason).toBeUndefined();
    expect(result.steps.map((s) => [s.index, s.matched])).toEqual([
      [0, true],
      [1, undefined],
      [2, true],
    ]);
  });

  it('fails on any mismatch, not only the first expectation, and names the first that differs', () => {
    const log = new StepLog();
    log.add(step('send', 'ok'), 'ok');
    log.add(step('recv', 'EOF'), 'ECONNRESET');
    log.add(step('send', 'ok'), 'EPIPE');
    const result = log.result('x', 6);
    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('step 1 client.recv: expected ECONNRESET, kernel gave EOF');
    expect(result.family).toBe(6);
  });

  it('an error ends in an error verdict with its code, whatever matched before', () => {
    const log = new StepLog();
    log.add(step('send', 'ok'), 'ok');
    const result = log.result('x', 4, Object.assign(new Error('gone'), { code: 'ERR_X' }));
    expect(result).toMatchObject({ verdict: 'error', reason: 'ERR_X: gone' });
  });

  it('records bytes, errno, timedOut and times', () => {
    const log = new StepLog(performance.now() - 50);
    const record = log.add({
      ...step('recv', 'EAGAIN'),
      errno: -11,
      bytes: 0,
      timedOut: true,
      startedAt: performance.now() - 20,
    });
    expect(record).toMatchObject({ errno: -11, bytes: 0, timedOut: true });
    expect(record.atMs).toBeGreaterThanOrEqual(29);
    expect(record.durationMs).toBeGreaterThanOrEqual(19);
  });

  it('a skipped result carries the unmet requirement, its reason and no steps', () => {
    expect(skippedResult('x', 4, 'y (CAP_Z)', 'EPERM: no')).toEqual({
      name: 'x',
      family: 4,
      verdict: 'skipped',
      reason: 'needs y (CAP_Z): EPERM: no',
      unmet: 'y (CAP_Z)',
      steps: [],
      expected: [],
      actual: [],
      durationMs: 0,
    });
  });
});
