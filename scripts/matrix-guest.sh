#!/bin/sh
# Runs inside a kernel-run VM (or on the host): the whole catalog once as root and once as an
# unprivileged user (uid/gid 65534, no groups, no capabilities), each in ONE Node process because
# Node alone takes seconds to start under emulation. Results go to OUTDIR/LABEL-{root,nobody}.json;
# the shell (root) opens the files, so the unprivileged run needs no write access to the clone.
# A failing case does not stop the other run: the exit codes are recorded next to the results.
#
# usage: scripts/matrix-guest.sh OUTDIR LABEL [extra command run as root after the catalog...]
set -u
out=$1 label=$2
shift 2
mkdir -p "$out"
node=$(command -v node)
node dist/cli/cli.js --json > "$out/$label-root.json"
echo "$?" > "$out/$label-root.rc"
setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
  "$node" dist/cli/cli.js --json > "$out/$label-nobody.json"
echo "$?" > "$out/$label-nobody.rc"
rc=0
if [ $# -gt 0 ]; then "$@"; rc=$?; fi
exit "$rc"
