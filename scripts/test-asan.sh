#!/usr/bin/env bash
# npm run test:asan — the test suite against an AddressSanitizer + UndefinedBehaviorSanitizer
# build of the addon. Node itself is not sanitized, so libasan is preloaded into it.
#
# The normal build/ is left alone: the package is copied to .asan/ (git-ignored), built there
# with the sanitizer flags (through npx, so npm's nodedir setting applies), and the suite runs in that copy, whose node-gyp-build finds the
# sanitized build/Release. Every report goes to .asan/reports/ (ASan and UBSan log_path; child
# processes inherit it), and the script fails when there is any.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.asan
rm -rf "$out"
mkdir -p "$out/reports"
cp -r binding.gyp package.json README.md LICENSE tsconfig.json vitest.config.ts native src test examples docs scripts "$out/"
ln -s "$root/node_modules" "$out/node_modules"

sanitize="-fsanitize=address,undefined -fno-omit-frame-pointer -g -O1"
(
  cd "$out"
  CFLAGS="$sanitize" CXXFLAGS="$sanitize" LDFLAGS="-fsanitize=address,undefined" \
    npx --no-install node-gyp rebuild >"$out/node-gyp.log" 2>&1 || { cat "$out/node-gyp.log"; exit 1; }
  node_modules/.bin/tsc -p tsconfig.json
)
# Prove the sanitizers are in the binary we are about to test.
if ! nm -D "$out/build/Release/sockctl.node" | grep __asan_ >/dev/null; then
  echo "test:asan: the addon was not built with ASan" >&2
  exit 1
fi
if ! nm "$out/build/Release/sockctl.node" | grep __ubsan_handle >/dev/null; then
  echo "test:asan: the addon was not built with UBSan" >&2
  exit 1
fi

libasan=$(${CC:-gcc} -print-file-name=libasan.so)
status=0
(
  cd "$out"
  # detect_leaks=0: Node is not built with LeakSanitizer in mind and exits with memory it
  # never frees; leaks are covered by test/leaks.test.ts (fd and heap/RSS growth) instead.
  export LD_PRELOAD="$libasan"
  # Tells tests whose measure the sanitizers distort (RSS, in test/leaks.test.ts).
  export SOCKCTL_SANITIZED=1
  export ASAN_OPTIONS="detect_leaks=0:log_path=$out/reports/asan:abort_on_error=1:allow_user_segv_handler=1"
  export UBSAN_OPTIONS="print_stacktrace=1:log_path=$out/reports/ubsan"
  # The benchmarks' C program is not part of this run; everything else is.
  node_modules/.bin/vitest run "$@"
) || status=$?

reports=$(find "$out/reports" -type f | wc -l)
echo "test:asan: vitest exit $status, sanitizer reports: $reports"
if [ "$reports" -gt 0 ]; then
  head -n 60 "$out"/reports/*
  exit 1
fi
exit "$status"
