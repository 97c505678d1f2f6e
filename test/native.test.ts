import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { native, nativePath } from '../src/controls/native.js';

const root = path.join(__dirname, '..');

describe('the loaded binary', () => {
  it('is a file of this package, under build/ or prebuilds/', () => {
    const relative = path.relative(root, nativePath);
    expect(relative).toMatch(new RegExp(`^(build/(Release|Debug)|prebuilds/linux-${process.arch})/[^/]+\\.node$`));
    expect(typeof native.options.getOption).toBe('function');
  });

  // The shipping checks run the suite with PREBUILDS_ONLY=1 (node-gyp-build then never looks at
  // build/): this is what proves that the prebuild, not a local build, passed the suite.
  it.runIf(process.env.PREBUILDS_ONLY)('is the glibc prebuild for this CPU when PREBUILDS_ONLY is set', () => {
    expect(path.relative(root, nativePath)).toBe(path.join('prebuilds', `linux-${process.arch}`, 'sockctl.glibc.node'));
  });
});
