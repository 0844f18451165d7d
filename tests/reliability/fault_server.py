#!/usr/bin/env python3
"""A loopback server that speaks just enough of the Prometheus HTTP API, a JSON metric endpoint,
the Kubernetes scale subresource, the EC2 Auto Scaling Query API and RESP (Redis) to serve every
luascale source and actuator, and injects network faults chosen by the resource name, so one
server serves many scenarios at once without any control calls:

  prometheus   GET /f/<fault>/api/v1/query        one-sample vector, value 7
  http-json    GET /f/<fault>/metric               {"value": 7}
  kubernetes   /apis/apps/v1/namespaces/<ns>/deployments/<mode>-<fault>-<id>[/scale]
               GET -> Scale / Deployment; PATCH /scale {"spec":{"replicas":N}} sets the count
  aws-asg      POST / Action=DescribeAutoScalingGroups | SetDesiredCapacity, group
               <mode>-<fault>-<id> (signatures are not checked here: the AWS test server does)
  cloudwatch   POST / Action=GetMetricData, metric name <mode>-<fault>-<id>: one datapoint, 5
  sqs          POST / X-Amz-Target AmazonSQS.GetQueueAttributes (AWS JSON 1.0), queue URL ending
               /<account>/<mode>-<fault>-<id>: ApproximateNumberOfMessages 5
  redis        one listening port per fault (redis_port(fault)); LLEN/GET answer 7

<mode> is "a" (every request of that resource is faulty) or "w" (only the writes: PATCH,
SetDesiredCapacity; the reads answer normally). A path under /f/<fault>/ is always faulty.

HTTP faults: ok, 500, 429 (Retry-After: 1), timeout (reads the request, never answers), reset
(half a response, then a TCP RST), truncated (Content-Length larger than the body sent, then
FIN), slowloris (the response one byte every 0.25 s), garbage (200 with a well-framed body cut
in the middle of the JSON/XML), refused (use closed_port(): nothing listens there).
For "w" writes with faults past the server's processing (timeout, reset, truncated, slowloris,
garbage) the write IS applied before the answer goes wrong, as a real server would.
Redis faults: ok, reset (RST after reading a command), truncated (a bulk reply cut short, then
FIN), silent (never answers), garbage (a reply of the wrong type), refused.

Every request is recorded: FaultServer.requests is a list of dicts
{time, kind: "http"|"redis", method, path, name, fault, write, value}.
"""
import json, re, socket, struct, threading, time, urllib.parse

HTTP_FAULTS = ["ok", "500", "429", "timeout", "reset", "truncated", "slowloris", "garbage"]
REDIS_FAULTS = ["ok", "reset", "truncated", "silent", "garbage"]
VALUE = 5


def closed_port():
    """A loopback port nothing listens on (bound, then closed; the kernel rarely reuses it soon)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def write_kubeconfig(path, server):
    """A kubeconfig for `server` (token auth, namespace default), as the run tests use it."""
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "{server}"}}
users:
- name: u
  user: {{token: t}}
contexts:
- name: c
  context: {{cluster: c, user: u, namespace: default}}
current-context: c
""")


def rst_close(conn):
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    conn.close()


class FaultServer:
    def __init__(self, initial_replicas=3, initial_capacity=3):
        self.lock = threading.Lock()
        self.requests = []
        self.replicas = {}  # deployment name -> spec.replicas
        self.capacity = {}  # group name -> DesiredCapacity
        self.initial_replicas = initial_replicas
        self.initial_capacity = initial_capacity
        self.stopping = threading.Event()
        self.listeners = []
        self.http_port = self._listen(self._serve_http)
        self.redis_ports = {f: self._listen(lambda c, f=f: self._serve_redis(c, f)) for f in REDIS_FAULTS}

    def redis_port(self, fault):
        return self.redis_ports[fault]

    def stop(self):
        self.stopping.set()
        for s in self.listeners:
            try:
                s.close()
            except OSError:
                pass

    def record(self, **kw):
        kw["time"] = time.monotonic()
        with self.lock:
            self.requests.append(kw)

    def _listen(self, handler):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(256)
        self.listeners.append(s)

        def loop():
            while not self.stopping.is_set():
                try:
                    conn, _ = s.accept()
                except OSError:
                    return
                threading.Thread(target=self._guard, args=(handler, conn), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return s.getsockname()[1]

    def _guard(self, handler, conn):
        try:
            handler(conn)
        except (OSError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    # --- fault behaviours shared by HTTP and Redis ----------------------------------------------

    def _wait_for_close(self, conn):
        """Never answers: holds the connection until the client gives up or the server stops."""
        conn.settimeout(0.2)
        while not self.stopping.is_set():
            try:
                if conn.recv(4096) == b"":
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    def _trickle(self, conn, data):
        for i in range(len(data)):
            if self.stopping.wait(0.25):
                return
            try:
                conn.sendall(data[i:i + 1])
            except OSError:
                return

    # --- HTTP -----------------------------------------------------------------------------------

    def _read_http(self, conn, buf):
        while b"\r\n\r\n" not in buf:
            chunk = conn.recv(65536)
            if not chunk:
                return None, buf
            buf += chunk
        head, rest = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None, b""
            rest += chunk
        return (method, target, headers, rest[:length].decode("utf-8", "replace")), rest[length:]

    def _serve_http(self, conn):
        buf = b""
        while not self.stopping.is_set():
            req, buf = self._read_http(conn, buf)
            if req is None:
                return
            if not self._answer_http(conn, *req):
                return

    def _answer_http(self, conn, method, target, headers, body):
        """Answers one request; False when the connection must end."""
        path = urllib.parse.urlsplit(target).path
        kind, name, fault, write, value = self._route(method, path, body)
        self.record(kind=kind, method=method, path=path, name=name, fault=fault, write=write, value=value)
        if fault == "timeout":
            self._apply(kind, name, write, value)
            self._wait_for_close(conn)
            return False
        if fault in ("ok", "reset", "truncated", "slowloris", "garbage"):
            self._apply(kind, name, write, value)
        status, ctype, payload, extra = self._respond(kind, name, fault, path)
        data = payload.encode()
        length = len(data) + (100 if fault == "truncated" else 0)
        if fault == "garbage":
            data = data[: max(1, len(data) // 2)]
            length = len(data)
        head = f"HTTP/1.1 {status} {self._reason(status)}\r\nContent-Type: {ctype}\r\nContent-Length: {length}\r\n"
        for k, v in extra:
            head += f"{k}: {v}\r\n"
        wire = (head + "\r\n").encode() + data
        if fault == "reset":
            conn.sendall(wire[: len(wire) // 2])
            rst_close(conn)
            return False
        if fault == "slowloris":
            self._trickle(conn, wire)
            return False
        conn.sendall(wire)
        if fault == "truncated":
            conn.shutdown(socket.SHUT_WR)
            self._wait_for_close(conn)
            return False
        return True

    @staticmethod
    def _reason(status):
        return {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}.get(status, "X")

    def _route(self, method, path, body):
        """(kind, name, fault, write, value) of a request."""
        m = re.match(r"^/f/([a-z0-9]+)/(api/v1/query|metric)$", path)
        if m:
            return ("prometheus" if m.group(2) == "api/v1/query" else "http-json"), m.group(1), m.group(1), False, None
        m = re.match(r"^/apis/apps/v1/namespaces/[^/]+/deployments/([^/]+)(/scale)?$", path)
        if m:
            name = m.group(1)
            mode, fault = self._mode_fault(name)
            write = method in ("PATCH", "PUT")
            value = None
            if write:
                try:
                    value = json.loads(body)["spec"]["replicas"]
                except (ValueError, KeyError, TypeError):
                    value = "unparsable"
            if mode == "w" and not write:
                fault = "ok"
            return ("k8s-scale" if m.group(2) else "k8s-object"), name, fault, write, value
        if method == "POST" and path == "/" and body.lstrip().startswith("{"):
            try:
                url = json.loads(body).get("QueueUrl", "")
            except (ValueError, AttributeError):
                url = ""
            name = url.rsplit("/", 1)[-1]
            mode, fault = self._mode_fault(name)
            return "aws:GetQueueAttributes", name, fault, False, None
        if method == "POST" and path == "/":
            form = dict(urllib.parse.parse_qsl(body))
            if form.get("Action") == "GetMetricData":
                name = form.get("MetricDataQueries.member.1.MetricStat.Metric.MetricName", "")
                mode, fault = self._mode_fault(name)
                return "aws:GetMetricData", name, fault, False, None
            action = form.get("Action", "")
            name = form.get("AutoScalingGroupName") or form.get("AutoScalingGroupNames.member.1", "")
            mode, fault = self._mode_fault(name)
            write = action == "SetDesiredCapacity"
            value = int(form["DesiredCapacity"]) if write and form.get("DesiredCapacity", "").isdigit() else None
            if mode == "w" and not write:
                fault = "ok"
            return "aws:" + action, name, fault, write, value
        return "unknown", path, "ok", False, None

    @staticmethod
    def _mode_fault(name):
        parts = name.split("-")
        if len(parts) >= 2 and parts[0] in ("a", "w"):
            return parts[0], parts[1]
        return "a", "ok"

    def _apply(self, kind, name, write, value):
        if not write or not isinstance(value, int):
            return
        with self.lock:
            if kind == "k8s-scale":
                self.replicas[name] = value
            elif kind == "aws:SetDesiredCapacity":
                self.capacity[name] = value

    def replicas_of(self, name):
        """A deployment's spec.replicas: 3 at first, 7 (VALUE) for the ones sources read (*-src)."""
        with self.lock:
            return self.replicas.get(name, VALUE if name.endswith("-src") else self.initial_replicas)

    def capacity_of(self, name):
        with self.lock:
            return self.capacity.get(name, self.initial_capacity)

    def _respond(self, kind, name, fault, path):
        """(status, content type, body, extra headers)."""
        extra = []
        if fault == "429":
            extra.append(("Retry-After", "1"))
        status = {"500": 500, "429": 429}.get(fault, 200)
        if kind == "prometheus":
            if status != 200:
                return status, "application/json", json.dumps({"status": "error", "errorType": "internal", "error": "injected " + fault}), extra
            return 200, "application/json", json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
                {"metric": {"job": "x"}, "value": [time.time(), str(VALUE)]}]}}), extra
        if kind == "http-json":
            if status != 200:
                return status, "text/plain", "injected " + fault, extra
            return 200, "application/json", json.dumps({"value": VALUE, "padding": "x" * 40}), extra
        if kind.startswith("k8s"):
            if status != 200:
                reason = "TooManyRequests" if status == 429 else "InternalError"
                st = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": "injected " + fault,
                      "reason": reason, "code": status}
                if status == 429:
                    st["details"] = {"retryAfterSeconds": 1}
                return status, "application/json", json.dumps(st), extra
            n = self.replicas_of(name)
            if kind == "k8s-scale":
                return 200, "application/json", json.dumps({
                    "kind": "Scale", "apiVersion": "autoscaling/v1",
                    "metadata": {"name": name, "namespace": "default"},
                    "spec": {"replicas": n}, "status": {"replicas": n, "selector": "app=" + name}}), extra
            return 200, "application/json", json.dumps({
                "kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": name, "namespace": "default"},
                "spec": {"replicas": n}, "status": {"replicas": n, "readyReplicas": n}}), extra
        if kind == "aws:GetQueueAttributes":
            if status != 200:
                code = "ThrottlingException" if status == 429 else "InternalFailure"
                return status, "application/x-amz-json-1.0", json.dumps(
                    {"__type": "com.amazon.coral.service#" + code, "message": "injected " + fault}), \
                    extra + [("x-amzn-query-error", code + ";Receiver")]
            return 200, "application/x-amz-json-1.0", json.dumps(
                {"Attributes": {"ApproximateNumberOfMessages": str(VALUE)}}), extra
        if kind == "aws:GetMetricData":
            ns = "http://monitoring.amazonaws.com/doc/2010-08-01/"
            if status != 200:
                code = "Throttling" if status == 429 else "InternalFailure"
                return status, "text/xml", (f'<ErrorResponse xmlns="{ns}"><Error><Type>Receiver</Type><Code>{code}</Code>'
                                            f"<Message>injected {fault}</Message></Error><RequestId>r</RequestId></ErrorResponse>"), extra
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
            return 200, "text/xml", (f'<GetMetricDataResponse xmlns="{ns}"><GetMetricDataResult><MetricDataResults>'
                                     f"<member><Id>m1</Id><Label>{name}</Label><StatusCode>Complete</StatusCode>"
                                     f"<Timestamps><member>{stamp}</member></Timestamps><Values><member>{VALUE}</member>"
                                     f"</Values></member></MetricDataResults></GetMetricDataResult>"
                                     f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetMetricDataResponse>"), extra
        if kind.startswith("aws:"):
            ns = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
            if status != 200:
                code = "Throttling" if status == 429 else "InternalFailure"
                return status, "text/xml", (f'<ErrorResponse xmlns="{ns}"><Error><Type>Receiver</Type><Code>{code}</Code>'
                                            f"<Message>injected {fault}</Message></Error><RequestId>r</RequestId></ErrorResponse>"), extra
            action = kind[4:]
            if action == "DescribeAutoScalingGroups":
                n = self.capacity_of(name)
                members = "".join(f"<member><InstanceId>i-{i}</InstanceId><HealthStatus>Healthy</HealthStatus>"
                                  f"<LifecycleState>InService</LifecycleState></member>" for i in range(n))
                result = (f"<AutoScalingGroups><member><AutoScalingGroupName>{name}</AutoScalingGroupName>"
                          f"<MinSize>0</MinSize><MaxSize>50</MaxSize><DesiredCapacity>{n}</DesiredCapacity>"
                          f"<Instances>{members}</Instances></member></AutoScalingGroups>")
            else:
                result = ""
            inner = f"<{action}Result>{result}</{action}Result>" if result else ""
            return 200, "text/xml", (f'<{action}Response xmlns="{ns}">{inner}<ResponseMetadata><RequestId>r</RequestId>'
                                     f"</ResponseMetadata></{action}Response>"), extra
        return 404, "text/plain", "no such path " + path, extra

    # --- Redis ----------------------------------------------------------------------------------

    @staticmethod
    def _read_resp_command(conn, buf):
        """One RESP array of bulk strings -> (args, rest); (None, buf) on close."""
        def need(n):
            nonlocal buf
            while len(buf) < n:
                chunk = conn.recv(65536)
                if not chunk:
                    raise EOFError
                buf += chunk

        def line():
            nonlocal buf
            while b"\r\n" not in buf:
                need(len(buf) + 1)
            l, _, buf = buf.partition(b"\r\n")
            return l

        try:
            head = line()
            if not head.startswith(b"*"):
                return head.decode().split(), buf  # inline command
            args = []
            for _ in range(int(head[1:])):
                n = int(line()[1:])
                need(n + 2)
                args.append(buf[:n].decode())
                buf = buf[n + 2:]
            return args, buf
        except EOFError:
            return None, buf

    def _serve_redis(self, conn, fault):
        buf = b""
        while not self.stopping.is_set():
            args, buf = self._read_resp_command(conn, buf)
            if args is None:
                return
            cmd = args[0].upper() if args else ""
            self.record(kind="redis", method=cmd, path="", name=args[1] if len(args) > 1 else "",
                        fault=fault, write=False, value=None)
            if cmd in ("PING",):
                conn.sendall(b"+PONG\r\n")
                continue
            if fault == "reset":
                rst_close(conn)
                return
            if fault == "silent":
                self._wait_for_close(conn)
                return
            if fault == "truncated":
                conn.sendall(b"$10\r\n1234")
                conn.shutdown(socket.SHUT_WR)
                self._wait_for_close(conn)
                return
            if fault == "garbage":
                conn.sendall(b"*2\r\n+not\r\n+a-number\r\n")
                continue
            if cmd == "GET":
                conn.sendall(f"${len(str(VALUE))}\r\n{VALUE}\r\n".encode())
            else:
                conn.sendall(f":{VALUE}\r\n".encode())
