// tests/aws_asg_server/metric_services.js — the CloudWatch (GetMetricData, over the Query
// protocol 2010-08-01 as luascale speaks it, and over AWS JSON 1.0 as current SDKs do) and SQS
// (GetQueueAttributes, AWS JSON 1.0 with X-Amz-Target) parts of the test server. server.js verifies every request's SigV4 signature before it reaches these handlers
// and hands them its fault queue; they keep metric series and queues set by the control API:
//   POST /_control/metrics  [{namespace, metric_name, dimensions: {Name: value}, points: [[t, v]]}]
//                           (t <= 0: seconds relative to now; else unix seconds)
//   POST /_control/queues   [{account, name, attributes: {ApproximateNumberOfMessages: 5, ...}}]
//   POST /_control/metric_page_size {n}    datapoints per GetMetricData page (default 100800)
'use strict';

const crypto = require('crypto');

const CW_NS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';

const store = {
  metrics: [],      // {namespace, metric_name, dimensions, points: [[unix seconds, value]]}
  queues: {},       // "account/name" -> {ApproximateNumberOfMessages: n, ...}
  page_size: 100800,
  calls: {GetMetricData: 0, GetQueueAttributes: 0},
};

function xmlEscape(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function cwError(send, status, code, message) {
  send(status, `<ErrorResponse xmlns="${CW_NS}">\n  <Error>\n    <Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>\n` +
      `    <Code>${xmlEscape(code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n` +
      `  <RequestId>${crypto.randomUUID()}</RequestId>\n</ErrorResponse>\n`, 'text/xml');
}

function jsonError(res, status, type, queryCode, message) {
  const body = JSON.stringify({__type: type, message});
  res.writeHead(status, {'Content-Type': 'application/x-amz-json-1.0',
                         'Content-Length': Buffer.byteLength(body),
                         'x-amzn-RequestId': crypto.randomUUID(),
                         'x-amzn-query-error': `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`});
  res.end(body);
}

function isoSeconds(t) {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// MetricDataQueries.member.N.* -> [{id, metric: {namespace, name, dims}, stat, period, expression,
// returnData}]
function parseQueries(params) {
  const out = [];
  for (let i = 1; params[`MetricDataQueries.member.${i}.Id`] !== undefined; ++i) {
    const m = `MetricDataQueries.member.${i}.`;
    const q = {id: params[m + 'Id'], expression: params[m + 'Expression'],
               returnData: params[m + 'ReturnData'] !== 'false'};
    if (!q.expression) {
      const s = m + 'MetricStat.';
      const dims = {};
      for (let d = 1; params[`${s}Metric.Dimensions.member.${d}.Name`] !== undefined; ++d) {
        dims[params[`${s}Metric.Dimensions.member.${d}.Name`]] = params[`${s}Metric.Dimensions.member.${d}.Value`];
      }
      q.metric = {namespace: params[s + 'Metric.Namespace'], name: params[s + 'Metric.MetricName'], dims};
      q.stat = params[s + 'Stat'];
      q.period = parseInt(params[s + 'Period'], 10);
      if (!q.metric.namespace || !q.metric.name || !q.stat || !(q.period > 0)) return {error: `query ${q.id}: MetricStat needs Namespace, MetricName, Stat and Period`};
    }
    out.push(q);
  }
  if (out.length === 0) return {error: 'MetricDataQueries is required'};
  return {queries: out};
}

function sameDims(a, b) {
  const ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

// Evaluates a metric-math expression of + - * / and parentheses over query ids, at each
// timestamp every referenced series has.
function evalExpression(expr, series) {
  if (!/^[A-Za-z0-9_+\-*/(). ]+$/.test(expr)) return {error: `unsupported expression ${expr}`};
  const ids = (expr.match(/[a-z][A-Za-z0-9_]*/g) || []);
  for (const id of ids) if (!series[id]) return {error: `expression ${expr}: unknown id ${id}`};
  const fn = new Function(...ids, `return (${expr});`);
  const times = ids.length ? series[ids[0]].map((p) => p[0]).filter((t) => ids.every((id) => series[id].some((p) => p[0] === t))) : [];
  return {points: times.map((t) => [t, fn(...ids.map((id) => series[id].find((p) => p[0] === t)[1]))])};
}

// One GetMetricData page: {error} or {members: [{q, pts}], next}.
function metricDataPage(params) {
  store.calls.GetMetricData++;
  const parsed = parseQueries(params);
  if (parsed.error) return {error: ['ValidationError', parsed.error]};
  const start = Date.parse(params.StartTime) / 1000, end = Date.parse(params.EndTime) / 1000;
  if (!(start < end)) return {error: ['ValidationError', 'The parameter StartTime must be less than the parameter EndTime.']};
  const series = {};
  for (const q of parsed.queries.filter((x) => !x.expression)) {
    const m = store.metrics.find((x) => x.namespace === q.metric.namespace && x.metric_name === q.metric.name && sameDims(x.dimensions || {}, q.metric.dims));
    series[q.id] = m ? m.points.filter((p) => p[0] >= start && p[0] < end) : [];
  }
  for (const q of parsed.queries.filter((x) => x.expression)) {
    const r = evalExpression(q.expression, series);
    if (r.error) return {error: ['ValidationError', r.error]};
    series[q.id] = r.points;
  }
  const descending = params.ScanBy !== 'TimestampAscending';
  const returned = parsed.queries.filter((q) => q.returnData).map((q) => {
    const pts = series[q.id].slice().sort((a, b) => descending ? b[0] - a[0] : a[0] - b[0]);
    return {q, pts};
  });
  // Pages over the flattened (query, point) list.
  const flat = [];
  for (const r of returned) {
    if (r.pts.length === 0) flat.push({r, p: null});
    for (const p of r.pts) flat.push({r, p});
  }
  const from = params.NextToken ? parseInt(params.NextToken, 10) : 0;
  if (Number.isNaN(from)) return {error: ['InvalidNextToken', 'The service found an invalid NextToken.']};
  let to = from, points = 0;
  while (to < flat.length && (points < store.page_size || flat[to].p === null)) {
    if (flat[to].p) points++;
    to++;
  }
  const byQuery = new Map();
  for (const {r, p} of flat.slice(from, to)) {
    if (!byQuery.has(r)) byQuery.set(r, []);
    if (p) byQuery.get(r).push(p);
  }
  return {members: [...byQuery.entries()].map(([r, pts]) => ({q: r.q, pts})), more: to < flat.length, next: to};
}

function getMetricData(params, send) {
  const page = metricDataPage(params);
  if (page.error) return cwError(send, 400, page.error[0], page.error[1]);
  const more = page.more, to = page.next;
  const members = page.members.map(({q, pts}) => ({r: {q}, pts})).map(({r, pts}) => `      <member>
        <Id>${xmlEscape(r.q.id)}</Id>
        <Label>${xmlEscape(r.q.expression || r.q.metric.name)}</Label>
        <StatusCode>${more ? 'PartialData' : 'Complete'}</StatusCode>
        <Timestamps>
${pts.map((p) => `          <member>${isoSeconds(p[0])}</member>\n`).join('')}        </Timestamps>
        <Values>
${pts.map((p) => `          <member>${p[1]}</member>\n`).join('')}        </Values>
        <Messages/>
      </member>\n`).join('');
  send(200, `<GetMetricDataResponse xmlns="${CW_NS}">
  <GetMetricDataResult>
    <MetricDataResults>
${members}    </MetricDataResults>
${more ? `    <NextToken>${to}</NextToken>\n` : ''}    <Messages/>
  </GetMetricDataResult>
  <ResponseMetadata>
    <RequestId>${crypto.randomUUID()}</RequestId>
  </ResponseMetadata>
</GetMetricDataResponse>
`, 'text/xml');
}

// The same page over AWS JSON 1.0: the JSON input flattened to the Query parameters.
function getMetricDataJson(input, res, sendRaw) {
  const params = {};
  (input.MetricDataQueries || []).forEach((q, i) => {
    const m = `MetricDataQueries.member.${i + 1}.`;
    params[m + 'Id'] = q.Id;
    if (q.Expression !== undefined) params[m + 'Expression'] = q.Expression;
    if (q.ReturnData !== undefined) params[m + 'ReturnData'] = String(q.ReturnData);
    if (q.MetricStat) {
      const s = m + 'MetricStat.';
      params[s + 'Metric.Namespace'] = q.MetricStat.Metric.Namespace;
      params[s + 'Metric.MetricName'] = q.MetricStat.Metric.MetricName;
      (q.MetricStat.Metric.Dimensions || []).forEach((d, j) => {
        params[`${s}Metric.Dimensions.member.${j + 1}.Name`] = d.Name;
        params[`${s}Metric.Dimensions.member.${j + 1}.Value`] = d.Value;
      });
      params[s + 'Period'] = String(q.MetricStat.Period);
      params[s + 'Stat'] = q.MetricStat.Stat;
    }
  });
  const time = (t) => new Date((typeof t === 'number' ? t * 1000 : Date.parse(t))).toISOString();
  params.StartTime = time(input.StartTime);
  params.EndTime = time(input.EndTime);
  if (input.ScanBy) params.ScanBy = input.ScanBy;
  if (input.NextToken) params.NextToken = input.NextToken;
  const page = metricDataPage(params);
  if (page.error) return jsonError(res, 400, `com.amazonaws.cloudwatch#${page.error[0]}`, page.error[0], page.error[1]);
  const out = {MetricDataResults: page.members.map(({q, pts}) => ({
    Id: q.id, Label: q.expression || q.metric.name, StatusCode: page.more ? 'PartialData' : 'Complete',
    Timestamps: pts.map((p) => p[0]), Values: pts.map((p) => p[1]), Messages: []})), Messages: []};
  if (page.more) out.NextToken = String(page.next);
  sendRaw(res, 200, JSON.stringify(out), 'application/x-amz-json-1.0');
}

// A Query-protocol CloudWatch request after its signature was verified. `fault` is the next
// injected fault for the action, if any.
function handleCloudWatch(params, res, fault, sendRaw) {
  const send = (status, body, type) => sendRaw(res, status, body, type);
  if (params.Version !== '2010-08-01') return cwError(send, 400, 'InvalidAction', 'bad Version');
  if (params.Action !== 'GetMetricData') return cwError(send, 400, 'InvalidAction', `Could not find operation ${params.Action} for version 2010-08-01`);
  const run = () => getMetricData(params, send);
  if (!fault) return run();
  if (fault.kind === 'throttle') return cwError(send, 400, 'Throttling', 'Rate exceeded');
  if (fault.kind === '500') return cwError(send, 500, 'InternalFailure', 'An internal error occurred');
  if (fault.kind === 'accessdenied') return cwError(send, 403, 'AccessDenied', 'User: arn:aws:iam::123456789012:user/luascale is not authorized to perform: cloudwatch:GetMetricData');
  if (fault.kind === 'slow') return setTimeout(() => { try { run(); } catch (e) { /* client gone */ } }, fault.delay_ms || 3000);
  return run();
}

// An AWS JSON 1.0 CloudWatch request (X-Amz-Target GraniteServiceVersion20100801.<op>) after its
// signature was verified: what current SDKs send.
function handleCloudWatchJson(req, body, res, fault, sendRaw) {
  const op = (req.headers['x-amz-target'] || '').split('.').pop();
  let input;
  try { input = JSON.parse(body || '{}'); } catch (e) {
    return jsonError(res, 400, 'com.amazon.coral.service#SerializationException', 'SerializationException', 'the body is not JSON');
  }
  if (op !== 'GetMetricData') return jsonError(res, 400, 'com.amazon.coral.service#UnknownOperationException', 'UnknownOperation', `unknown operation ${op}`);
  const run = () => getMetricDataJson(input, res, sendRaw);
  if (!fault) return run();
  if (fault.kind === 'throttle') return jsonError(res, 400, 'com.amazon.coral.availability#ThrottlingException', 'Throttling', 'Rate exceeded');
  if (fault.kind === '500') return jsonError(res, 500, 'com.amazon.coral.service#InternalFailure', 'InternalFailure', 'An internal error occurred');
  if (fault.kind === 'accessdenied') return jsonError(res, 403, 'com.amazon.coral.service#AccessDeniedException', 'AccessDenied', 'User: arn:aws:iam::123456789012:user/luascale is not authorized to perform: cloudwatch:GetMetricData');
  if (fault.kind === 'slow') return setTimeout(() => { try { run(); } catch (e) { /* client gone */ } }, fault.delay_ms || 3000);
  return run();
}

// An AWS JSON 1.0 SQS request after its signature was verified.
function handleSqs(req, body, res, fault, sendRaw) {
  const target = req.headers['x-amz-target'] || '';
  if (!target.startsWith('AmazonSQS.')) return jsonError(res, 400, 'com.amazon.coral.service#UnknownOperationException', 'UnknownOperation', 'missing or foreign X-Amz-Target');
  const op = target.slice('AmazonSQS.'.length);
  let input;
  try { input = JSON.parse(body || '{}'); } catch (e) {
    return jsonError(res, 400, 'com.amazon.coral.service#SerializationException', 'SerializationException', 'the body is not JSON');
  }
  if (op !== 'GetQueueAttributes') return jsonError(res, 400, 'com.amazon.coral.service#UnknownOperationException', 'UnknownOperation', `unknown operation ${op}`);
  store.calls.GetQueueAttributes++;
  const run = () => {
    const url = String(input.QueueUrl || '');
    const m = /^https?:\/\/[^/]+\/(\d{12})\/([A-Za-z0-9_-]{1,80}(\.fifo)?)$/.exec(url);
    const q = m && store.queues[`${m[1]}/${m[2]}`];
    if (!q) return jsonError(res, 400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    const names = Array.isArray(input.AttributeNames) ? input.AttributeNames : [];
    const attrs = {};
    for (const [k, v] of Object.entries(q)) {
      if (names.includes('All') || names.includes(k)) attrs[k] = String(v);
    }
    sendRaw(res, 200, JSON.stringify(Object.keys(attrs).length ? {Attributes: attrs} : {}), 'application/x-amz-json-1.0');
  };
  if (!fault) return run();
  if (fault.kind === 'throttle') return jsonError(res, 400, 'com.amazon.coral.availability#ThrottlingException', 'ThrottlingException', 'Rate exceeded');
  if (fault.kind === '500') return jsonError(res, 500, 'com.amazon.coral.service#InternalFailure', 'InternalFailure', 'An internal error occurred');
  if (fault.kind === 'accessdenied') return jsonError(res, 403, 'com.amazon.coral.service#AccessDeniedException', 'AccessDenied', 'User: arn:aws:iam::123456789012:user/luascale is not authorized to perform: sqs:getqueueattributes');
  if (fault.kind === 'slow') return setTimeout(() => { try { run(); } catch (e) { /* client gone */ } }, fault.delay_ms || 3000);
  return run();
}

// Control paths of these services; returns true when it answered.
function handleControl(path, input, json) {
  const now = Date.now() / 1000;
  switch (path) {
    case '/_control/metrics':
      store.metrics = input.map((m) => ({namespace: m.namespace, metric_name: m.metric_name,
                                         dimensions: m.dimensions || {},
                                         points: (m.points || []).map(([t, v]) => [t <= 0 ? Math.floor(now + t) : t, v])}));
      json(200, {ok: true});
      return true;
    case '/_control/queues':
      store.queues = {};
      for (const q of input) store.queues[`${q.account}/${q.name}`] = q.attributes || {};
      json(200, {ok: true});
      return true;
    case '/_control/metric_page_size':
      store.page_size = input.n;
      json(200, {ok: true});
      return true;
    default:
      return false;
  }
}

module.exports = {handleCloudWatch, handleCloudWatchJson, handleSqs, handleControl, store};
