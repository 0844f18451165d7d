#!/usr/bin/env bash
# The include rules between the folders, checked on the sources: common/ includes nothing from
# engine/ or adapters/; adapters/net/ nothing from engine/; the engine no adapter header, except
# its entry point (engine/cli/).
set -u
: "${SRC:?}"
fail=0
forbid() {  # forbid WHAT FOLDER PATTERN [EXCLUDED FOLDER]
  local what=$1 folder=$2 pattern=$3 excluded=${4:-}
  local hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"($pattern)" "$SRC/$folder" \
           --include='*.cpp' --include='*.hpp' --include='*.h' |
         { if [ -n "$excluded" ]; then grep -v "^$SRC/$excluded"; else cat; fi; })
  if [ -n "$hits" ]; then
    echo "FAIL: $what"; echo "$hits" | sed "s#^$SRC/#  #"; fail=1
  else
    echo "ok: $what"
  fi
}
forbid "common/ includes nothing from engine/ or adapters/" common 'engine/|adapters/'
forbid "adapters/net/ includes nothing from engine/" adapters/net 'engine/'
forbid "engine/ includes no adapter header outside engine/cli/" engine 'adapters/' engine/cli/
exit "$fail"
