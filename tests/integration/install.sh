#!/usr/bin/env bash
# tests/integration/install.sh — `cmake --install` (what `make install` runs) puts the binary in
# PREFIX/bin and the policies with their standard library in PREFIX/share/luascale/policies, and
# the installed binary, run from anywhere, loads its stdlib from there.
set -u
: "${LUASCALE:?path to the luascale binary}" "${SRC:?source dir}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

build_dir=$(dirname "$LUASCALE")
prefix="$work/prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; echo "FAIL: cmake --install"; exit 1; }

check "the binary is in PREFIX/bin" test -x "$prefix/bin/luascale"
check "the stdlib is in PREFIX/share/luascale/policies/lib" \
  test -f "$prefix/share/luascale/policies/lib/luascale/hpa.lua"
check "the ready-made policies are installed" test -f "$prefix/share/luascale/policies/queue.lua"
check "the stdlib's own tests are not" test ! -e "$prefix/share/luascale/policies/tests"

# The installed binary must use the installed stdlib, not the source tree's: mark the installed
# copy so that requiring it fails with a message only it can give.
sed -i '1i error("installed stdlib")' "$prefix/share/luascale/policies/lib/luascale/sizing.lua"
cat >"$work/p.lua" <<'EOF'
local sizing = require "luascale.sizing"
return { decide = function(ctx, p) return { replicas = 1 } end }
EOF
out=$(cd "$work" && env -u LUASCALE_STDLIB "$prefix/bin/luascale" check p.lua 2>&1)
check "the installed binary loads the installed stdlib" grep -q "installed stdlib" <<<"$out" ||
  echo "$out"

# And a policy that uses the (unmarked) stdlib works from an unrelated folder.
cat >"$work/q.lua" <<'EOF'
local P = require "luascale.policies"
return P.queue { signal = "jobs", per_replica = 10 }
EOF
out=$(cd "$work" && env -u LUASCALE_STDLIB "$prefix/bin/luascale" eval q.lua \
  --signals '{"jobs": 95}' --target '{"replicas": 1}' --now 1700000000 2>&1)
check "an installed policy library evaluates" grep -q '"recommended": 10' <<<"$out" || echo "$out"
exit $fail
