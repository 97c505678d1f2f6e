#!/bin/sh
# Runs inside scripts/arm64-run (busybox sh, root), for scripts/check-arm64.mjs: for each Node
# given, the catalog of the installed package (`sockctl --json`), scripts/check-tcp-info.mjs
# (TCP_INFO length 248 on 6.12, fields past it undefined) and scripts/check-controls.mjs, each
# in one Node process, loading sockctl from APPDIR/node_modules. Results go to OUTDIR/LABEL-*;
# a failing run does not stop the others: exit codes and seconds are recorded next to them.
#
# usage: scripts/arm64-guest.sh OUTDIR APPDIR CLI LABEL=NODE...
set -u
out=$1 app=$2 cli=$3
shift 3
mkdir -p "$out"
uptime() { cut -d' ' -f1 /proc/uptime; }
echo "boot $(uptime)" > "$out/guest-times"
for spec in "$@"; do
  label=${spec%%=*} node=${spec#*=}
  t0=$(uptime)
  "$node" "$cli" --json > "$out/$label-catalog.json" 2> "$out/$label-catalog.err"
  echo $? > "$out/$label-catalog.rc"
  t1=$(uptime)
  "$node" scripts/check-tcp-info.mjs --package "$app" > "$out/$label-tcp-info.txt" 2>&1
  echo $? > "$out/$label-tcp-info.rc"
  "$node" scripts/check-controls.mjs --package "$app" > "$out/$label-controls.txt" 2>&1
  echo $? > "$out/$label-controls.rc"
  t2=$(uptime)
  echo "$label catalog $t0 $t1 checks $t1 $t2" >> "$out/guest-times"
  echo "arm64-guest: $label: catalog rc $(cat "$out/$label-catalog.rc"), tcp-info rc $(cat "$out/$label-tcp-info.rc"), controls rc $(cat "$out/$label-controls.rc") ($t0 → $t2 s)"
done
