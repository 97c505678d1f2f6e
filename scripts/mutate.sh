#!/usr/bin/env bash
# npm run mutate [-- part...] — mutation testing with StrykerJS, one part of src/ at a time
# (controls, raw, scenario, catalog, faults; default: all five, faults last), each with its own report
# under reports/mutation/<part>.{json,html}, then a table of the scores. The CLI (src/cli) and the
# re-exporting entry (src/index.ts) are not mutated. Not run in CI: hours on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(controls raw scenario catalog faults)

npm run --silent build:ts   # tests that spawn children run the built dist/
mkdir -p reports/mutation
for part in "${parts[@]}"; do
  case "$part" in
    controls|raw|scenario|catalog|faults) ;;
    *) echo "mutate: unknown part '$part' (controls, raw, scenario, catalog, faults)" >&2; exit 2 ;;
  esac
  echo "== mutate $part (globs in stryker.config.mjs)"
  start=$SECONDS
  SOCKCTL_MUTATE_PART=$part node_modules/.bin/stryker run --incremental 2>&1 | tee "reports/mutation/$part.log"
  echo "== $part took $((SECONDS - start)) s"
done
node scripts/mutation-summary.mjs "${parts[@]}"
