#!/usr/bin/env bash
# The longer fuzz run behind RELIABILITY.md's figures: builds every target into BUILD and runs
# each for SECONDS over a copy of its seed corpus, one after the other; prints one table row per
# target (execs, execs/s, corpus units added, peak RSS, result) and keeps crash inputs in
# BUILD/long-<target>/.
#   bash tests/reliability/fuzz/long.sh BUILD [SECONDS] [TARGET...]
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:?build dir}
SECS=${2:-60}
shift $(( $# >= 2 ? 2 : $# ))
bash "$HERE/build.sh" "$BUILD" >/dev/null || exit 1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || for t in "$BUILD"/fuzz_*; do [ -x "$t" ] && targets+=("$(basename "$t")"); done
echo "| target | execs | execs/s | new corpus units | peak RSS | crashes |"
echo "|---|---|---|---|---|---|"
status=0
for name in "${targets[@]}"; do
  work="$BUILD/long-$name"
  rm -rf "$work"; mkdir -p "$work/corpus"
  cp "$HERE/corpus/$name"/* "$work/corpus/" 2>/dev/null || true
  (cd "$work" && "$BUILD/$name" -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=4096 \
     -print_final_stats=1 corpus >"$work/log" 2>&1)
  rc=$?
  stat() { grep -o "stat::$1: *[0-9]*" "$work/log" | grep -o '[0-9]*$' || echo '?'; }
  result="0"
  if [ $rc -ne 0 ]; then result="1: $(ls "$work" | grep -E '^(crash|leak|timeout|oom)-' | head -1)"; status=1; fi
  echo "| $name | $(stat number_of_executed_units) | $(stat average_exec_per_sec) | $(stat new_units_added) | $(stat peak_rss_mb) MB | $result |"
done
exit $status
