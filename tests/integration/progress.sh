#!/usr/bin/env bash
# The progress line of `replay` and `tune`: drawn on stderr when it is a terminal (a real
# pseudo-terminal here, from python3's pty module), at most ten redraws a second and cleared at
# the end; absent with --quiet, and absent when stderr is a pipe or a file.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

# Runs a command with stderr on a pseudo-terminal (80 columns) and stdout to a file; writes what
# the terminal received to $work/NAME.tty, stdout to $work/NAME.out, and the exit status and
# wall seconds to $work/NAME.rc.
on_tty() {
  local name=$1; shift
  python3 - "$work/$name" "$@" <<'PY'
import fcntl, os, pty, struct, subprocess, sys, termios, time
base, cmd = sys.argv[1], sys.argv[2:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
start = time.monotonic()
with open(base + '.out', 'wb') as out:
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=slave)
os.close(slave)
got = bytearray()
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:  # EIO: every writer closed the terminal
        break
    if not chunk:
        break
    got += chunk
rc = p.wait()
open(base + '.tty', 'wb').write(bytes(got))
open(base + '.rc', 'w').write('%d %.3f\n' % (rc, time.monotonic() - start))
PY
}

config="$SRC/examples/demo/config.json"
trace="$SRC/examples/traces/nasa_http_1995_requests_per_minute.csv"
# Two weeks at one tick a minute: 20,160 ticks, several reports from the replay.
range=(--from 1995-07-01T00:00:00Z --to 1995-07-15T00:00:00Z)

on_tty replay "$LUASCALE" replay "$config" --trace "$trace" "${range[@]}"
read -r rc secs < "$work/replay.rc"
expect "replay on a terminal exits 0" test "$rc" -eq 0
python3 - "$work/replay.tty" "$secs" <<'PY' || fail=1
import re, sys
tty = open(sys.argv[1], 'rb').read().decode('utf-8', 'replace')
secs = float(sys.argv[2])
def check(name, ok):
    print(('ok: ' if ok else 'FAIL: ') + name)
    return ok
draws = re.findall(r'\r(replay [^\r\x1b]*)\x1b\[K', tty)
ok = check('the bar is drawn (%d draws)' % len(draws), len(draws) >= 1)
if draws:
    last = draws[-1]
    print('  last draw: ' + repr(last))
    ok &= check('it shows a bar, a percent and ticks/s',
                re.match(r'replay \[[#-]{24}\] +\d+%  \S+ ticks/s', last) is not None)
    ok &= check('it fits 79 columns', all(len(d) <= 79 for d in draws))
    pcts = [int(m) for m in re.findall(r'\] +(\d+)%', ''.join(draws))]
    ok &= check('the percent never goes back', pcts == sorted(pcts))
    ok &= check('at most ten redraws a second (%d in %.2f s)' % (len(draws), secs),
                len(draws) <= 10 * secs + 2)
# The line is cleared at the end, before the summary lines that follow it on stderr.
ok &= check('the line is cleared before anything else is written',
            tty.find('\r\x1b[K') != -1 and tty.find('replay [', tty.rfind('\r\x1b[K')) == -1)
ok &= check('then the usual stderr lines', 'replayed web over' in tty[tty.rfind('\r\x1b[K'):])
sys.exit(0 if ok else 1)
PY
expect "stdout is the plain table" grep -q '^web ' "$work/replay.out"
expect "no control characters on stdout" test -z "$(tr -d '\n[:print:]' < "$work/replay.out")"

on_tty quiet "$LUASCALE" replay "$config" --trace "$trace" "${range[@]}" --quiet
read -r rc secs < "$work/quiet.rc"
expect "--quiet on a terminal exits 0" test "$rc" -eq 0
expect "--quiet: no bar" test -z "$(grep -a 'replay \[' "$work/quiet.tty")"
expect "--quiet: nothing on the terminal at all" test ! -s "$work/quiet.tty"

"$LUASCALE" replay "$config" --trace "$trace" "${range[@]}" 2>&1 >"$work/pipe.out" | cat > "$work/pipe.err"
expect "stderr to a pipe: exit 0" test "${PIPESTATUS[0]}" -eq 0
"$LUASCALE" replay "$config" --trace "$trace" "${range[@]}" >"$work/file.out" 2>"$work/file.err"
for f in pipe file; do
  expect "stderr to a $f: no bar" test -z "$(grep -a 'replay \[' "$work/$f.err")"
  expect "stderr to a $f: no carriage return or escape" test -z "$(tr -d '\n[:print:]' < "$work/$f.err")"
  expect "stderr to a $f: the summary lines" grep -q 'replayed web over' "$work/$f.err"
done

# Two policies side by side: one bar for both replays.
on_tty two "$LUASCALE" replay "$config" --trace "$trace" "${range[@]}" --policy "$SRC/policies/hpa.lua" \
  --policy "$SRC/policies/hpa.lua" --jobs 2
expect "two replays: one bar counting replays" grep -aq 'replays' "$work/two.tty"

# tune: settings done of the grid, cleared at the end.
on_tty tune "$LUASCALE" tune "$SRC/examples/whatif/config.json" \
  --trace "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" \
  --param 'params.metrics[0].target=50:90:20' --jobs 2
read -r rc secs < "$work/tune.rc"
expect "tune on a terminal exits 0" test "$rc" -eq 0
expect "tune: the bar counts settings" grep -aqE 'tune \[[#-]+\] +[0-9]+%.*[0-9]/3 settings' "$work/tune.tty"
expect "tune: cleared at the end" grep -aq $'\r\x1b\\[K' "$work/tune.tty"
expect "tune: no 'replayed N/M settings' lines on a terminal" test -z "$(grep -a 'replayed [0-9]*/' "$work/tune.tty")"
on_tty tunequiet "$LUASCALE" tune "$SRC/examples/whatif/config.json" \
  --trace "$SRC/examples/traces/azure_llm_conv_requests_per_second.csv" \
  --param 'params.metrics[0].target=50:90:20' --jobs 2 --quiet
expect "tune --quiet: nothing on the terminal" test ! -s "$work/tunequiet.tty"
exit "$fail"
