// The README's API reference is written by hand; this keeps it in step with the exports: every
// function, class and constant the package exports must be named there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  it.each(Object.keys(api))('documents %s', (name) => {
    expect(readme).toContain(`\`${name}`);
  });
});
