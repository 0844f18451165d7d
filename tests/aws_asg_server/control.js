// tests/aws_asg_server/control.js — calls the test server's control API from shell tests:
//   node control.js BASE_URL PATH [JSON_BODY]   (POST with a body, GET without); prints the answer.
'use strict';
const http = require('http');
const [base, path, body] = process.argv.slice(2);
const url = new URL('/_control/' + path, base);
const req = http.request(url, {method: body ? 'POST' : 'GET',
                               headers: body ? {'Content-Type': 'application/json'} : {}}, (res) => {
  let data = '';
  res.on('data', (c) => { data += c; });
  res.on('end', () => {
    process.stdout.write(data + '\n');
    process.exit(res.statusCode === 200 ? 0 : 1);
  });
});
req.on('error', (e) => { process.stderr.write(e.message + '\n'); process.exit(1); });
if (body) req.write(body);
req.end();
