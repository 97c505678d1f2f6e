/**
 * Assertions for tests that meet real kernel errors, free of any test framework: plain
 * functions that throw node:assert's AssertionError, and matchers for `expect.extend` (vitest,
 * Jest); and a check that a test left no TCP socket behind, from the kernel's socket table.
 * Import from `sockctl/testing`; nothing here loads vitest.
 */
import { AssertionError } from 'node:assert';
import {
  baselineOf,
  describeSocket,
  leakedSince,
  leakOptions,
  socketBaseline,
  type LeakOptions,
  type SocketBaseline,
} from './controls/leaks.js';
import type { SnapshotSocket } from './controls/sockets.js';

/** How deep a `cause` chain is followed (a cycle must not loop). */
const MAX_CAUSES = 8;

/**
 * The codes an error carries: its own `code`, then each `cause`'s, outermost first.
 * `fetch`'s TypeError has none itself and the kernel's in `cause.code`.
 */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let i = 0; i < MAX_CAUSES && typeof current === 'object' && current !== null; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** The first code found on `error` or along its `cause` chain, or undefined. */
export function errorCode(error: unknown): string | undefined {
  return errorCodes(error)[0];
}

/**
 * Asserts that `error` carries `code` itself or on its `cause` chain (`error.cause.code`), and
 * returns it. Throws an AssertionError listing the codes it found otherwise.
 */
export function expectErrorCode<E = unknown>(error: E, code: string): E {
  const codes = errorCodes(error);
  if (!codes.includes(code)) {
    throw new AssertionError({
      message: `expected an error with code ${code} (on it or its cause), got ${codes.length ? codes.join(' → ') : describe(error)}`,
      actual: codes,
      expected: code,
      operator: 'expectErrorCode',
    });
  }
  return error;
}

/** Awaits `promise` (or calls `fn`), asserts it rejects with `code` (or a cause with it), and returns the error. */
export async function expectRejectsWithCode(promise: Promise<unknown> | (() => Promise<unknown>), code: string): Promise<unknown> {
  let outcome: { error: unknown } | undefined;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    outcome = { error };
  }
  if (outcome === undefined) {
    throw new AssertionError({ message: `expected a rejection with code ${code}, but it resolved`, expected: code, operator: 'expectRejectsWithCode' });
  }
  return expectErrorCode(outcome.error, code);
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name} without a code`;
  return value === undefined ? 'undefined' : typeof value;
}

/**
 * Matchers for `expect.extend(sockctlMatchers)`:
 * `expect(error).toHaveErrorCode('ECONNRESET')` passes when the error or its cause carries it.
 */
export const sockctlMatchers = {
  toHaveErrorCode(received: unknown, code: string) {
    const codes = errorCodes(received);
    const pass = codes.includes(code);
    return {
      pass,
      message: () =>
        pass
          ? `expected no code ${code} on the error or its cause, found ${codes.join(' → ')}`
          : `expected code ${code} on the error or its cause, found ${codes.length ? codes.join(' → ') : describe(received)}`,
      actual: codes,
      expected: code,
    };
  },
};

export { describeSocket, socketBaseline };
export type { LeakOptions, SocketBaseline };

// The baseline a check without `since` compares with: the sockets held when this module was
// loaded (inodes only: no netlink at import), then whatever the last check or markSockets() saw.
let mark: SocketBaseline | undefined;
let markError: unknown;
try {
  mark = socketBaseline({ closing: false });
} catch (error) {
  markError = error;
}

function currentMark(): SocketBaseline {
  if (mark === undefined) throw markError;
  return mark;
}

/**
 * Takes the baseline that the next {@link leakedSockets} / {@link expectNoLeakedSockets} without
 * `since` compares with: call it where a suite's shared sockets are open (end of `beforeAll`).
 */
export function markSockets(): void {
  mark = socketBaseline();
}

/**
 * The TCP sockets of this process opened since the baseline (`options.since`, else the last mark)
 * and still held by an fd — with `closing: true` also those no fd holds any more that the kernel
 * still keeps for it (TIME_WAIT, FIN_WAIT2, LAST_ACK; attributed through its listeners).
 */
export function leakedSockets(options?: LeakOptions): SnapshotSocket[] {
  const { since, closing } = leakOptions(options, currentMark);
  return leakedSince(since, closing).leaked;
}

/**
 * Asserts that no TCP socket was left behind since the baseline (`options.since`, else the last
 * mark: the previous check, {@link markSockets}, or the loading of `sockctl/testing`), and moves
 * the mark to now, so a leak is reported once. Throws an AssertionError naming each socket: state,
 * ends, who holds it, its timer and when it fires, how long it has been idle, its queues.
 *
 * @example
 * afterEach(() => expectNoLeakedSockets());
 *
 * @remarks Reads the kernel's socket table (sock_diag(7)): on a kernel without the inet_diag and
 * tcp_diag modules it throws their ENOENT (`syscall: 'recvmsg'`).
 */
export function expectNoLeakedSockets(options?: LeakOptions): void {
  const { since, closing } = leakOptions(options, currentMark);
  const { leaked, now } = leakedSince(since, closing);
  if (options?.since === undefined) mark = baselineOf(now);
  if (leaked.length === 0) return;
  const lines = leaked.map((s) => `  ${describeSocket(s)}`);
  throw new AssertionError({
    message: `${leaked.length} TCP socket${leaked.length === 1 ? '' : 's'} left behind:\n${lines.join('\n')}`,
    actual: leaked.map(describeSocket),
    expected: [],
    operator: 'expectNoLeakedSockets',
  });
}
