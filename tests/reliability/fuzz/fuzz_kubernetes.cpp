// fuzz target: Kubernetes response parsing (adapters/kubernetes/kube_parse.cpp): a complete HTTP
// response as a KubeResponse, then the fields the scale actuator and the sources read from it
// (spec.replicas, status.replicas, status.readyReplicas, status.selector), and every string in
// the body through the quantity parser and the RFC 3339 reader (common/time/timestamp_text.cpp;
// pod requests, Lease times).
// Input: byte 0 picks the status, byte 1 the length of a Retry-After header taken from the next
// bytes, the rest is the body. Contract: 2xx with an object body is ok, 2xx otherwise is an
// error, non-2xx is always an error; retry_after is -1 or a parsed number.
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapters/kubernetes/kube_client.hpp"
#include "common/time/timestamp_text.hpp"

namespace {

using luascale::Value;

// As the scale actuator, the source and leader election read a count.
std::int64_t count_at(const Value& v, const char* a, const char* b) {
  const Value* x = v.find(a);
  if (!x) return 0;
  return luascale::kube::integer_value(x->find(b));
}

void strings(const Value& v, int depth, int& budget) {
  if (depth > 8 || --budget < 0) return;
  if (v.is_string()) {
    (void)luascale::kube::parse_quantity(v.as_string());
    (void)luascale::parse_timestamp_text(v.as_string());
  } else if (v.is_array()) {
    for (const auto& e : v.as_array()) strings(e, depth + 1, budget);
  } else if (v.is_object()) {
    for (const auto& [k, e] : v.as_object()) strings(e, depth + 1, budget);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static constexpr int kStatus[] = {200, 200, 200, 201, 204, 401, 403,
                                    404, 409, 422, 429, 500, 503};
  const int status = kStatus[data[0] % (sizeof kStatus / sizeof kStatus[0])];
  std::size_t ra_len = data[1] % 12;
  if (ra_len > size - 2) ra_len = size - 2;
  std::string ra(reinterpret_cast<const char*>(data + 2), ra_len);
  std::string body(reinterpret_cast<const char*>(data + 2 + ra_len), size - 2 - ra_len);
  auto r = luascale::kube::parse_kube_response(status, (data[1] & 0x80) ? &ra : nullptr, body);
  const bool two = status >= 200 && status < 300;
  if (!two && r.ok()) __builtin_trap();
  if (two && !body.empty() && r.ok() != r.body.is_object()) __builtin_trap();
  if (r.status != status) __builtin_trap();
  if (r.ok()) {
    (void)count_at(r.body, "spec", "replicas");
    (void)count_at(r.body, "status", "replicas");
    (void)count_at(r.body, "status", "readyReplicas");
  }
  int budget = 2000;
  strings(r.body, 0, budget);
  (void)luascale::kube::parse_quantity(body);
  (void)luascale::parse_timestamp_text(body);
  return 0;
}
