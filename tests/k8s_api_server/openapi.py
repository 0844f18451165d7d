"""tests/k8s_api_server/openapi.py — the OpenAPI v2 document the test API server serves.

GET /openapi/v2 as JSON (openapi_v2) or in the protobuf encoding kubectl asks for
(openapi_v2_protobuf), built from the server's resource table.
"""
import json
import re


# -- OpenAPI v2 ----------------------------------------------------------------------------------
# GET /openapi/v2, as a real API server serves it, reduced to the paths: per resource its collection
# and object (and scale) paths, each operation with x-kubernetes-group-version-kind and, where it
# writes, the dryRun query parameter. The kubectl releases that check for server-side dry run
# before using it (Debian 12's kubectl 1.20 among them) read it for `--dry-run=server`: a kind
# supports it when its PATCH takes dryRun. No definitions: clients use their built-in types.
def openapi_v2(resources, read_only_groups):
    def param(name, where, required=False):
        return {"name": name, "in": where, "type": "string", "uniqueItems": True,
                "required": required}

    def op(action, op_id, gvk, writes):
        o = {"operationId": op_id, "parameters": [], "responses": {"200": {"description": "OK"}},
             "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}
        if writes:
            o["parameters"] = [param("dryRun", "query"), param("fieldManager", "query")]
        return o

    paths = {}
    for group, version, resource, kind, namespaced, scalable in resources:
        base = ("/apis/%s/%s" % (group, version)) if group else "/api/" + version
        if namespaced:
            base += "/namespaces/{namespace}"
        coll, item = base + "/" + resource, base + "/" + resource + "/{name}"
        gvk = {"group": group, "kind": kind, "version": version}
        words = re.split(r"[.-]", group[:-len(".k8s.io")] if group.endswith(".k8s.io") else group)
        name = "".join(w[:1].upper() + w[1:] for w in words if w) or "Core"
        name += version[:1].upper() + version[1:] + ("Namespaced" if namespaced else "") + kind
        writes = group not in read_only_groups
        ns = [param("namespace", "path", True)] if namespaced else []
        paths[coll] = {"get": op("list", "list" + name, gvk, False), "parameters": ns}
        paths[item] = {"get": op("get", "read" + name, gvk, False),
                       "parameters": [param("name", "path", True)] + ns}
        if writes:
            paths[coll]["post"] = op("post", "create" + name, gvk, True)
            paths[item]["patch"] = op("patch", "patch" + name, gvk, True)
        if scalable:
            sgvk = {"group": "autoscaling", "kind": "Scale", "version": "v1"}
            paths[item + "/scale"] = {
                "get": op("get", "read" + name + "Scale", sgvk, False),
                "patch": op("patch", "patch" + name + "Scale", sgvk, True),
                "parameters": [param("name", "path", True)] + ns}
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.32.0"},
            "paths": paths}


def openapi_v2_protobuf(doc):
    """doc in the protobuf encoding of gnostic's openapi.v2.Document (the fields openapi_v2 uses)."""
    def varint(n):
        out = bytearray()
        while True:
            b, n = n & 0x7F, n >> 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)

    def msg(num, payload):  # a length-delimited field: string, bytes or message
        if isinstance(payload, str):
            payload = payload.encode()
        return varint(num << 3 | 2) + varint(len(payload)) + payload

    def flag(num, value):
        return varint(num << 3) + varint(1) if value else b""

    def yaml_text(v):  # what kube-openapi writes into an extension's Any.yaml
        if isinstance(v, dict):
            return "".join("%s: %s\n" % (k, json.dumps(x) if x == "" else x)
                           for k, x in sorted(v.items()))
        return "%s\n" % v

    def parameter(p):
        # QueryParameterSubSchema and PathParameterSubSchema: required 1, in 2, name 4; then type
        # and uniqueItems are 6 and 20 for a query parameter, 5 and 19 for a path parameter.
        query = p["in"] == "query"
        sub = (flag(1, p["required"]) + msg(2, p["in"]) + msg(4, p["name"])
               + msg(6 if query else 5, p["type"]) + flag(20 if query else 19, p["uniqueItems"]))
        non_body = msg(3 if query else 4, sub)           # NonBodyParameter
        return msg(1, msg(2, non_body))                  # ParametersItem.parameter.non_body

    def operation(o):
        out = msg(5, o["operationId"])
        out += b"".join(msg(8, parameter(p)) for p in o["parameters"])
        out += msg(9, b"".join(msg(1, msg(1, code) + msg(2, msg(1, msg(1, r["description"]))))
                               for code, r in o["responses"].items()))
        out += b"".join(msg(13, msg(1, k) + msg(2, msg(2, yaml_text(v))))
                        for k, v in o.items() if k.startswith("x-"))
        return out

    def path_item(item):
        fields = {"get": 2, "put": 3, "post": 4, "delete": 5, "patch": 8}
        out = b"".join(msg(fields[k], operation(item[k])) for k in fields if k in item)
        return out + b"".join(msg(9, parameter(p)) for p in item.get("parameters", []))

    paths = b"".join(msg(2, msg(1, name) + msg(2, path_item(item)))
                     for name, item in doc["paths"].items())
    info = msg(1, doc["info"]["title"]) + msg(2, doc["info"]["version"])
    return msg(1, doc["swagger"]) + msg(2, info) + msg(8, paths)
