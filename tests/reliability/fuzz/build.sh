#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + libFuzzer) into OUT (default
# build-fuzz/). Each target links only the parser sources it exercises, so this stays quick.
#   bash tests/reliability/fuzz/build.sh [OUT]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
OUT=${1:-$SRC/build-fuzz}
CXX=${FUZZ_CXX:-clang++}
mkdir -p "$OUT/obj"
LAUNCH=""
command -v ccache >/dev/null && LAUNCH=ccache
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I"$SRC" -DLUASCALE_SOURCE_DIR="\"$SRC\""
       $(pkg-config --cflags lua5.4)
       -DLUASCALE_VERSION="\"fuzz\"" -fsanitize=address,undefined -fno-sanitize-recover=undefined)

# target: the parser sources it links (the Lua host: all of engine/lua). TIME: timestamp text and
# calendar arithmetic, which the trace, Kubernetes, AWS and Lua time code all use.
TIME="common/time/civil_time.cpp common/time/timestamp_text.cpp"
declare -A SOURCES=(
  [fuzz_json]="engine/core/value.cpp engine/core/value_json.cpp"
  [fuzz_trace_csv]="engine/replay/trace.cpp engine/core/csv_text.cpp engine/core/value.cpp engine/core/value_json.cpp $TIME"
  [fuzz_trace_jsonl]="engine/replay/trace.cpp engine/core/csv_text.cpp engine/core/value.cpp engine/core/value_json.cpp $TIME"
  [fuzz_config]="engine/config/config.cpp engine/core/suggest.cpp engine/core/units.cpp engine/core/value.cpp engine/core/value_json.cpp"
  [fuzz_resp]="adapters/sources/redis/resp.cpp"
  [fuzz_prometheus]="adapters/sources/prometheus/api_response.cpp adapters/common/body_text.cpp"
  [fuzz_kubernetes]="adapters/kubernetes/kube_parse.cpp engine/core/value.cpp engine/core/value_json.cpp $TIME"
  [fuzz_asg]="adapters/actuators/aws_asg/asg_parse.cpp adapters/net/aws/aws_xml.cpp adapters/net/ascii_text.cpp $TIME"
  [fuzz_cloudwatch]="adapters/sources/cloudwatch/cloudwatch_parse.cpp adapters/net/aws/aws_xml.cpp adapters/net/ascii_text.cpp $TIME"
  [fuzz_sqs]="adapters/sources/sqs/sqs_api.cpp adapters/net/aws/aws_json.cpp"
  [fuzz_cron]="$(cd "$SRC" && echo engine/lua/*.cpp) engine/signals/history.cpp engine/core/units.cpp engine/core/value.cpp engine/core/value_json.cpp $TIME"
)
EXTRA_LIBS=(-ldate-tz -lpugixml $(pkg-config --libs lua5.4))

# An object is rebuilt when its source or any header it includes changed (the compiler's
# dependency file lists them); ccache, when there, makes an unchanged rebuild cheap.
compile() {  # src -> object path (echo)
  local src=$1 obj="$OUT/obj/$(echo "$1" | tr / _).o"
  local dep="${obj%.o}.d" stale=0
  if [ ! -f "$obj" ] || [ ! -f "$dep" ]; then
    stale=1
  else
    for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
      [ "$f" -nt "$obj" ] && { stale=1; break; }
    done
  fi
  if [ $stale = 1 ]; then
    $LAUNCH "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer-no-link -MMD -MF "$dep" -c "$SRC/$src" -o "$obj"
  fi
  echo "$obj"
}

pids=()
for t in "${!SOURCES[@]}"; do
  [ -f "$SRC/tests/reliability/fuzz/$t.cpp" ] || continue
  # Skip targets whose parser has not landed in this tree.
  missing=0
  for s in ${SOURCES[$t]}; do [ -f "$SRC/$s" ] || missing=1; done
  [ $missing = 0 ] || { echo "skip $t (parser not in this tree)"; continue; }
  objs=()
  for s in ${SOURCES[$t]}; do objs+=("$(compile "$s")"); done
  $LAUNCH "$CXX" "${FLAGS[@]}" -fsanitize=fuzzer "$SRC/tests/reliability/fuzz/$t.cpp" "${objs[@]}" \
    "${EXTRA_LIBS[@]}" -o "$OUT/$t"
  echo "built $OUT/$t"
done
