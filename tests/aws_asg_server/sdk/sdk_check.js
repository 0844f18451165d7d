// tests/aws_asg_server/sdk/sdk_check.js — the AWS SDK for JavaScript's own CloudWatch and SQS
// clients against the test server (server.js + metric_services.js): if they sign, send and read
// what the server answers — values, pages, errors — the server speaks the protocols as AWS
// does, and what luascale's clients are tested against holds.
//   node sdk_check.js BASE_URL     (exit 0 when every check passes; one line per check)
'use strict';
const http = require('http');
const {CloudWatchClient, GetMetricDataCommand} = require('@aws-sdk/client-cloudwatch');
const {SQSClient, GetQueueAttributesCommand} = require('@aws-sdk/client-sqs');

const base = process.argv[2];
const credentials = {accessKeyId: 'AKIASDKCHECKEXAMPLE', secretAccessKey: 'sdk/check+secret'};
let failed = 0;

function check(ok, what) {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
  if (!ok) failed++;
}

function control(path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/_control/' + path, base),
        {method: body === undefined ? 'GET' : 'POST', headers: {'Content-Type': 'application/json'}}, (res) => {
          let data = '';
          res.on('data', (c) => { data += c; });
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(data)) : reject(new Error(data))));
        });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

async function main() {
  await control('credentials', [{access_key_id: credentials.accessKeyId, secret_access_key: credentials.secretAccessKey}]);
  const now = Math.floor(Date.now() / 1000 / 60) * 60;
  await control('metrics', [{namespace: 'AWS/EC2', metric_name: 'CPUUtilization',
                             dimensions: {AutoScalingGroupName: 'media'},
                             points: [[now - 240, 40], [now - 180, 55], [now - 120, 62.5]]}]);
  await control('queues', [{account: '123456789012', name: 'media-jobs',
                            attributes: {ApproximateNumberOfMessages: 120, ApproximateNumberOfMessagesNotVisible: 30}}]);
  await control('metric_page_size', {n: 2});

  const cw = new CloudWatchClient({endpoint: base, region: 'us-east-1', credentials, maxAttempts: 1});
  const query = {
    MetricDataQueries: [{Id: 'm1', ReturnData: true, MetricStat: {
      Metric: {Namespace: 'AWS/EC2', MetricName: 'CPUUtilization', Dimensions: [{Name: 'AutoScalingGroupName', Value: 'media'}]},
      Period: 60, Stat: 'Average'}}],
    StartTime: new Date((now - 600) * 1000), EndTime: new Date(now * 1000), ScanBy: 'TimestampDescending',
  };
  let values = [], times = [], pages = 0, token;
  do {
    const out = await cw.send(new GetMetricDataCommand({...query, NextToken: token}));
    pages++;
    for (const r of out.MetricDataResults) {
      values = values.concat(r.Values);
      times = times.concat(r.Timestamps.map((t) => t.getTime() / 1000));
    }
    token = out.NextToken;
  } while (token && pages < 10);
  check(JSON.stringify(values) === '[62.5,55,40]', `CloudWatch GetMetricData values newest first: ${JSON.stringify(values)}`);
  check(times[0] === now - 120, 'CloudWatch timestamps read back as dates');
  check(pages === 2, `CloudWatch NextToken pages followed: ${pages}`);

  const sqs = new SQSClient({endpoint: base, region: 'us-east-1', credentials, maxAttempts: 1});
  const url = `${base}/123456789012/media-jobs`;
  const attrs = await sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']}));
  check(attrs.Attributes.ApproximateNumberOfMessages === '120' &&
        attrs.Attributes.ApproximateNumberOfMessagesNotVisible === '30',
        `SQS GetQueueAttributes: ${JSON.stringify(attrs.Attributes)}`);
  try {
    await sqs.send(new GetQueueAttributesCommand({QueueUrl: `${base}/123456789012/gone`, AttributeNames: ['All']}));
    check(false, 'SQS missing queue is an error');
  } catch (e) {
    check(e.name === 'QueueDoesNotExist', `SQS missing queue: ${e.name}: ${e.message}`);
  }
  await control('faults', [{action: 'GetQueueAttributes', kind: 'accessdenied'}]);
  try {
    await sqs.send(new GetQueueAttributesCommand({QueueUrl: url, AttributeNames: ['All']}));
    check(false, 'SQS AccessDenied is an error');
  } catch (e) {
    check(/AccessDenied/.test(e.name) && e.$metadata.httpStatusCode === 403, `SQS AccessDenied: ${e.name} (HTTP ${e.$metadata.httpStatusCode})`);
  }
  await control('faults', [{action: 'GetMetricData', kind: 'throttle'}]);
  try {
    await cw.send(new GetMetricDataCommand(query));
    check(false, 'CloudWatch Throttling is an error');
  } catch (e) {
    check(/Throttl/.test(e.name), `CloudWatch Throttling: ${e.name}`);
  }
  const wrong = new SQSClient({endpoint: base, region: 'us-east-1', maxAttempts: 1,
                               credentials: {...credentials, secretAccessKey: 'not-the-secret'}});
  try {
    await wrong.send(new GetQueueAttributesCommand({QueueUrl: url, AttributeNames: ['All']}));
    check(false, 'a wrong secret is refused');
  } catch (e) {
    check(/SignatureDoesNotMatch/.test(e.name), `a wrong secret is refused: ${e.name}`);
  }
  const state = await control('state');
  check(state.signature_failures === 1, `every other SDK request verified (signature failures: ${state.signature_failures})`);
}

main().then(() => process.exit(failed ? 1 : 0), (e) => {
  process.stdout.write(`FAIL ${e.stack || e}\n`);
  process.exit(1);
});
