#!/usr/bin/env bash
# CTest smoke run: builds the fuzz targets with clang in BUILD (its own dir) and runs each for
# SECONDS seconds over the committed seed corpus (copied, so new inputs stay out of the tree).
#   bash tests/reliability/fuzz/smoke.sh BUILD [SECONDS]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:?build dir}
SECS=${2:-4}
bash "$HERE/build.sh" "$BUILD" >/dev/null
status=0
for t in "$BUILD"/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  work="$BUILD/run-$name"
  rm -rf "$work"; mkdir -p "$work/corpus"
  cp "$HERE/corpus/$name"/* "$work/corpus/" 2>/dev/null || true
  if (cd "$work" && "$t" -max_total_time="$SECS" -rss_limit_mb=1024 -max_len=4096 \
        -print_final_stats=1 corpus >"$work/log" 2>&1); then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo '?')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo '?')
    echo "ok   $name: $execs execs, $rate/s, no crash"
  else
    echo "FAIL $name:"; tail -n 40 "$work/log"; status=1
  fi
done
exit $status
