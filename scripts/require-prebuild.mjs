// prepack: refuse to pack or publish a tarball without every prebuild it ships (linux-x64,
// linux-arm64), which would leave those users with a source build (and, under npm 11's script
// approvals, with no binary at all).
import fs from 'node:fs';
import { PREBUILDS } from './prebuilds.mjs';

const missing = PREBUILDS.map((p) => p.file).filter((file) => !fs.existsSync(file));
if (missing.length) {
  console.error(`prepack: ${missing.join(', ')} missing; run npm run build:prebuild first`);
  process.exit(1);
}
