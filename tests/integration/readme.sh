#!/usr/bin/env bash
# Runs every command of README.md's ```sh blocks (doc drift is a defect). Commands run from a
# scratch copy of the source tree's layout (examples/ and policies/ copied, the rest symlinked), with `luascale` on PATH pointing at the
# binary under test. A command followed by "# exits N" must exit with N; others must exit 0.
# `make test` is the command that runs this suite, so it is the one command not run here.
set -u
: "${LUASCALE:?} ${SRC:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for entry in "$SRC"/* "$SRC"/.clang-format; do
  [ -e "$entry" ] || continue
  name=$(basename "$entry")
  case "$name" in
    build*) continue ;;
    examples|policies) cp -r "$entry" "$work/$name" ;;  # commands may write next to their configs
    *) ln -s "$entry" "$work/$name" ;;
  esac
done
mkdir -p "$work/bin"
ln -s "$LUASCALE" "$work/bin/luascale"
export PATH="$work/bin:$PATH"

commands=$(awk '/^```sh$/{inblock=1; next} /^```/{inblock=0} inblock && NF && $1 !~ /^#/' "$SRC/README.md")
[ -n "$commands" ] || { echo "no commands found in README.md"; exit 1; }

failed=0
count=0
while IFS= read -r line; do
  count=$((count + 1))
  expect=0
  if [[ "$line" =~ \#\ exits\ ([0-9]+) ]]; then expect=${BASH_REMATCH[1]}; fi
  cmd=${line%%#*}
  cmd=${cmd%"${cmd##*[![:space:]]}"}
  if [ "$cmd" = "make test" ]; then
    echo "skip: make test (this suite is what it runs)"
    continue
  fi
  # The build goes where the README's commands write (build/), and installs into the scratch tree.
  if [ "$cmd" = "make demo" ]; then cmd="make demo BUILD=$work/build"; fi
  if [[ "$cmd" == "make install"* ]]; then cmd="make install BUILD=$work/build PREFIX=$work/prefix"; fi
  out=$(cd "$work" && bash -c "$cmd" 2>&1)
  rc=$?
  if [ "$rc" -ne "$expect" ]; then
    echo "FAIL (exit $rc, expected $expect): $cmd"
    echo "$out" | tail -n 30
    failed=$((failed + 1))
  else
    echo "ok (exit $rc): $cmd"
  fi
done <<< "$commands"

# What the commands should have produced.
[ -s "$work/build/llm-decisions.csv" ] || { echo "FAIL: build/llm-decisions.csv was not written"; failed=$((failed + 1)); }
[ -s "$work/build/whatif-report.html" ] || { echo "FAIL: build/whatif-report.html was not written"; failed=$((failed + 1)); }
[ -s "$work/build/demo-decisions.csv" ] || { echo "FAIL: the demo wrote no decisions"; failed=$((failed + 1)); }
[ -x "$work/prefix/bin/luascale" ] || { echo "FAIL: make install put no luascale in PREFIX/bin"; failed=$((failed + 1)); }
# Nothing a README command wrote lands in the checkout outside build/ and the ignored paths.
strays=$(cd "$work" && { find . -maxdepth 1 -type f; find examples policies -type f; } |
  sed 's#^\./##' | while read -r f; do
    [ -e "$SRC/$f" ] || git -C "$SRC" check-ignore -q "$f" || echo "  $f"
  done)
if [ -n "$strays" ]; then
  echo "FAIL: README commands wrote files into the checkout that git does not ignore:"
  echo "$strays"
  failed=$((failed + 1))
fi
echo "$count README commands, $failed failed"
[ "$failed" -eq 0 ]
