#!/usr/bin/env bash
# Every C++ file of engine/, adapters/, common/ and tests/ is formatted as the repository's
# .clang-format says (clang-format 14, Debian's).
set -u
: "${SRC:?}"
cd "$SRC" || exit 1
command -v clang-format >/dev/null || { echo "FAIL: clang-format is not installed"; exit 1; }
files=$(git ls-files 'engine/*.cpp' 'engine/*.hpp' 'adapters/*.cpp' 'adapters/*.hpp' \
                     'common/*.cpp' 'common/*.hpp' 'tests/*.cpp' 'tests/*.hpp' 2>/dev/null)
[ -n "$files" ] || files=$(find engine adapters common tests -name '*.cpp' -o -name '*.hpp')
bad=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "$(echo "$files" | wc -w) files checked, $bad not formatted"
[ "$bad" = 0 ]
