#!/usr/bin/env bash
# npm run build:prebuild: the N-API binaries the npm package ships, stripped and tagged glibc:
#   prebuilds/linux-x64/sockctl.glibc.node
#   prebuilds/linux-arm64/sockctl.glibc.node
# The one for this machine's CPU is built with its own g++; the other with Debian's cross
# toolchain (g++-x86-64-linux-gnu or g++-aarch64-linux-gnu, which bring their target's libc and
# libstdc++ to link against). node-gyp needs nothing else: N-API headers are the same for every
# CPU. The cross build runs first, so build/ is left configured for this machine.
# scripts/check-package.mjs then asserts each binary's CPU, that it is stripped, and its glibc /
# libstdc++ symbol-version floor.
#
# usage: scripts/build-prebuilds.sh [ARCH...]   (x64, arm64; default both)
set -euo pipefail
cd "$(dirname "$0")/.."

host=$(node -p process.arch)
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x64 arm64)

# Debian's GNU triplet for each Node arch.
triplet() {
  case $1 in
    x64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    *) echo "build-prebuilds: no toolchain known for $1 (x64, arm64)" >&2; exit 2 ;;
  esac
}

build() {
  local arch=$1 t
  local args=(--napi --strip --tag-libc --cache .cache/prebuildify --arch "$arch")
  if [ "$arch" = "$host" ]; then
    npx --no-install prebuildify "${args[@]}"
    return
  fi
  t=$(triplet "$arch")
  if ! command -v "$t-g++" >/dev/null; then
    echo "build-prebuilds: $t-g++ is missing: apt-get install --no-install-recommends g++-${t//_/-}" >&2
    exit 1
  fi
  CC=$t-gcc CXX=$t-g++ LINK=$t-g++ AR=$t-ar \
    npx --no-install prebuildify "${args[@]}" --strip-bin "$t-strip"
}

# Cross builds first, this machine's last.
for arch in "${arches[@]}"; do
  if [ "$arch" != "$host" ]; then build "$arch"; fi
done
for arch in "${arches[@]}"; do
  if [ "$arch" = "$host" ]; then build "$arch"; fi
done
ls -l prebuilds/*/
