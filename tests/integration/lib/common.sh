# Shared set-up of the integration scripts (source it first): strict variables, the environment
# the CTest registration passes (LUASCALE, SRC), a work directory removed at exit (a script that
# sets its own EXIT trap removes "$work" there), `expect NAME CONDITION...` that prints ok/FAIL and
# records failures in $fail, and `free_port`.
set -u
: "${LUASCALE:?} ${SRC:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
expect() {  # expect NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok: $name"; else echo "FAIL: $name"; fail=1; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
