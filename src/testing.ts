/**
 * Assertions for tests that meet real kernel errors, free of any test framework: plain
 * functions that throw node:assert's AssertionError, and matchers for `expect.extend` (vitest,
 * Jest). Import from `sockctl/testing`; nothing here loads vitest.
 */
import { AssertionError } from 'node:assert';
import { types } from 'node:util';

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
export async function expectRejectsWithCode(promise: Promise<unknown> | (() => Promise<unknown>), code: string): Promise<CodedError> {
  let outcome: { error: unknown } | undefined;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    outcome = { error };
  }
  if (outcome === undefined) {
    throw new AssertionError({ message: `expected a rejection with code ${code}, but it resolved`, expected: code, operator: 'expectRejectsWithCode' });
  }
  const error = expectErrorCode(outcome.error, code);
  if (!isError(error)) {
    throw new AssertionError({ message: `expected a rejection with an Error, got ${typeof error}`, actual: error, expected: code, operator: 'expectRejectsWithCode' });
  }
  return error;
}

// Errors from another realm (a vm context, a worker's structured clone) fail instanceof.
function isError(value: unknown): value is CodedError {
  return value instanceof Error || types.isNativeError(value);
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
