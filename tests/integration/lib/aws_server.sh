# The AWS test server (tests/aws_asg_server: Auto Scaling, CloudWatch and SQS, every signature
# checked) for an integration script; source it after common.sh. It installs the server's npm
# packages into $work, starts it on a free loopback port, sets $url and `control ...` (its test
# endpoints), and stops it at exit (KEEP_WORK=1 keeps $work). With the argument `sdk` it also
# installs the AWS SDK clients that check the server into $work/sdk.
server_pid=
aws_server_cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  [ -n "${KEEP_WORK:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap aws_server_cleanup EXIT

cp "$SRC/tests/aws_asg_server/"{package.json,package-lock.json,server.js,metric_services.js,control.js} "$work/"
(cd "$work" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) || { echo "FAIL: npm ci"; exit 1; }
if [ "${1:-}" = sdk ]; then
  mkdir "$work/sdk"
  cp "$SRC/tests/aws_asg_server/sdk/"{package.json,package-lock.json,sdk_check.js} "$work/sdk/"
  (cd "$work/sdk" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error) || { echo "FAIL: npm ci (sdk)"; exit 1; }
fi
(cd "$work" && exec node server.js --port-file "$work/port" >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 1 300); do [ -s "$work/port" ] && break; sleep 0.05; done
[ -s "$work/port" ] || { echo "FAIL: test server did not start"; cat "$work/server.log"; exit 1; }
url="http://127.0.0.1:$(cat "$work/port")"
control() { node "$work/control.js" "$url" "$@"; }
