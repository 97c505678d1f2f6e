/**
 * Assertions for tests that meet real kernel errors, free of any test framework: plain
 * functions that throw node:assert's AssertionError, and matchers for `expect.extend` (vitest,
 * Jest); and a check that a test left no TCP socket behind, from the kernel's socket table.
 * Import from `sockctl/testing`; nothing here loads vitest.
 */
import { AssertionError } from 'node:assert';
import { types } from 'node:util';
import { invalidArgType, invalidArgValue, validateInteger } from './controls/validate.js';
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

/** The error {@link expectRejectsWithCode} returns: an Error whose own `code` or a `cause`'s matched. */
export interface CodedError extends Error {
  /** The error's own code; fetch's TypeError has none and carries the kernel's on `cause`. */
  code?: string;
  /** Negative errno of a kernel error (`-104`). */
  errno?: number;
  syscall?: string;
  cause?: unknown;
}

/** The matchers of {@link sockctlMatchers}, as `expect(value)` offers them (`R`: what they return). */
export interface SockctlMatchers<R = unknown> {
  /**
   * Passes when the error, or one along its `cause` chain, carries `code`:
   * `expect(error).toHaveErrorCode('ECONNRESET')` (fetch's TypeError has it on `cause`).
   */
  toHaveErrorCode(code: string): R;
  /**
   * Passes when a fault-fixture record (made with `capture: true`) or a captured wire sent
   * segments with `flags` (`'R'`, `'F'`, `'S'`, ...), `count` of them when given.
   */
  toHaveSent(flags: string, count?: number): R;
  /** As {@link SockctlMatchers.toHaveSent}, for segments its peer sent. */
  toHaveReceived(flags: string, count?: number): R;
}

// vitest's `Assertion` and @types/jest's `expect` both extend the global `jest.Matchers`, so
// this one declaration types `expect(e).toHaveErrorCode(...)` after `expect.extend(sockctlMatchers)`
// in either, with no import of a test framework's types (the type parameters must be those
// vitest and @types/jest declare). The asymmetric form (`expect.toHaveErrorCode(...)`) is typed
// by `sockctl/vitest`.
declare global {
  namespace jest {
    interface Matchers<R, T = {}> extends SockctlMatchers<R> {}
  }
}

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

/**
 * Awaits `promise` (or calls `fn`), asserts it rejects with an Error that carries `code` itself
 * or on its `cause` chain, and returns that Error.
 */
export async function expectRejectsWithCode(
  promise: Promise<unknown> | (() => Promise<unknown>),
  code: string,
): Promise<CodedError> {
  let outcome: { error: unknown } | undefined;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    outcome = { error };
  }
  if (outcome === undefined) {
    throw new AssertionError({
      message: `expected a rejection with code ${code}, but it resolved`,
      expected: code,
      operator: 'expectRejectsWithCode',
    });
  }
  const error = expectErrorCode(outcome.error, code);
  if (!isError(error)) {
    throw new AssertionError({
      message: `expected a rejection with an Error, got ${typeof error}`,
      actual: error,
      expected: code,
      operator: 'expectRejectsWithCode',
    });
  }
  return error;
}

// Errors from another realm (a vm context, a worker's structured clone) fail instanceof.
function isError(value: unknown): value is CodedError {
  return value instanceof Error || types.isNativeError(value);
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name} without a code`;
  return typeof value;
}

/** The segments of one connection as the wire matchers read them (a fixture record's `wire`). */
interface WireLike {
  self: string;
  segments: ReadonlyArray<{ from: string; flags: string; forged?: boolean }>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The wire of a fixture record, of a FaultClient (its record), or a wire itself; undefined otherwise. */
function wireOf(received: unknown): WireLike | undefined {
  let value: unknown = received;
  if (isObject(value) && !('wire' in value) && !('segments' in value) && 'record' in value) value = value.record;
  if (isObject(value) && 'wire' in value) value = value.wire;
  if (isObject(value) && Array.isArray(value.segments) && typeof value.self === 'string') return value as unknown as WireLike;
  return undefined;
}

/** Whether `flags` (tcpdump letters, 'R.') carries every letter of `wanted` ('R'). */
const carries = (flags: string, wanted: string) => [...wanted].every((letter) => flags.includes(letter));

interface WireVerdict {
  pass: boolean;
  found: number;
  what: string;
  listed: string;
  wire?: WireLike;
}

function judgeWire(received: unknown, flags: string, count: number | undefined, sent: boolean): WireVerdict {
  if (typeof flags !== 'string') throw invalidArgType('flags', 'of type string', flags);
  if (!/^[FSRP.UEW]+$/.test(flags)) throw invalidArgValue('flags', "tcpdump's flag letters (S F R P . U E W)", flags);
  if (count !== undefined) validateInteger(count, 'count', 0, 2 ** 31 - 1);
  const wire = wireOf(received);
  const role = sent ? 'this end' : 'its peer';
  if (!wire) return { pass: false, found: 0, what: role, listed: 'no wire record (create the fixture with { capture: true })' };
  const own = wire.segments.filter((s) => !s.forged && (s.from === wire.self) === sent);
  const found = own.filter((s) => carries(s.flags, flags)).length;
  const pass = count === undefined ? found > 0 : found === count;
  const who = sent ? wire.self : wire.self === 'server' ? 'client' : 'server';
  return { pass, found, what: `the ${who}`, listed: own.length ? own.map((s) => s.flags).join(' ') : 'nothing', wire };
}

function wireMessage(v: WireVerdict, flags: string, count: number | undefined, negated: boolean): string {
  const wanted = count === undefined ? flags : `${count} × ${flags}`;
  return `expected ${v.what} ${negated ? 'not ' : ''}to have sent ${wanted}; it sent: ${v.listed}${v.wire ? ` (${v.found} with ${flags})` : ''}`;
}

/** expectSent / expectReceived: `sent` picks which end's segments are judged. */
function assertWire<R>(record: R, flags: string, count: number | undefined, sent: boolean, operator: string): R {
  const v = judgeWire(record, flags, count, sent);
  if (!v.pass)
    throw new AssertionError({ message: wireMessage(v, flags, count, false), actual: v.listed, expected: flags, operator });
  return record;
}

/** toHaveSent / toHaveReceived, as `expect.extend` wants a matcher's result. */
function matchWire(received: unknown, flags: string, count: number | undefined, sent: boolean) {
  const v = judgeWire(received, flags, count, sent);
  return { pass: v.pass, message: () => wireMessage(v, flags, count, v.pass), actual: v.listed, expected: flags };
}

/**
 * Asserts that the fixture connection's own end sent a segment carrying `flags` (tcpdump
 * letters: `'R'` matches R and R.; `'F'`, `'S'`, `'.'`), or exactly `count` of them. `record`
 * is a fault fixture's connection record (or a FaultClient) created with `capture: true`.
 */
export function expectSent<R>(record: R, flags: string, count?: number): R {
  return assertWire(record, flags, count, true, 'expectSent');
}

/** As {@link expectSent}, for what the connection's peer sent it. */
export function expectReceived<R>(record: R, flags: string, count?: number): R {
  return assertWire(record, flags, count, false, 'expectReceived');
}

/**
 * Matchers for `expect.extend(sockctlMatchers)`:
 * `expect(error).toHaveErrorCode('ECONNRESET')` passes when the error or its cause carries it;
 * `expect(record).toHaveSent('R')` when a fixture connection (created with `capture: true`)
 * sent an RST, `expect(record).toHaveReceived('R')` when its peer did.
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
  toHaveSent(received: unknown, flags: string, count?: number) {
    return matchWire(received, flags, count, true);
  },
  toHaveReceived(received: unknown, flags: string, count?: number) {
    return matchWire(received, flags, count, false);
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
