#!/usr/bin/env bash
# tests/integration/scenarios.sh — the seed scenarios (examples/scenarios/*): the synthetic traces
# regenerate byte for byte from gen_traces.py, and each scenario's replays (replays.txt: "config
# trace" per line) summarise to its golden.txt. LUASCALE_UPDATE_GOLDEN=1 rewrites the goldens.
set -euo pipefail
: "${LUASCALE:?path to the luascale binary}" "${SRC:?source dir}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$SRC/examples/scenarios"

python3 "$root/gen_traces.py" "$work/gen" >/dev/null
status=0
for d in "$root"/*/; do
  name=$(basename "$d")
  if ! cmp -s "$work/gen/$name/trace.csv" "$d/trace.csv"; then
    echo "FAIL $name: trace.csv differs from what gen_traces.py generates"
    status=1
  fi
  [ -f "$d/replays.txt" ] || continue
  out="$work/$name.summary"
  : >"$out"
  while read -r config trace; do
    [ -n "$config" ] || continue
    echo "== $config $(basename "$trace")" >>"$out"
    (cd "$d" && "$LUASCALE" replay "$config" --trace "$trace" --out "$work/decisions.csv" --quiet >/dev/null)
    python3 "$root/summarize.py" "$work/decisions.csv" >>"$out"
  done <"$d/replays.txt"
  if [ "${LUASCALE_UPDATE_GOLDEN:-}" = 1 ]; then
    cp "$out" "$d/golden.txt"
    echo "updated $name/golden.txt"
  elif ! diff -u "$d/golden.txt" "$out"; then
    echo "FAIL $name: replay summary differs from golden.txt"
    status=1
  else
    echo "ok   $name"
  fi
done
exit $status
