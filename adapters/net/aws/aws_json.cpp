// adapters/net/aws/aws_json.cpp — see aws_json.hpp.
#include "adapters/net/aws/aws_json.hpp"

#include <nlohmann/json.hpp>

namespace luascale::aws {

std::optional<JsonErrorInfo> parse_json_error(std::string_view body,
                                              std::string_view query_error_header) {
  JsonErrorInfo e;
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object()) {
    auto text = [&](const char* key) -> std::string {
      auto it = doc.find(key);
      return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    e.code = text("__type");
    if (e.code.empty()) e.code = text("code");
    // "com.amazonaws.sqs#QueueDoesNotExist", or with an older "prefix:" form.
    if (auto hash = e.code.rfind('#'); hash != std::string::npos) e.code.erase(0, hash + 1);
    if (auto colon = e.code.find(':'); colon != std::string::npos) e.code.erase(colon);
    e.message = text("message");
    if (e.message.empty()) e.message = text("Message");
  }
  if (!query_error_header.empty()) {
    const auto semi = query_error_header.find(';');
    e.query_code = std::string(query_error_header.substr(0, semi));
    if (semi != std::string_view::npos) e.type = std::string(query_error_header.substr(semi + 1));
  }
  if (e.code.empty() && e.query_code.empty()) return std::nullopt;
  if (e.code.empty()) e.code = e.query_code;
  return e;
}

}  // namespace luascale::aws
