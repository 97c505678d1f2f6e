/**
 * `sockctl/vitest`: registers sockctl's matchers with vitest's `expect` when imported (in a test
 * file, or as a `setupFiles` entry), and types the asymmetric form
 * (`expect.toHaveErrorCode('ECONNRESET')` inside `toEqual`). `expect(e).toHaveErrorCode(...)`
 * is typed by `sockctl/testing` alone. vitest stays the test project's dependency, not sockctl's.
 */
import { expect } from 'vitest';
import { sockctlMatchers, type SockctlMatchers } from './testing.js';

expect.extend(sockctlMatchers);

declare module 'vitest' {
  interface AsymmetricMatchersContaining extends SockctlMatchers<unknown> {}
}
