#!/usr/bin/env bash
# npm run test:unprivileged — the test suite as an unprivileged user (uid/gid 65534, no
# supplementary groups, no capabilities), the way most users' services run.
#
# Run as root after a build (npm ci, npm run build:ts): the unprivileged user can read the
# tree but not write it, so HOME and TMPDIR point into a scratch directory in /tmp and
# vitest's results cache (node_modules/.vite/vitest, which it would write) is off. Run as any other user, it runs the suite as that user.
set -euo pipefail
cd "$(dirname "$0")/.."
user=65534

if [ "$(id -u)" -ne 0 ]; then
  echo "test:unprivileged: already uid $(id -u), running the suite as is"
  exec node_modules/.bin/vitest run "$@"
fi
for built in dist/index.js build/Release/sockctl.node; do
  [ -f "$built" ] || { echo "test:unprivileged: $built missing: build first (npm ci, npm run build:ts)" >&2; exit 1; }
done

as_user() { setpriv --reuid "$user" --regid "$user" --clear-groups --inh-caps=-all "$@"; }

# Everything the suite reads must be readable by others and every directory searchable, up
# to the filesystem root (a private parent directory hides the whole tree).
unreadable=$(find . \( -path ./.git -o -path ./.asan -o -path './.stryker-tmp*' \) -prune -o \
  \( -type f ! -perm -o=r -print \) -o \( -type d ! -perm -o=rx -print \) | head -n 20)
if [ -n "$unreadable" ] || ! as_user test -r package.json; then
  echo "test:unprivileged: uid $user cannot read the tree; fix the permissions of:" >&2
  echo "${unreadable:-a parent directory of $PWD}" >&2
  exit 1
fi

scratch=$(mktemp -d /tmp/sockctl-unprivileged.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
chown "$user:$user" "$scratch"
as_user sh -c 'echo "test:unprivileged: uid $(id -u) gid $(id -g) groups [$(id -G)], $(grep CapEff /proc/self/status)"'
as_user env HOME="$scratch" TMPDIR="$scratch" XDG_CACHE_HOME="$scratch/cache" \
  node_modules/.bin/vitest run --no-cache "$@"
