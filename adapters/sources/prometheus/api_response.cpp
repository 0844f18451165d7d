// adapters/sources/prometheus/api_response.cpp — reading Prometheus HTTP API responses: the error
// envelope of any call (status_error) and the instant-query result (parse_instant_query). Pure, no
// client, so it links alone for fuzzing.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "adapters/common/http_support.hpp"
#include "adapters/sources/prometheus/prometheus_api.hpp"

namespace luascale::prometheus {

namespace {

using json = nlohmann::json;

bool is_2xx(int http_status) {
  return http_status >= 200 && http_status < 300;
}

// A body that is not the API's JSON object, as an error.
std::string not_the_api(int http_status, std::string_view body) {
  return (is_2xx(http_status) ? "response is not JSON" : "HTTP " + std::to_string(http_status)) +
         (body.empty() ? std::string(" (empty body)") : ": " + adapters::body_excerpt(body));
}

// The error of a parsed envelope whose status is not "success" (or that came with a non-2xx
// status): "HTTP 422, execution: too many samples".
std::string envelope_error(int http_status, const json& doc, std::string_view body) {
  const std::string type = doc.value("errorType", std::string());
  const std::string message = doc.value("error", std::string());
  std::string out = "HTTP " + std::to_string(http_status);
  if (!type.empty()) out += ", " + type;
  return out + ": " + (message.empty() ? adapters::body_excerpt(body) : message);
}

std::string checked_status_error(int http_status, std::string_view body) {
  if (is_2xx(http_status)) return "";
  const json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return not_the_api(http_status, body);
  return envelope_error(http_status, doc, body);
}

// "{job=\"api\", instance=\"a:9100\"}" for messages.
std::string series_label(const json& metric) {
  std::string out = "{";
  if (metric.is_object()) {
    bool first = true;
    for (auto it = metric.begin(); it != metric.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += it.key() + "=\"" + (it->is_string() ? it->get<std::string>() : it->dump()) + "\"";
    }
  }
  return out + "}";
}

// [<unix seconds>, "<value>"] -> value and timestamp, or an error.
bool read_sample(const json& pair, QueryResult& out) {
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_string()) {
    out.error = "malformed sample " + adapters::body_excerpt(pair.dump(), 80);
    return false;
  }
  const std::string text = pair[1].get<std::string>();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) {
    out.error = "sample value \"" + adapters::body_excerpt(text, 40) + "\" is not a number";
    return false;
  }
  if (std::isnan(v)) {
    out.error = "query returned NaN";
    return false;
  }
  if (std::isinf(v)) {
    out.error = std::string("query returned ") + (v > 0 ? "+Inf" : "-Inf");
    return false;
  }
  out.value = v;
  out.timestamp = pair[0].get<double>();
  return true;
}

QueryResult parse_checked(int http_status, std::string_view body) {
  QueryResult out;
  out.error = checked_status_error(http_status, body);
  if (!out.error.empty()) return out;
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    out.error = not_the_api(http_status, body);
    return out;
  }
  if (doc.value("status", std::string()) != "success") {
    out.error = envelope_error(http_status, doc, body);
    return out;
  }
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object() || !data->contains("resultType") ||
      !data->contains("result") || !(*data)["resultType"].is_string()) {
    out.error = "response has no data.resultType/data.result: " + adapters::body_excerpt(body);
    return out;
  }
  const std::string type = (*data)["resultType"].get<std::string>();
  const json& result = (*data)["result"];
  if (type == "scalar") {
    out.series = 1;
    read_sample(result, out);
    return out;
  }
  if (type != "vector") {
    out.error = "query returned a " + type + (type == "matrix" ? " (range vector)" : "") +
                "; use an expression that returns a scalar or an instant vector";
    return out;
  }
  if (!result.is_array()) {
    out.error = "malformed vector result: " + adapters::body_excerpt(result.dump(), 80);
    return out;
  }
  out.series = result.size();
  if (result.empty()) return out;
  if (result.size() > 1) {
    std::string names;
    for (std::size_t i = 0; i < result.size() && i < 3; ++i)
      names += (i ? ", " : "") + series_label(result[i].is_object()
                                                  ? result[i].value("metric", json::object())
                                                  : json::object());
    if (result.size() > 3) names += ", ...";
    out.error = "query returned " + std::to_string(result.size()) + " series (" + names +
                "); aggregate it to one, e.g. sum(...) or max(...)";
    return out;
  }
  const json& first = result[0];
  if (!first.is_object() || !first.contains("value")) {
    out.error = "malformed vector result: " + adapters::body_excerpt(first.dump(), 80);
    return out;
  }
  read_sample(first["value"], out);
  return out;
}

}  // namespace

// A field of an unexpected type ("status": 5, "error": [], a series that is not an object) makes
// nlohmann throw; callers run in I/O callbacks, where an escaping exception ends the process.

std::string status_error(int http_status, std::string_view body) {
  try {
    return checked_status_error(http_status, body);
  } catch (const json::exception&) {
    return "HTTP " + std::to_string(http_status) + ": " + adapters::body_excerpt(body);
  }
}

QueryResult parse_instant_query(int http_status, std::string_view body) {
  try {
    return parse_checked(http_status, body);
  } catch (const json::exception&) {
    QueryResult out;
    out.error = "malformed response: " + adapters::body_excerpt(body);
    return out;
  }
}

}  // namespace luascale::prometheus
