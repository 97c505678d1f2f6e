// The ESM entry of `sockctl/vitest` (the one vitest loads): the same registration as vitest.ts,
// whose declarations it brings in.
import { expect } from 'vitest';
import { sockctlMatchers } from './testing.js';
export type {} from './vitest.js';

expect.extend(sockctlMatchers);
