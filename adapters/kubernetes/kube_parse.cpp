// adapters/kubernetes/kube_parse.cpp — the pure parsing half of the Kubernetes client: a
// complete HTTP response as a KubeResponse, and quantities (see kube_client.hpp).
// No client here, so it links alone for fuzzing.
#include <charconv>
#include <cmath>
#include <string>

#include "adapters/kubernetes/kube_client.hpp"

namespace luascale::kube {

KubeResponse parse_kube_response(int status, const std::string* ra, const std::string& body) {
  KubeResponse out;
  out.status = status;
  if (!body.empty()) {
    try {
      out.body = parse_json(body);
    } catch (const std::exception&) {
      out.body = Value();
    }
  }
  if (ra) {
    double v = 0;
    auto [p, ec] = std::from_chars(ra->data(), ra->data() + ra->size(), v);
    if (ec == std::errc()) out.retry_after = v;
  }
  if (status >= 200 && status < 300) {
    // A 2xx whose body is not a JSON object (cut by a proxy, an HTML page) must not read as an
    // object with every field missing: a Scale would read as 0 replicas.
    if (!body.empty() && !out.body.is_object())
      out.error = "HTTP " + std::to_string(status) +
                  " with a body that is not a JSON object: " + body.substr(0, 200);
    return out;
  }
  std::string message;
  if (out.body.is_object() && out.body.find("kind") && out.body.find("kind")->is_string() &&
      out.body.find("kind")->as_string() == "Status") {
    if (const Value* v = out.body.find("reason"); v && v->is_string()) out.reason = v->as_string();
    if (const Value* v = out.body.find("message"); v && v->is_string()) message = v->as_string();
    if (const Value* d = out.body.find("details"); d && d->is_object()) {
      if (const Value* ra = d->find("retryAfterSeconds");
          ra && ra->is_number() && out.retry_after < 0)
        out.retry_after = ra->as_number();
    }
  }
  if (message.empty()) {
    message = body.substr(0, 200);
    if (message.empty()) message = "(no body)";
  }
  out.error =
      (out.reason.empty() ? "HTTP" : out.reason) + " (" + std::to_string(status) + "): " + message;
  return out;
}

std::int64_t integer_value(const Value* v, std::int64_t def) {
  if (!v || !v->is_number()) return def;
  const double d = v->as_number();
  if (!(d > -9.2e18 && d < 9.2e18)) return def;  // also NaN
  return v->as_int();
}

std::optional<double> parse_quantity(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  if (text[i] == '+' || text[i] == '-') ++i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  std::string number(text.substr(0, i));
  std::string_view suffix = text.substr(i);
  if (number.empty() || number == "+" || number == "-") return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size()) return std::nullopt;
  double mult = 1;
  if (suffix.empty()) {
  } else if (suffix == "n") {
    mult = 1e-9;
  } else if (suffix == "u") {
    mult = 1e-6;
  } else if (suffix == "m") {
    mult = 1e-3;
  } else if (suffix == "k") {
    mult = 1e3;
  } else if (suffix == "M") {
    mult = 1e6;
  } else if (suffix == "G") {
    mult = 1e9;
  } else if (suffix == "T") {
    mult = 1e12;
  } else if (suffix == "P") {
    mult = 1e15;
  } else if (suffix == "E") {
    mult = 1e18;
  } else if (suffix == "Ki") {
    mult = 1024.0;
  } else if (suffix == "Mi") {
    mult = 1024.0 * 1024;
  } else if (suffix == "Gi") {
    mult = 1024.0 * 1024 * 1024;
  } else if (suffix == "Ti") {
    mult = 1024.0 * 1024 * 1024 * 1024;
  } else if (suffix == "Pi") {
    mult = std::pow(1024.0, 5);
  } else if (suffix == "Ei") {
    mult = std::pow(1024.0, 6);
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    std::string exp(suffix.substr(1));
    int e = 0;
    auto [p, ec] = std::from_chars(exp.data(), exp.data() + exp.size(), e);
    if (exp.empty() || ec != std::errc() || p != exp.data() + exp.size()) return std::nullopt;
    mult = std::pow(10.0, e);
  } else {
    return std::nullopt;
  }
  return v * mult;
}

}  // namespace luascale::kube
