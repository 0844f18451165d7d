#!/usr/bin/env bash
# tests/integration/check_run.sh — `check` agrees with `run`: whatever run refuses, check refuses
# with the same message and key path; what only run needs is a note of check's, an error of run's;
# an unknown key gets the accepted keys and the nearest one.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

echo 'return { decide = function(ctx) return { replicas = 1 } end }' >"$work/p.lua"
# config NAME JSON-OF-THE-POLICY'S-SIGNALS-AND-TARGET [JSON-OF-THE-REST]
config() {
  printf '{"policies": [{"name": "p", "script": "p.lua", %s}]%s}\n' "$2" "${3:+, $3}" >"$work/$1.json"
}
# agree NAME EXPECTED-LINE: check and run both exit 1 and both print the line.
agree() {
  local name=$1 line=$2
  "$LUASCALE" check "$work/$name.json" >"$work/check.out" 2>"$work/check.err"
  local check_rc=$?
  timeout 30 "$LUASCALE" run "$work/$name.json" --once --no-reload >"$work/run.out" 2>"$work/run.err"
  local run_rc=$?
  expect "$name: check exits 1" test $check_rc -eq 1
  expect "$name: run exits 1" test $run_rc -eq 1
  expect "$name: check says: $line" grep -qF -- "$line" "$work/check.err"
  expect "$name: run says the same" grep -qF -- "$line" "$work/run.err"
}

redis='"target": {"kind": "log"}, "signals": {"q": {"source": "redis", "url": "%s", "command": "%s", "key": "k"}}'
config bad-scheme "$(printf "$redis" "http://x" llen)"
agree bad-scheme "bad-scheme.json: policies[0].signals.q.url: "
config bad-command "$(printf "$redis" "redis://127.0.0.1:1" lenn)"
agree bad-command \
  "bad-command.json: policies[0].signals.q.command: 'lenn' is not one of llen, xlen, xpending, zcard, get"
config bad-listen '"target": {"kind": "log"}' '"server": {"listen": "not-an-addr"}'
agree bad-listen "bad-listen.json: server.listen: 'not-an-addr' is not host:port"
config no-token '"target": {"kind": "log"}' '"server": {"token_file": "missing-token"}'
agree no-token "no-token.json: server.token_file: cannot read a token from "
config bad-file '"target": {"kind": "file", "path": "no/such/folder/replicas.txt"}'
agree bad-file "bad-file.json: policies[0].target.path: folder "
config no-state-folder '"target": {"kind": "log"}' '"state_file": "no/such/folder/state.json"'
agree no-state-folder "no-state-folder.json: state_file: folder "
config password-file "$(printf "$redis" "redis://127.0.0.1:1" llen | sed 's/"key": "k"/"key": "k", "password_file": "nope"/')"
agree password-file "password-file.json: policies[0].signals.q.password_file: cannot read "

# A replay-only config: check says ok and names what run would need, each on a line of its own;
# run refuses it with those very lines.
config replay-only '"signals": {"q": {}}'
"$LUASCALE" check "$work/replay-only.json" >"$work/check.out" 2>"$work/check.err"
expect "replay-only: check exits 0" test $? -eq 0
expect "replay-only: check says ok, not for run" grep -q '^ok: .*replay-only.json (1 policy); for replay, eval and tune, not for run$' "$work/check.out"
kind_line='replay-only.json: policies[0].target.kind: needed by run: the actuator ("log", "file", "kubernetes", "aws-asg", "aws-asg-scheduled")'
source_line='replay-only.json: policies[0].signals.q.source: needed by run: where the signal comes from ("prometheus", "redis", "http-json", "kubernetes")'
expect "replay-only: a note names target.kind" grep -qF "note: $work/$kind_line" "$work/check.out"
expect "replay-only: a note names the signal's source" grep -qF "note: $work/$source_line" "$work/check.out"
timeout 30 "$LUASCALE" run "$work/replay-only.json" --once --no-reload >/dev/null 2>"$work/run.err"
expect "replay-only: run exits 1" test $? -eq 1
expect "replay-only: run names target.kind" grep -qF "$kind_line" "$work/run.err"
expect "replay-only: run names the signal's source" grep -qF "$source_line" "$work/run.err"

# Unknown keys: the accepted keys, and the nearest when it is a likely typo.
config typo '"target": {"kind": "log", "mode": "x"}, "intervall": "15s"'
"$LUASCALE" check "$work/typo.json" 2>"$work/err" >/dev/null
expect "typo: check exits 1" test $? -eq 1
expect "typo: an unknown target key lists the log actuator's keys" \
  grep -qF 'typo.json: policies[0].target.mode: unknown key; accepted keys: kind, replicas, path' "$work/err"
expect "typo: a misspelled key gets a suggestion" \
  grep -qF 'typo.json: policies[0].intervall: unknown key (did you mean "interval"?); accepted keys: name, script,' "$work/err"
config kind-typo '"target": {"kind": "kubernets"}'
"$LUASCALE" check "$work/kind-typo.json" 2>"$work/err" >/dev/null
expect "an unknown kind gets a suggestion and the kinds" \
  grep -qF "policies[0].target.kind: unknown target kind 'kubernets' (did you mean \"kubernetes\"?); kinds: log, file, kubernetes" "$work/err"

# The shipped examples still check.
"$LUASCALE" check "$SRC/examples/sidecar/config.json" >"$work/out" 2>&1
expect "the sidecar example checks clean, with no notes" bash -c "grep -q '^ok: ' '$work/out' && ! grep -q '^note: ' '$work/out'"
exit $fail
