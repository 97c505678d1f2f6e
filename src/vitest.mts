// The ESM entry of `sockctl/vitest` (the one vitest loads): the same as vitest.ts. The type
// augmentation is repeated here because 'vitest' resolves to a different declaration file for
// an ES module (dist/index.d.ts) than for CommonJS (index.d.cts): each entry augments its own.
import { expect } from 'vitest';
import { sockctlMatchers, type SockctlMatchers } from './testing.js';

expect.extend(sockctlMatchers);

declare module 'vitest' {
  interface AsymmetricMatchersContaining extends SockctlMatchers<unknown> {}
}
