// prepack: refuse to pack or publish a tarball without the linux-x64 and linux-arm64 prebuilds,
// which would leave those users with a source build (and, under npm 11's script approvals, with
// no binary at all).
import fs from 'node:fs';

const prebuilds = ['prebuilds/linux-x64/sockctl.glibc.node', 'prebuilds/linux-arm64/sockctl.glibc.node'];
const missing = prebuilds.filter((file) => !fs.existsSync(file));
if (missing.length) {
  console.error(`prepack: ${missing.join(', ')} missing; run npm run build:prebuild first`);
  process.exit(1);
}
