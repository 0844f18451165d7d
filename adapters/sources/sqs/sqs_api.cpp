// adapters/sources/sqs/sqs_api.cpp — see sqs_api.hpp.
#include "adapters/sources/sqs/sqs_api.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace luascale::sqs {

std::string get_queue_attributes_body(const std::string& queue_url,
                                      const std::vector<std::string>& attributes) {
  nlohmann::json body = {{"QueueUrl", queue_url}, {"AttributeNames", attributes}};
  return body.dump();
}

bool parse_queue_attributes(std::string_view body, std::map<std::string, double>* counts,
                            std::string* error) {
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) {
    *error = "GetQueueAttributes: the answer is not a JSON object";
    return false;
  }
  const auto attrs = doc.find("Attributes");
  if (attrs == doc.end()) return true;  // a queue answers without the attributes it lacks
  if (!attrs->is_object()) {
    *error = "GetQueueAttributes: Attributes is not an object";
    return false;
  }
  if (attrs->size() > 64) {
    *error = "GetQueueAttributes: more than 64 attributes";
    return false;
  }
  for (const auto& [name, value] : attrs->items()) {
    double v = 0;
    if (value.is_number()) {
      v = value.get<double>();
    } else if (value.is_string()) {
      const std::string& s = value.get_ref<const std::string&>();
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) continue;  // ARNs, policies...
    } else {
      continue;
    }
    if (std::isfinite(v)) (*counts)[name] = v;
  }
  return true;
}

std::string region_of_queue_url(std::string_view url) {
  const auto scheme = url.find("://");
  std::string_view host = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  host = host.substr(0, host.find('/'));
  // sqs.<region>.amazonaws.com[.cn], or the legacy <region>.queue.amazonaws.com.
  if (host.rfind("sqs.", 0) == 0) {
    const auto dot = host.find('.', 4);
    if (dot != std::string_view::npos && host.find("amazonaws.com", dot) != std::string_view::npos)
      return std::string(host.substr(4, dot - 4));
  }
  if (const auto q = host.find(".queue.amazonaws.com"); q != std::string_view::npos && q > 0)
    return std::string(host.substr(0, q));
  return "";
}

}  // namespace luascale::sqs
