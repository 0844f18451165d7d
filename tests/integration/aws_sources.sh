#!/usr/bin/env bash
# The cloudwatch and sqs sources end to end against the AWS test server (tests/aws_asg_server,
# every signature checked with npm aws4): the AWS SDK for JavaScript's own clients first check
# the server; then `luascale run --once` scales a target on CPU from CloudWatch and the backlog
# from SQS, with the endpoints from AWS_ENDPOINT_URL_CLOUDWATCH / AWS_ENDPOINT_URL_SQS; then
# `luascale replay --cloudwatch ... --save-trace` pulls five hours of a metric, page by page, into
# a trace and replays it; and AWS errors reach the user.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/aws_server.sh" sdk

# 1. The real SDK clients against the server.
if (cd "$work/sdk" && node sdk_check.js "$url" 2>/dev/null); then
  echo "ok: the AWS SDK's CloudWatch and SQS clients read the test server as AWS"
else
  echo "FAIL: the AWS SDK's clients disagree with the test server"; fail=1
fi

control credentials '[{"access_key_id": "AKIASOURCESEXAMPLE", "secret_access_key": "sources/secret+key"}]' >/dev/null
now=$(date +%s)
t0=$(( (now / 60) * 60 - 5 * 3600 ))
points=$(python3 -c "print(','.join('[%d, %d]' % ($t0 + 60 * i, 20 + i % 60) for i in range(300)))")
control metrics "[{\"namespace\": \"AWS/EC2\", \"metric_name\": \"CPUUtilization\",
  \"dimensions\": {\"AutoScalingGroupName\": \"media\"}, \"points\": [$points]},
  {\"namespace\": \"Media\", \"metric_name\": \"Latest\", \"points\": [[-120, 140]]}]" >/dev/null
control queues '[{"account": "123456789012", "name": "media-jobs",
  "attributes": {"ApproximateNumberOfMessages": 330, "ApproximateNumberOfMessagesNotVisible": 20}}]' >/dev/null
control metric_page_size '{"n": 120}' >/dev/null

export AWS_ACCESS_KEY_ID=AKIASOURCESEXAMPLE AWS_SECRET_ACCESS_KEY='sources/secret+key' AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL
export AWS_ENDPOINT_URL_CLOUDWATCH="$url" AWS_ENDPOINT_URL_SQS="$url"

# 2. run --once: replicas = max(ceil(cpu / 70 * 2), ceil(backlog / 50)) over a file target.
cat > "$work/scale.lua" <<'LUA'
return { decide = function(ctx)
  local cpu, backlog = ctx:signal("cpu"), ctx:signal("backlog")
  if cpu == nil or backlog == nil then return nil end
  return { replicas = math.max(math.ceil(cpu / 70 * 2), math.ceil(backlog / 50)),
           reason = string.format("cpu %g backlog %g", cpu, backlog) }
end }
LUA
cat > "$work/run.json" <<JSON
{
  "policies": [{
    "name": "media", "script": "scale.lua", "interval": "15s",
    "target": { "kind": "file", "path": "replicas.txt", "replicas": 4 },
    "minReplicas": 1, "maxReplicas": 20,
    "signals": {
      "cpu": { "source": "cloudwatch", "namespace": "Media", "metric_name": "Latest",
               "stale_after": "5m", "timeout": "5s" },
      "backlog": { "source": "sqs", "queue": "media-jobs", "account": "123456789012",
                   "attributes": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }
    }
  }]
}
JSON
(cd "$work" && "$LUASCALE" check run.json >/dev/null 2>&1)
expect "check accepts the cloudwatch and sqs keys" test $? -eq 0
(cd "$work" && "$LUASCALE" run run.json --once --listen off >"$work/run.out" 2>&1)
expect "run --once scales on CloudWatch (140 -> 4) and SQS (350 -> 7): 7" \
  test "$(cat "$work/replicas.txt" 2>/dev/null)" = 7
control faults '[{"action": "GetQueueAttributes", "kind": "accessdenied"}]' >/dev/null
rm -f "$work/replicas.txt"
(cd "$work" && "$LUASCALE" run run.json --once --listen off >"$work/run2.out" 2>&1)
expect "AccessDenied from SQS is reported and holds the count" \
  grep -q "AccessDeniedException: User: arn:aws:iam::123456789012:user/luascale is not authorized" "$work/run2.out"
expect "... and nothing was written" test ! -e "$work/replicas.txt"
expect "no secret in the logs" bash -c "! grep -q 'sources/secret' '$work/run.out' '$work/run2.out'"

# 3. replay --cloudwatch: five hours at 1-minute periods, 120 points a page.
start=$(date -u -d "@$t0" +%Y-%m-%dT%H:%M:%SZ)
end=$((t0 + 300 * 60))
cat > "$work/replay.json" <<JSON
{ "policies": [{ "name": "cpu", "script": "$SRC/policies/target_tracking.lua",
    "params": { "signal": "cpu", "target": 50 }, "interval": "60s",
    "target": { "kind": "log", "replicas": 2 }, "minReplicas": 1, "maxReplicas": 20,
    "signals": { "cpu": { "source": "cloudwatch", "namespace": "AWS/EC2", "metric_name": "CPUUtilization" } } }] }
JSON
spec='cpu={"namespace": "AWS/EC2", "metric_name": "CPUUtilization", "dimensions": {"AutoScalingGroupName": "media"}, "statistic": "Average", "period": "1m"}'
(cd "$work" && "$LUASCALE" replay replay.json --cloudwatch "$spec" --start "$start" --end "$end" \
  --save-trace pulled.csv --quiet >"$work/replay.out" 2>"$work/replay.err")
rc=$?
expect "replay --cloudwatch runs (exit $rc)" test $rc -eq 0
expect "the pulled trace has every datapoint once (300 rows)" \
  test "$(tail -n +2 "$work/pulled.csv" | wc -l)" -eq 300
expect "rows in time order, first and last values as sent" \
  python3 -c "
import csv,sys
rows=list(csv.DictReader(open('$work/pulled.csv')))
t=[float(r['timestamp']) for r in rows]
sys.exit(0 if t==sorted(t) and t[0]==$t0 and float(rows[0]['cpu'])==20 and float(rows[-1]['cpu'])==20+299%60 else 1)"
expect "the replay summary names the policy" grep -q "^cpu " "$work/replay.out"
expect "pages were followed (at least 3 GetMetricData calls)" \
  test "$(control state | python3 -c 'import json,sys; print(json.load(sys.stdin)["metric_calls"]["GetMetricData"])')" -ge 3

# 4. Errors reach the user: no datapoint over the range, and AccessDenied.
(cd "$work" && "$LUASCALE" replay replay.json --cloudwatch 'cpu={"namespace": "AWS/EC2", "metric_name": "Nothing"}' \
  --start "$start" --end "$end" --quiet >/dev/null 2>"$work/empty.err")
expect "an empty metric is an error naming it" grep -q -- "--cloudwatch cpu: no datapoints over the whole range" "$work/empty.err"
control faults '[{"action": "GetMetricData", "kind": "accessdenied"}]' >/dev/null
(cd "$work" && "$LUASCALE" replay replay.json --cloudwatch "$spec" --start "$start" --end "$end" --quiet \
  >/dev/null 2>"$work/denied.err")
expect "AccessDenied names the chunk and AWS's message" grep -q "chunk .*AccessDenied: User" "$work/denied.err"
expect "every signature verified (only the SDK check's wrong secret failed)" \
  test "$(control state | python3 -c 'import json,sys; print(json.load(sys.stdin)["signature_failures"])')" -eq 1

[ "$fail" -eq 0 ] || { echo "--- server log"; tail -n 20 "$work/server.log"; for f in run.out run2.out replay.err; do echo "--- $f"; tail -n 20 "$work/$f" 2>/dev/null; done; }
exit $fail
