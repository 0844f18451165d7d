// tests/aws_asg_server/server.js — a protocol-faithful stand-in for the AWS endpoints luascale
// talks to, on loopback: EC2 Auto Scaling (Query API 2011-01-01), CloudWatch GetMetricData
// (Query API 2010-08-01) and SQS GetQueueAttributes (AWS JSON 1.0; both in metric_services.js),
// STS AssumeRoleWithWebIdentity and the EC2 instance metadata service (IMDSv2). Every signed
// request's SigV4 signature is checked with the npm `aws4` package (an implementation
// independent of luascale's signer), and its credential scope must name the service. It keeps
// group state and scheduled actions, metric series and queues, and injects faults on demand:
// Throttling, HTTP 500, AccessDenied, ScalingActivityInProgress and slow responses.
//
//   node server.js [--port N] [--port-file PATH] [--state FILE]
// Prints "listening <port>" once ready (and writes the port to --port-file).
//
// Control API (JSON, for tests):
//   POST /_control/groups       [{name, min, max, desired}]          replace the groups
//   POST /_control/credentials  [{access_key_id, secret_access_key, session_token?}]
//   POST /_control/faults       [{action: "SetDesiredCapacity"|"GetMetricData"|
//                                 "GetQueueAttributes"|"*", kind: "throttle"|"500"|
//                                 "activity"|"validation"|"expired"|"slow"|"accessdenied",
//                                 count: N, delay_ms, message}]   appended to a queue
//   POST /_control/metrics, /_control/queues, /_control/metric_page_size   see metric_services.js
//   POST /_control/sts          {token, role_arn, duration_seconds}  what STS accepts/issues
//   POST /_control/imds         {role, duration_seconds, expire_tokens: true}
//   POST /_control/page_size    {n}                                  DescribeScheduledActions page
//   GET|POST /_control/metric   {value}                              a number for http-json sources
//   GET  /_control/state        {groups, scheduled, requests, signature_failures, sts_calls,
//                                imds_token_calls, imds_credential_calls}
'use strict';

const http = require('http');
const fs = require('fs');
const crypto = require('crypto');
const aws4 = require('aws4');
const metricServices = require('./metric_services');

const NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const args = process.argv.slice(2);
function arg(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

const state = {
  groups: {},            // name -> {name, min, max, desired, instances: [...], cooldown}
  scheduled: {},         // group -> {actionName -> action}
  credentials: {},       // access key id -> {secret, token}
  faults: [],            // queue of {action, kind, count, delay_ms}
  requests: [],          // {action, params, verified, error, access_key_id, time}
  signature_failures: 0,
  sts: {token: null, role_arn: null, duration_seconds: 3600},
  sts_calls: 0,
  imds: {role: 'luascale-node-role', duration_seconds: 21600, tokens: {}},
  imds_token_calls: 0,
  imds_credential_calls: 0,
  page_size: 100,
  next_instance: 1,
  next_key: 1,
};

function xmlEscape(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
}

function requestId() { return crypto.randomUUID(); }

function errorXml(code, message, type) {
  return `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type || 'Sender'}</Type>\n` +
      `    <Code>${xmlEscape(code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n` +
      `  </Error>\n  <RequestId>${requestId()}</RequestId>\n</ErrorResponse>\n`;
}

function send(res, status, body, type) {
  res.writeHead(status, {'Content-Type': type || 'text/xml', 'Content-Length': Buffer.byteLength(body),
                         'x-amzn-RequestId': requestId()});
  res.end(body);
}

function sendError(res, status, code, message) {
  send(res, status, errorXml(code, message, status >= 500 ? 'Receiver' : 'Sender'));
}

// Form decoding as AWS does it: '+' is a space, %XX escapes.
function parseForm(body) {
  const out = {};
  for (const piece of body.split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    const k = decodeURIComponent((eq < 0 ? piece : piece.slice(0, eq)).replace(/\+/g, ' '));
    const v = eq < 0 ? '' : decodeURIComponent(piece.slice(eq + 1).replace(/\+/g, ' '));
    out[k] = v;
  }
  return out;
}

// Checks the SigV4 Authorization header by re-signing the request with aws4 from the signed
// headers only, using the secret registered for the access key. Returns null or an error code.
function verifySignature(req, body) {
  const auth = req.headers['authorization'];
  if (!auth) return ['MissingAuthenticationToken', 'Request is missing Authentication Token'];
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return ['IncompleteSignature', 'Authorization header is malformed'];
  const [, keyId, date, region, service, signedHeaders, signature] = m;
  const known = state.credentials[keyId];
  if (!known) return ['InvalidClientTokenId', 'The security token included in the request is invalid.'];
  if (known.expires && Date.now() > known.expires) {
    return ['ExpiredToken', 'The security token included in the request is expired'];
  }
  const amzDate = req.headers['x-amz-date'] || '';
  if (amzDate.slice(0, 8) !== date) return ['IncompleteSignature', 'Date mismatch in credential scope'];
  const m2 = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m2) return ['IncompleteSignature', 'X-Amz-Date is malformed'];
  const signedAt = Date.UTC(+m2[1], +m2[2] - 1, +m2[3], +m2[4], +m2[5], +m2[6]);
  if (Math.abs(Date.now() - signedAt) > 5 * 60 * 1000) {
    return ['RequestExpired', 'Request has expired.'];
  }
  const names = signedHeaders.split(';');
  for (const needed of ['host', 'x-amz-date']) {
    if (!names.includes(needed)) return ['IncompleteSignature', `${needed} is not signed`];
  }
  if (known.token) {
    if (req.headers['x-amz-security-token'] !== known.token) {
      return ['InvalidClientTokenId', 'The security token included in the request is invalid.'];
    }
    if (!names.includes('x-amz-security-token')) {
      return ['IncompleteSignature', 'x-amz-security-token is not signed'];
    }
  }
  const headers = {};
  for (const n of names) {
    const v = req.headers[n];
    if (v === undefined) return ['IncompleteSignature', `signed header ${n} is missing`];
    headers[n] = Array.isArray(v) ? v.join(',') : v;
  }
  const q = req.url.indexOf('?');
  const opts = {
    method: req.method, path: req.url, host: headers.host, headers, body,
    service, region, doNotModifyHeaders: true,
  };
  const signer = new aws4.RequestSigner(opts, {accessKeyId: keyId, secretAccessKey: known.secret,
                                               sessionToken: known.token || undefined});
  // With doNotModifyHeaders aws4 would take the server's clock for the string to sign; the
  // request's own X-Amz-Date is the one that counts.
  signer.datetime = amzDate;
  signer.sign();
  const expected = opts.headers.Authorization || opts.headers.authorization;
  void q;
  if (expected !== auth) {
    process.stderr.write(`SignatureDoesNotMatch for ${keyId}: canonical request the server ` +
                         `computed:\n${signer.canonicalString()}\nreceived: ${auth}\nexpected: ${expected}\n` +
                         `raw headers: ${JSON.stringify(req.rawHeaders.filter((h, i) => i % 2 === 0 || !/^AWS4|^[A-Za-z0-9+/=]{40,}$/.test(h)))}\n`);
    return ['SignatureDoesNotMatch',
            'The request signature we calculated does not match the signature you provided.'];
  }
  return null;
}

function takeFault(action) {
  const i = state.faults.findIndex((f) => f.action === action || f.action === '*');
  if (i < 0) return null;
  const f = state.faults[i];
  f.count = (f.count || 1) - 1;
  if (f.count <= 0) state.faults.splice(i, 1);
  return f;
}

function makeInstance(group) {
  const id = 'i-' + (state.next_instance++).toString(16).padStart(17, '0');
  return {id, az: 'us-east-1a', state: 'InService', health: 'Healthy'};
}

function resize(group, desired) {
  group.desired = desired;
  while (group.instances.length < desired) group.instances.push(makeInstance(group));
  while (group.instances.length > desired) group.instances.pop();
}

function groupXml(g) {
  const instances = g.instances.map((i) => `          <member>
            <ProtectedFromScaleIn>false</ProtectedFromScaleIn>
            <AvailabilityZone>${i.az}</AvailabilityZone>
            <InstanceId>${i.id}</InstanceId>
            <InstanceType>t3.micro</InstanceType>
            <HealthStatus>${i.health}</HealthStatus>
            <LifecycleState>${i.state}</LifecycleState>
          </member>\n`).join('');
  return `      <member>
        <AutoScalingGroupName>${xmlEscape(g.name)}</AutoScalingGroupName>
        <AutoScalingGroupARN>arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${xmlEscape(g.name)}</AutoScalingGroupARN>
        <MinSize>${g.min}</MinSize>
        <MaxSize>${g.max}</MaxSize>
        <DesiredCapacity>${g.desired}</DesiredCapacity>
        <DefaultCooldown>300</DefaultCooldown>
        <AvailabilityZones>
          <member>us-east-1a</member>
        </AvailabilityZones>
        <HealthCheckType>EC2</HealthCheckType>
        <Instances>
${instances}        </Instances>
        <CreatedTime>2026-01-01T00:00:00.000Z</CreatedTime>
        <SuspendedProcesses />
        <Status />
        <Tags />
      </member>\n`;
}

function ok(res, action, result) {
  const inner = result === undefined ? '' : `  <${action}Result>\n${result}  </${action}Result>\n`;
  send(res, 200, `<${action}Response xmlns="${NS}">\n${inner}  <ResponseMetadata>\n` +
      `    <RequestId>${requestId()}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`);
}

function listParams(params, prefix) {
  const out = [];
  for (let i = 1; params[`${prefix}.member.${i}`] !== undefined; ++i) out.push(params[`${prefix}.member.${i}`]);
  return out;
}

function intParam(params, name) {
  const v = params[name];
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) return NaN;
  return parseInt(v, 10);
}

const handlers = {
  DescribeAutoScalingGroups(params, res) {
    const names = listParams(params, 'AutoScalingGroupNames');
    const groups = Object.values(state.groups).filter((g) => names.length === 0 || names.includes(g.name));
    ok(res, 'DescribeAutoScalingGroups', `    <AutoScalingGroups>\n${groups.map(groupXml).join('')}    </AutoScalingGroups>\n`);
  },
  SetDesiredCapacity(params, res) {
    const g = state.groups[params.AutoScalingGroupName];
    if (!g) return sendError(res, 400, 'ValidationError', 'AutoScalingGroup name not found - null');
    const d = intParam(params, 'DesiredCapacity');
    if (d === undefined || Number.isNaN(d)) return sendError(res, 400, 'ValidationError', 'DesiredCapacity is required');
    if (d > g.max) return sendError(res, 400, 'ValidationError', `New SetDesiredCapacity value ${d} is above max value ${g.max} for the AutoScalingGroup.`);
    if (d < g.min) return sendError(res, 400, 'ValidationError', `New SetDesiredCapacity value ${d} is below min value ${g.min} for the AutoScalingGroup.`);
    if (params.HonorCooldown !== undefined && params.HonorCooldown !== 'true' && params.HonorCooldown !== 'false') {
      return sendError(res, 400, 'ValidationError', 'HonorCooldown must be a boolean');
    }
    g.last_honor_cooldown = params.HonorCooldown;
    resize(g, d);
    ok(res, 'SetDesiredCapacity');
  },
  DescribeScheduledActions(params, res) {
    const g = params.AutoScalingGroupName;
    const all = Object.values(state.scheduled[g] || {}).sort((a, b) => a.name < b.name ? -1 : 1);
    const start = params.NextToken ? parseInt(params.NextToken, 10) : 0;
    const max = Math.min(intParam(params, 'MaxRecords') || 50, state.page_size);
    const page = all.slice(start, start + max);
    const next = start + max < all.length ? `    <NextToken>${start + max}</NextToken>\n` : '';
    const members = page.map((a) => `      <member>
        <AutoScalingGroupName>${xmlEscape(g)}</AutoScalingGroupName>
        <ScheduledActionName>${xmlEscape(a.name)}</ScheduledActionName>
        <ScheduledActionARN>arn:aws:autoscaling:us-east-1:123456789012:scheduledUpdateGroupAction:x:autoScalingGroupName/${xmlEscape(g)}:scheduledActionName/${xmlEscape(a.name)}</ScheduledActionARN>
${a.start ? `        <StartTime>${a.start}</StartTime>\n        <Time>${a.start}</Time>\n` : ''}${a.recurrence ? `        <Recurrence>${xmlEscape(a.recurrence)}</Recurrence>\n` : ''}${a.min !== undefined ? `        <MinSize>${a.min}</MinSize>\n` : ''}${a.max !== undefined ? `        <MaxSize>${a.max}</MaxSize>\n` : ''}${a.desired !== undefined ? `        <DesiredCapacity>${a.desired}</DesiredCapacity>\n` : ''}${a.time_zone ? `        <TimeZone>${xmlEscape(a.time_zone)}</TimeZone>\n` : ''}      </member>\n`).join('');
    ok(res, 'DescribeScheduledActions', `    <ScheduledUpdateGroupActions>\n${members}    </ScheduledUpdateGroupActions>\n${next}`);
  },
  PutScheduledUpdateGroupAction(params, res) {
    const g = state.groups[params.AutoScalingGroupName];
    if (!g) return sendError(res, 400, 'ValidationError', 'AutoScalingGroup name not found - null');
    const name = params.ScheduledActionName;
    if (!name) return sendError(res, 400, 'ValidationError', 'ScheduledActionName is required');
    const a = {name};
    if (params.StartTime) {
      const t = Date.parse(params.StartTime);
      if (Number.isNaN(t) || !/Z$/.test(params.StartTime)) return sendError(res, 400, 'ValidationError', 'StartTime must be an ISO 8601 UTC time');
      if (t < Date.now()) return sendError(res, 400, 'ValidationError', 'Given start time is in the past');
      a.start = new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
    }
    if (params.Recurrence) a.recurrence = params.Recurrence;
    if (params.TimeZone) {
      try { new Intl.DateTimeFormat('en-US', {timeZone: params.TimeZone}); } catch (e) {
        return sendError(res, 400, 'ValidationError', `Invalid time zone ${params.TimeZone}`);
      }
      a.time_zone = params.TimeZone;
    }
    for (const [p, k] of [['MinSize', 'min'], ['MaxSize', 'max'], ['DesiredCapacity', 'desired']]) {
      const v = intParam(params, p);
      if (Number.isNaN(v)) return sendError(res, 400, 'ValidationError', `${p} must be an integer`);
      if (v !== undefined) a[k] = v;
    }
    if (a.min === undefined && a.max === undefined && a.desired === undefined) {
      return sendError(res, 400, 'ValidationError', 'At least one of MinSize, MaxSize or DesiredCapacity must be specified');
    }
    (state.scheduled[g.name] = state.scheduled[g.name] || {})[name] = a;
    ok(res, 'PutScheduledUpdateGroupAction');
  },
  DeleteScheduledAction(params, res) {
    const actions = state.scheduled[params.AutoScalingGroupName] || {};
    if (!actions[params.ScheduledActionName]) {
      return sendError(res, 400, 'ValidationError', 'Scheduled action name not found - ' + params.ScheduledActionName);
    }
    delete actions[params.ScheduledActionName];
    ok(res, 'DeleteScheduledAction');
  },
};

function newKeyId(prefix) {
  return prefix + String(state.next_key++).padStart(16 - prefix.length, '0');
}

function handleSts(params, res) {
  state.sts_calls++;
  if (params.Version !== '2011-06-15') return sendError(res, 400, 'InvalidAction', 'bad Version');
  if (!state.sts.token || params.WebIdentityToken !== state.sts.token) {
    return sendError(res, 400, 'InvalidIdentityToken', 'Couldn\'t retrieve verification key from your identity provider');
  }
  if (state.sts.role_arn && params.RoleArn !== state.sts.role_arn) {
    return sendError(res, 403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
  }
  if (!params.RoleSessionName) return sendError(res, 400, 'ValidationError', 'RoleSessionName is required');
  const id = newKeyId('ASIASTS');
  const secret = crypto.randomBytes(30).toString('base64');
  const token = 'IQoJb3JpZ2luX2VjE' + crypto.randomBytes(48).toString('base64');
  const expires = Date.now() + state.sts.duration_seconds * 1000;
  state.credentials[id] = {secret, token, expires};
  const expiration = new Date(expires).toISOString().replace(/\.\d{3}Z$/, 'Z');
  send(res, 200, `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:default:luascale</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>${xmlEscape(params.RoleArn)}/${xmlEscape(params.RoleSessionName)}</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:${xmlEscape(params.RoleSessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${token}</SessionToken>
      <SecretAccessKey>${secret}</SecretAccessKey>
      <Expiration>${expiration}</Expiration>
      <AccessKeyId>${id}</AccessKeyId>
    </Credentials>
    <Provider>oidc.eks.us-east-1.amazonaws.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId()}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`);
}

function handleImds(req, res) {
  const url = req.url;
  if (url === '/latest/api/token') {
    if (req.method !== 'PUT') return send(res, 405, '', 'text/plain');
    const ttl = parseInt(req.headers['x-aws-ec2-metadata-token-ttl-seconds'] || '', 10);
    if (!(ttl >= 1 && ttl <= 21600)) return send(res, 400, '', 'text/plain');
    state.imds_token_calls++;
    const token = 'AQAEA' + crypto.randomBytes(24).toString('base64');
    state.imds.tokens[token] = Date.now() + ttl * 1000;
    res.writeHead(200, {'Content-Type': 'text/plain', 'X-aws-ec2-metadata-token-ttl-seconds': String(ttl)});
    return res.end(token);
  }
  const token = req.headers['x-aws-ec2-metadata-token'];
  const valid = token && state.imds.tokens[token] && state.imds.tokens[token] > Date.now();
  if (!valid) return send(res, 401, '', 'text/plain');
  const base = '/latest/meta-data/iam/security-credentials/';
  if (url === base) return send(res, 200, state.imds.role, 'text/plain');
  if (url === base + encodeURIComponent(state.imds.role)) {
    state.imds_credential_calls++;
    const id = newKeyId('ASIAIMDS');
    const secret = crypto.randomBytes(30).toString('base64');
    const sessionToken = 'IQoJb3JpZ2luX2VjEIMDS' + crypto.randomBytes(48).toString('base64');
    const expires = Date.now() + state.imds.duration_seconds * 1000;
    state.credentials[id] = {secret, token: sessionToken, expires};
    return send(res, 200, JSON.stringify({
      Code: 'Success', LastUpdated: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), Type: 'AWS-HMAC',
      AccessKeyId: id, SecretAccessKey: secret, Token: sessionToken,
      Expiration: new Date(expires).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }, null, 2), 'text/plain');
  }
  if (url === '/latest/meta-data/placement/region') return send(res, 200, 'us-east-1', 'text/plain');
  return send(res, 404, '', 'text/plain');
}

function handleControl(req, res, body) {
  const path = req.url;
  const json = (status, obj) => send(res, status, JSON.stringify(obj, null, 1), 'application/json');
  let input = null;
  if (req.method === 'POST') {
    try { input = JSON.parse(body || 'null'); } catch (e) { return json(400, {error: e.message}); }
  }
  switch (path) {
    case '/_control/groups':
      state.groups = {};
      for (const g of input) {
        state.groups[g.name] = {name: g.name, min: g.min, max: g.max, desired: 0, instances: []};
        resize(state.groups[g.name], g.desired);
      }
      return json(200, {ok: true});
    case '/_control/credentials':
      for (const c of input) state.credentials[c.access_key_id] = {secret: c.secret_access_key, token: c.session_token || null};
      return json(200, {ok: true});
    case '/_control/faults':
      for (const f of input) state.faults.push(Object.assign({count: 1}, f));
      return json(200, {ok: true});
    case '/_control/sts':
      Object.assign(state.sts, input);
      return json(200, {ok: true});
    case '/_control/imds':
      // expire_tokens: every IMDS session token issued so far stops working (401).
      if (input.expire_tokens) state.imds.tokens = {};
      delete input.expire_tokens;
      Object.assign(state.imds, input);
      return json(200, {ok: true});
    case '/_control/metric':  // a number for an http-json source: GET it, POST {value} to set it
      if (input) state.metric = input.value;
      return json(200, {value: state.metric === undefined ? 0 : state.metric});
    case '/_control/page_size':
      state.page_size = input.n;
      return json(200, {ok: true});
    case '/_control/state': {
      const groups = {};
      for (const g of Object.values(state.groups)) {
        groups[g.name] = {min: g.min, max: g.max, desired: g.desired, instances: g.instances.length,
                          last_honor_cooldown: g.last_honor_cooldown};
      }
      return json(200, {groups, scheduled: state.scheduled, requests: state.requests,
                        signature_failures: state.signature_failures, sts_calls: state.sts_calls,
                        imds_token_calls: state.imds_token_calls,
                        imds_credential_calls: state.imds_credential_calls,
                        faults_left: state.faults.length, metric_calls: metricServices.store.calls});
    }
    default:
      if (input !== null && metricServices.handleControl(path, input, json)) return;
      return json(404, {error: 'no such control path'});
  }
}

function handle(req, res, body) {
  if (req.url.startsWith('/_control/')) return handleControl(req, res, body);
  if (req.url.startsWith('/latest/')) return handleImds(req, res);
  if (req.method !== 'POST' || req.url.split('?')[0] !== '/') {
    return sendError(res, 404, 'UnknownOperation', 'only POST / is served');
  }
  const ctype = req.headers['content-type'] || '';
  const scopeService = (/Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(req.headers.authorization || '') || [])[1];
  if (ctype.startsWith('application/x-amz-json-1.0')) {
    // AWS JSON 1.0 (SQS; CloudWatch as current SDKs speak it): the operation is in X-Amz-Target.
    const target = req.headers['x-amz-target'] || '';
    const op = target.split('.').pop();
    const service = target.startsWith('GraniteServiceVersion20100801.') ? 'monitoring' : 'sqs';
    const record = {action: op, params: null, verified: false, error: null, time: Date.now()};
    state.requests.push(record);
    const failure = verifySignature(req, body) ||
        (scopeService !== service ? ['SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'`] : null);
    if (failure) {
      state.signature_failures++;
      record.error = failure[0];
      const out = JSON.stringify({__type: `com.amazon.coral.service#${failure[0]}`, message: failure[1]});
      res.writeHead(403, {'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-query-error': `${failure[0]};Sender`});
      return res.end(out);
    }
    record.verified = true;
    const fault = takeFault(op);
    if (fault) record.error = fault.kind;
    if (service === 'monitoring') return metricServices.handleCloudWatchJson(req, body, res, fault, send);
    return metricServices.handleSqs(req, body, res, fault, send);
  }
  if (!ctype.startsWith('application/x-www-form-urlencoded')) {
    return sendError(res, 400, 'MalformedQueryString', 'expected a form-encoded body');
  }
  const params = parseForm(body);
  const action = params.Action;
  if (action === 'AssumeRoleWithWebIdentity') return handleSts(params, res);
  const record = {action, params, verified: false, error: null, time: Date.now()};
  state.requests.push(record);
  const failure = verifySignature(req, body);
  if (failure) {
    state.signature_failures++;
    record.error = failure[0];
    return sendError(res, 403, failure[0], failure[1]);
  }
  record.verified = true;
  record.access_key_id = /Credential=([^/]+)/.exec(req.headers.authorization)[1];
  if (action === 'GetMetricData' || scopeService === 'monitoring') {
    if (scopeService !== 'monitoring') {
      state.signature_failures++;
      return sendError(res, 403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: 'monitoring'`);
    }
    const fault = takeFault(action);
    if (fault) record.error = fault.kind;
    return metricServices.handleCloudWatch(params, res, fault, send);
  }
  if (scopeService !== 'autoscaling') {
    state.signature_failures++;
    return sendError(res, 403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: 'autoscaling'`);
  }
  if (params.Version !== '2011-01-01') return sendError(res, 400, 'InvalidAction', 'bad Version');
  const handler = handlers[action];
  if (!handler) return sendError(res, 400, 'InvalidAction', `Could not find operation ${action} for version 2011-01-01`);
  const fault = takeFault(action);
  const run = () => {
    if (fault && fault.kind === 'throttle') { record.error = 'Throttling'; return sendError(res, 400, 'Throttling', 'Rate exceeded'); }
    if (fault && fault.kind === '500') { record.error = 'InternalFailure'; return sendError(res, 500, 'InternalFailure', 'An internal error occurred'); }
    if (fault && fault.kind === 'expired') {
      record.error = 'ExpiredToken';
      return sendError(res, 400, 'ExpiredToken', 'The security token included in the request is expired');
    }
    if (fault && fault.kind === 'validation') {
      record.error = 'ValidationError';
      return sendError(res, 400, 'ValidationError', fault.message || 'Injected validation error');
    }
    if (fault && fault.kind === 'activity') {
      record.error = 'ScalingActivityInProgress';
      return sendError(res, 400, 'ScalingActivityInProgress', 'Scaling activity 1234 is in progress and blocks this action.');
    }
    handler(params, res);
  };
  if (fault && fault.kind === 'slow') {
    record.error = 'slow';
    // Like AWS, the change happens even when the client has given up waiting.
    setTimeout(() => { try { handler(params, res); } catch (e) { /* client gone */ } }, fault.delay_ms || 3000);
    return;
  }
  run();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      handle(req, res, Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      sendError(res, 500, 'InternalFailure', 'test server: ' + e.message);
    }
  });
});
server.keepAliveTimeout = 5000;
server.listen(parseInt(arg('--port', '0'), 10), '127.0.0.1', () => {
  const port = server.address().port;
  const file = arg('--port-file', null);
  if (file) fs.writeFileSync(file, String(port));
  process.stdout.write(`listening ${port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
// A test that crashed or was killed cannot stop its server: exit once the parent is gone.
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
