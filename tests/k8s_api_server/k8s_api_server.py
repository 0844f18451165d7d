#!/usr/bin/env python3
"""tests/k8s_api_server — a protocol-faithful Kubernetes API server for tests.

Speaks the wire protocol kubectl and luascale use, over HTTPS with bearer-token (or client
certificate) authentication: discovery (/api, /apis, resource lists), namespaced objects with
get/list/create/update/patch/delete, resourceVersion preconditions and 409 conflicts, the scale
subresource of deployments/statefulsets/replicasets/replicationcontrollers and of a custom
resource (workers.example.com), merge / strategic-merge / JSON patches, Table output for
`kubectl get`, pods and metrics.k8s.io, coordination.k8s.io Leases, RBAC-style 403s and Status
errors, and an OpenAPI v2 document of the paths (JSON, or protobuf as kubectl asks for it). A
built-in "controller" makes status follow spec.replicas at once.

Tests steer it through /__test/ endpoints (no auth): inject faults (status codes, Retry-After,
delays, hangs), add/revoke tokens, upsert objects, read the request log.

Usage: k8s_api_server.py --cert server.crt --key server.key [--client-ca ca.crt]
                         [--state seed.json] [--port 0] --port-file FILE
The seed file: {"tokens": {"TOKEN": "USER"}, "users": {"USER": RULES}, "objects": [...]};
RULES is "*" (everything) or a list of {"verbs": [...], "resources": ["deployments/scale", ...]}.
"""
import argparse
import copy
import datetime
import json
import os
import re
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from openapi import openapi_v2, openapi_v2_protobuf

# group, version, resource, kind, namespaced, has scale subresource
RESOURCES = [
    ("", "v1", "pods", "Pod", True, False),
    ("", "v1", "configmaps", "ConfigMap", True, False),
    ("", "v1", "serviceaccounts", "ServiceAccount", True, False),
    ("", "v1", "services", "Service", True, False),
    ("", "v1", "namespaces", "Namespace", False, False),
    ("", "v1", "replicationcontrollers", "ReplicationController", True, True),
    ("apps", "v1", "deployments", "Deployment", True, True),
    ("apps", "v1", "statefulsets", "StatefulSet", True, True),
    ("apps", "v1", "replicasets", "ReplicaSet", True, True),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", True, False),
    ("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, False),
    ("coordination.k8s.io", "v1", "leases", "Lease", True, False),
    ("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", True, False),
    ("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", False, False),
    ("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, False),
    ("example.com", "v1", "workers", "Worker", True, True),
]
READ_ONLY_GROUPS = {"metrics.k8s.io"}
SHORT_NAMES = {"pods": ["po"], "deployments": ["deploy"], "replicasets": ["rs"],
               "statefulsets": ["sts"], "configmaps": ["cm"], "serviceaccounts": ["sa"],
               "namespaces": ["ns"], "services": ["svc"], "replicationcontrollers": ["rc"],
               "poddisruptionbudgets": ["pdb"]}


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_resource(group, version, resource):
    for r in RESOURCES:
        if r[0] == group and r[1] == version and r[2] == resource:
            return r
    return None


def kind_to_resource(api_version, kind):
    group, _, version = api_version.rpartition("/")
    for r in RESOURCES:
        if r[0] == group and r[1] == version and r[3] == kind:
            return r
    return None


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_pointer_parts(path):
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def json_patch(doc, ops):
    """RFC 6902 (add, remove, replace, test, copy, move). Raises ValueError."""
    doc = copy.deepcopy(doc)

    def walk(parts):
        cur = doc
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, parts[-1]

    for op in ops:
        parts = json_pointer_parts(op["path"])
        kind = op["op"]
        if kind == "test":
            parent, key = walk(parts)
            val = parent[int(key)] if isinstance(parent, list) else parent.get(key)
            if val != op.get("value"):
                raise ValueError("test operation failed at " + op["path"])
        elif kind in ("add", "replace"):
            parent, key = walk(parts)
            if isinstance(parent, list):
                if key == "-":
                    parent.append(op["value"])
                elif kind == "add":
                    parent.insert(int(key), op["value"])
                else:
                    parent[int(key)] = op["value"]
            else:
                if kind == "replace" and key not in parent:
                    raise ValueError("replace of missing path " + op["path"])
                parent[key] = op["value"]
        elif kind == "remove":
            parent, key = walk(parts)
            if isinstance(parent, list):
                del parent[int(key)]
            else:
                del parent[key]
        else:
            raise ValueError("unsupported op " + kind)
    return doc


def parse_selector(text):
    """Equality- and set-based label selectors: a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a."""
    reqs = []
    if not text:
        return reqs
    for part in re.findall(r"[^,(]+(?:\([^)]*\))?", text):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$", part)
        if m:
            vals = {v.strip() for v in m.group(3).split(",") if v.strip()}
            reqs.append((m.group(1), m.group(2), vals))
        elif "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append((k.strip(), "!=", v.strip()))
        elif "=" in part:
            k, v = re.split(r"==?", part, 1)
            reqs.append((k.strip(), "=", v.strip()))
        elif part.startswith("!"):
            reqs.append((part[1:].strip(), "!exists", None))
        else:
            reqs.append((part, "exists", None))
    return reqs


def selector_matches(reqs, labels):
    labels = labels or {}
    for key, op, val in reqs:
        has = key in labels
        if op == "=" and labels.get(key) != val:
            return False
        if op == "!=" and has and labels.get(key) == val:
            return False
        if op == "in" and labels.get(key) not in val:
            return False
        if op == "notin" and has and labels.get(key) in val:
            return False
        if op == "exists" and not has:
            return False
        if op == "!exists" and has:
            return False
    return True


def selector_string(match_labels):
    return ",".join("%s=%s" % (k, match_labels[k]) for k in sorted(match_labels))


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.headers = details, headers or {}

    def status(self):
        s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            s["details"] = self.details
        return s


def qualified(res):
    return res[2] + ("." + res[0] if res[0] else "")


def not_found(res, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(res), name),
                    {"name": name, "group": res[0], "kind": res[2]})


def conflict(res, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    "please apply your changes to the latest version and try again"
                    % (qualified(res), name), {"name": name, "group": res[0], "kind": res[2]})


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.objects = {}  # (group, resource, namespace, name) -> object
        self.rv = 1000
        self.tokens = {}
        self.users = {}
        self.faults = []
        self.requests = []

    def next_rv(self):
        self.rv += 1
        return str(self.rv)

    def put(self, res, obj, new=False):
        md = obj.setdefault("metadata", {})
        md["resourceVersion"] = self.next_rv()
        if new:
            md.setdefault("uid", str(uuid.uuid4()))
            md.setdefault("creationTimestamp", now_rfc3339())
            if res[2] not in ("pods",) and res[0] != "metrics.k8s.io":
                md.setdefault("generation", 1)
        obj["apiVersion"] = (res[0] + "/" if res[0] else "") + res[1]
        obj["kind"] = res[3]
        run_controller(res, obj)
        ns = md.get("namespace", "") if res[4] else ""
        self.objects[(res[0], res[2], ns, md["name"])] = obj
        return obj


def run_controller(res, obj):
    """What the workload controllers would do: status follows spec.replicas, unless frozen."""
    if not res[5]:
        return
    md = obj.setdefault("metadata", {})
    spec = obj.setdefault("spec", {})
    status = obj.setdefault("status", {})
    spec.setdefault("replicas", 1)
    if res[0] == "example.com":
        status.setdefault("selector", selector_string(spec.get("selector", {})))
    if md.get("annotations", {}).get("test.luascale.io/frozen") == "true":
        return
    n = spec["replicas"]
    status["replicas"] = n
    if res[0] != "example.com":
        status["readyReplicas"] = n
        status["availableReplicas"] = n
        status["updatedReplicas"] = n
        status["observedGeneration"] = md.get("generation", 1)


STORE = Store()


def scale_of(res, obj):
    md = obj["metadata"]
    spec = obj.get("spec", {})
    status = obj.get("status", {})
    if res[0] == "example.com":
        selector = status.get("selector", "")
    else:
        selector = selector_string(spec.get("selector", {}).get("matchLabels", {}))
    scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
             "metadata": {"name": md["name"], "namespace": md.get("namespace", ""),
                          "uid": md.get("uid"), "resourceVersion": md["resourceVersion"],
                          "creationTimestamp": md.get("creationTimestamp")},
             "spec": {"replicas": spec.get("replicas", 0)},
             "status": {"replicas": status.get("replicas", 0), "selector": selector}}
    if not scale["status"]["replicas"]:
        del scale["status"]["replicas"]  # omitempty, as the real server does
    return scale


def allowed(user, verb, resource_name, group):
    rules = STORE.users.get(user)
    if rules == "*":
        return True
    for rule in rules or []:
        verbs = rule.get("verbs", [])
        resources = rule.get("resources", [])
        groups = rule.get("apiGroups", ["*"])
        if ("*" in verbs or verb in verbs) and ("*" in resources or resource_name in resources) \
                and ("*" in groups or group in groups):
            return True
    return False


def table_for(res, items):
    if res[2] == "deployments":
        cols = [("Name", "string", "name"), ("Ready", "string", ""), ("Up-to-date", "integer", ""),
                ("Available", "integer", ""), ("Age", "string", "")]
    else:
        cols = [("Name", "string", "name"), ("Age", "string", "")]
    rows = []
    for obj in items:
        md = obj["metadata"]
        if res[2] == "deployments":
            st, sp = obj.get("status", {}), obj.get("spec", {})
            cells = [md["name"], "%d/%d" % (st.get("readyReplicas", 0), sp.get("replicas", 0)),
                     st.get("updatedReplicas", 0), st.get("availableReplicas", 0), "1m"]
        else:
            cells = [md["name"], "1m"]
        partial = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                   "metadata": md}
        rows.append({"cells": cells, "object": partial})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": str(STORE.rv)},
            "columnDefinitions": [{"name": n, "type": t, "format": f, "description": n,
                                   "priority": 0} for n, t, f in cols],
            "rows": rows}


OPENAPI_V2 = openapi_v2(RESOURCES, READ_ONLY_GROUPS)
OPENAPI_V2_PB = openapi_v2_protobuf(OPENAPI_V2)
# Asked for as ...spec.v2@v1.0+protobuf (older clients) or ...spec.v2.v1.0+protobuf; answered, as
# kube-openapi does, with the latter, the one a media-type parser accepts.
OPENAPI_V2_PB_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8s-test-apiserver"

    def log_message(self, fmt, *args):  # quiet
        pass

    # -- plumbing ---------------------------------------------------------------------------
    def send_json(self, code, body, headers=None):
        self.send_data(code, json.dumps(body).encode(), "application/json", headers)

    def send_data(self, code, data, content_type, headers=None):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        body = self.read_body()
        if path.startswith("/__test/"):
            return self.control(path, body)
        user = self.authenticate()
        with STORE.lock:
            STORE.requests.append({"method": self.command, "path": path, "query": url.query,
                                   "content_type": self.headers.get("Content-Type", ""),
                                   "user": user or "", "accept": self.headers.get("Accept", ""),
                                   "user_agent": self.headers.get("User-Agent", "")})
            fault = self.take_fault("%s %s" % (self.command, path))
        if fault:
            if fault.get("delay_ms"):
                time.sleep(fault["delay_ms"] / 1000.0)
            if fault.get("hang"):
                time.sleep(fault.get("hang_seconds", 30))
                self.close_connection = True
                return
            if fault.get("status"):
                code = fault["status"]
                reasons = {500: "InternalError", 503: "ServiceUnavailable", 429: "TooManyRequests",
                           409: "Conflict", 504: "Timeout", 403: "Forbidden"}
                details = {}
                headers = {}
                if "retry_after" in fault:
                    details["retryAfterSeconds"] = fault["retry_after"]
                    headers["Retry-After"] = fault["retry_after"]
                msg = fault.get("message", "injected fault")
                return self.send_json(code, ApiError(code, reasons.get(code, "InternalError"), msg,
                                                     details or None).status(), headers)
        if user is None:
            return self.send_json(401, ApiError(401, "Unauthorized", "Unauthorized").status())
        if path == "/openapi/v2" and self.command in ("GET", "HEAD"):
            if "application/com.github.proto-openapi.spec.v2" in self.headers.get("Accept", ""):
                return self.send_data(200, OPENAPI_V2_PB, OPENAPI_V2_PB_TYPE)
            return self.send_json(200, OPENAPI_V2)
        try:
            code, out = self.api(path, query, body, user)
            self.send_json(code, out)
        except ApiError as e:
            self.send_json(e.code, e.status(), e.headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_any

    def authenticate(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return STORE.tokens.get(auth[7:].strip())
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        return None

    def take_fault(self, line):
        for f in STORE.faults:
            if f.get("count", 1) > 0 and re.search(f["match"], line):
                f["count"] = f.get("count", 1) - 1
                return dict(f)
        return None

    # -- test control --------------------------------------------------------------------------
    def control(self, path, body):
        data = json.loads(body) if body else {}
        with STORE.lock:
            if path == "/__test/faults":
                if self.command == "DELETE":
                    STORE.faults.clear()
                else:
                    STORE.faults.append(data)
                return self.send_json(200, {"faults": len(STORE.faults)})
            if path == "/__test/tokens":
                if self.command == "DELETE":
                    STORE.tokens.pop(data["token"], None)
                else:
                    STORE.tokens[data["token"]] = data["user"]
                return self.send_json(200, {})
            if path == "/__test/users":
                STORE.users[data["user"]] = data["rules"]
                return self.send_json(200, {})
            if path == "/__test/requests":
                if self.command == "DELETE":
                    STORE.requests.clear()
                    return self.send_json(200, {})
                return self.send_json(200, {"requests": STORE.requests})
            if path == "/__test/objects":
                res = kind_to_resource(data["apiVersion"], data["kind"])
                key = (res[0], res[2], data["metadata"].get("namespace", "") if res[4] else "",
                       data["metadata"]["name"])
                if self.command == "DELETE":
                    STORE.objects.pop(key, None)
                    return self.send_json(200, {})
                return self.send_json(200, STORE.put(res, data, new=key not in STORE.objects))
        self.send_json(404, {"error": "unknown control path"})

    # -- the API -------------------------------------------------------------------------------
    def api(self, path, query, body, user):
        parts = [p for p in path.split("/") if p]
        if path == "/version":
            return 200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                         "platform": "linux/amd64"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                         "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            groups = []
            for g in sorted({r[0] for r in RESOURCES if r[0]}):
                versions = sorted({r[1] for r in RESOURCES if r[0] == g})
                gv = [{"groupVersion": g + "/" + v, "version": v} for v in versions]
                groups.append({"name": g, "versions": gv, "preferredVersion": gv[0]})
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if parts[:1] == ["api"] and len(parts) == 2:
            return 200, self.resource_list("", parts[1])
        if parts[:1] == ["apis"] and len(parts) == 2:
            versions = sorted({r[1] for r in RESOURCES if r[0] == parts[1]})
            if not versions:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            gv = [{"groupVersion": parts[1] + "/" + v, "version": v} for v in versions]
            return 200, {"kind": "APIGroup", "apiVersion": "v1", "name": parts[1],
                         "versions": gv, "preferredVersion": gv[0]}
        if parts[:1] == ["apis"] and len(parts) == 3:
            return 200, self.resource_list(parts[1], parts[2])
        # Object paths.
        if parts[:1] == ["api"]:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 4:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        elif len(rest) == 2 and rest[0] == "namespaces" and rest[1]:
            rest = ["namespaces", rest[1]]
        res = find_resource(group, version, rest[0]) if rest else None
        if not res:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and not (sub == "scale" and res[5]):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        verb = {"GET": "get" if name else "list", "HEAD": "get", "POST": "create",
                "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[self.command]
        rname = res[2] + ("/" + sub if sub else "")
        if not allowed(user, verb, rname, group):
            where = ' in the namespace "%s"' % namespace if namespace else " at the cluster scope"
            subject = '%s "%s"' % (qualified(res), name) if name else qualified(res)
            raise ApiError(403, "Forbidden",
                           '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s"%s'
                           % (subject, user, verb, rname, group, where),
                           {"name": name or "", "group": group, "kind": res[2]})
        dry_run = "All" in query.get("dryRun", [])
        with STORE.lock:
            if verb == "list":
                return 200, self.list(res, namespace, query)
            if verb == "create":
                return self.create(res, namespace, body, dry_run)
            key = (group, res[2], namespace, name)
            obj = STORE.objects.get(key)
            if obj is None:
                raise not_found(res, name)
            if verb == "get":
                if sub == "scale":
                    return 200, scale_of(res, obj)
                if "as=Table" in self.headers.get("Accept", ""):
                    return 200, table_for(res, [obj])
                return 200, obj
            if group in READ_ONLY_GROUPS:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
            if verb == "delete":
                if not dry_run:
                    del STORE.objects[key]
                return 200, obj
            try:
                incoming = json.loads(body or b"{}")
            except ValueError as e:
                raise ApiError(400, "BadRequest", "invalid JSON: %s" % e)
            current = scale_of(res, obj) if sub == "scale" else obj
            if verb == "update":
                updated = incoming
            else:
                ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
                if ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
                    updated = merge_patch(current, incoming)
                elif ctype == "application/json-patch+json":
                    try:
                        updated = json_patch(current, incoming)
                    except (ValueError, KeyError, IndexError) as e:
                        raise ApiError(422, "Invalid", str(e))
                else:
                    raise ApiError(415, "UnsupportedMediaType",
                                   'the body of the request was in an unknown format - accepted '
                                   'media types include: application/json-patch+json, '
                                   'application/merge-patch+json, application/apply-patch+yaml')
            want_rv = (updated.get("metadata") or {}).get("resourceVersion")
            if verb == "update" and not want_rv and res[2] == "leases":
                raise ApiError(422, "Invalid", 'Lease.coordination.k8s.io "%s" is invalid: '
                               "metadata.resourceVersion: Invalid value: 0x0: must be specified "
                               "for an update" % name)
            if want_rv and want_rv != obj["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            if sub == "scale":
                replicas = (updated.get("spec") or {}).get("replicas")
                if not isinstance(replicas, int) or replicas < 0:
                    raise ApiError(422, "Invalid",
                                   'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid '
                                   "value: %s: must be greater than or equal to 0" % (name, replicas),
                                   {"name": name, "group": "autoscaling", "kind": "Scale",
                                    "causes": [{"reason": "FieldValueInvalid",
                                                "message": "must be greater than or equal to 0",
                                                "field": "spec.replicas"}]})
                new_obj = copy.deepcopy(obj)
                if new_obj["spec"].get("replicas") != replicas:
                    new_obj["spec"]["replicas"] = replicas
                    new_obj["metadata"]["generation"] = new_obj["metadata"].get("generation", 1) + 1
                else:
                    return 200, scale_of(res, obj)  # no-op: resourceVersion unchanged
                if dry_run:
                    return 200, scale_of(res, new_obj)
                return 200, scale_of(res, STORE.put(res, new_obj))
            updated.setdefault("metadata", {})
            for k in ("name", "namespace", "uid", "creationTimestamp"):
                if k in obj["metadata"]:
                    updated["metadata"][k] = obj["metadata"][k]
            if updated.get("spec") != obj.get("spec"):
                updated["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
            if dry_run:
                return 200, updated
            return 200, STORE.put(res, updated)

    def resource_list(self, group, version):
        items = []
        for r in RESOURCES:
            if r[0] != group or r[1] != version:
                continue
            ro = r[0] in READ_ONLY_GROUPS
            verbs = ["get", "list"] if ro else ["create", "delete", "get", "list", "patch",
                                                  "update"]
            entry = {"name": r[2], "singularName": r[3].lower(), "namespaced": r[4],
                     "kind": r[3], "verbs": verbs}
            if r[2] in SHORT_NAMES:
                entry["shortNames"] = SHORT_NAMES[r[2]]
            items.append(entry)
            if r[5]:
                items.append({"name": r[2] + "/scale", "singularName": "", "namespaced": r[4],
                              "group": "autoscaling", "version": "v1", "kind": "Scale",
                              "verbs": ["get", "patch", "update"]})
        if not items:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": (group + "/" if group else "") + version, "resources": items}

    def list(self, res, namespace, query):
        reqs = parse_selector(query.get("labelSelector", [""])[0])
        field = query.get("fieldSelector", [""])[0]
        items = []
        for (g, r, ns, _), obj in sorted(STORE.objects.items()):
            if g != res[0] or r != res[2] or (namespace and ns != namespace):
                continue
            if not selector_matches(reqs, obj["metadata"].get("labels")):
                continue
            if field:
                ok = True
                for cond in field.split(","):
                    k, _, v = cond.partition("=")
                    cur = obj
                    for p in k.split("."):
                        cur = cur.get(p, {}) if isinstance(cur, dict) else {}
                    if cur != v.lstrip("="):
                        ok = False
                if not ok:
                    continue
            items.append(obj)
        if "as=Table" in self.headers.get("Accept", ""):
            return table_for(res, items)
        return {"kind": res[3] + "List",
                "apiVersion": (res[0] + "/" if res[0] else "") + res[1],
                "metadata": {"resourceVersion": str(STORE.rv)}, "items": items}

    def create(self, res, namespace, body, dry_run):
        try:
            obj = json.loads(body or b"{}")
        except ValueError as e:
            raise ApiError(400, "BadRequest", "invalid JSON: %s" % e)
        md = obj.setdefault("metadata", {})
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + uuid.uuid4().hex[:5]
        if not md.get("name"):
            raise ApiError(422, "Invalid", "%s.%s is invalid: metadata.name: Required value"
                           % (res[3], res[0] or "core"))
        if res[4]:
            md["namespace"] = namespace
        key = (res[0], res[2], namespace if res[4] else "", md["name"])
        if key in STORE.objects:
            raise ApiError(409, "AlreadyExists",
                           '%s "%s" already exists' % (qualified(res), md["name"]),
                           {"name": md["name"], "group": res[0], "kind": res[2]})
        if md.get("resourceVersion"):
            raise ApiError(400, "BadRequest", "resourceVersion should not be set on objects to "
                           "be created")
        if dry_run:
            return 201, obj
        return 201, STORE.put(res, obj, new=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--client-ca")
    ap.add_argument("--state")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()

    if args.state:
        with open(args.state) as f:
            seed = json.load(f)
        STORE.tokens.update(seed.get("tokens", {}))
        STORE.users.update(seed.get("users", {}))
        for obj in seed.get("objects", []):
            res = kind_to_resource(obj["apiVersion"], obj["kind"])
            if not res:
                sys.exit("unknown kind in seed: %s %s" % (obj["apiVersion"], obj["kind"]))
            STORE.put(res, obj, new=True)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.load_verify_locations(args.client_ca)
        ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])

    # Exit with the test that started us, even when it crashes before it can stop us.
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
