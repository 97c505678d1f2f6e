// prepack: refuse to pack or publish a tarball without the linux-x64 prebuild, which would leave
// every user with a source build (and, under npm 11's script approvals, with no binary at all).
import fs from 'node:fs';

const prebuild = 'prebuilds/linux-x64/sockctl.glibc.node';
if (!fs.existsSync(prebuild)) {
  console.error(`prepack: ${prebuild} is missing; run npm run build:prebuild first`);
  process.exit(1);
}
