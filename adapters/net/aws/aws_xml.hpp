// adapters/net/aws/aws_xml.hpp — reading AWS Query-protocol XML with pugixml by local names (the
// namespace prefix and URI vary between docs, SDK fixtures and services), and the ErrorResponse.
#pragma once

#include <pugixml.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace luascale::aws {

// The local part of an element name ("ns:Foo" -> "Foo").
std::string_view local_name(const pugi::xml_node& node);
// The first child element with this local name, or an empty node.
pugi::xml_node child(const pugi::xml_node& node, std::string_view local);
// Follows a '/'-separated path of local names from node ("A/B/C"); empty node when missing.
pugi::xml_node path(const pugi::xml_node& node, std::string_view slash_path);
// Every child element with this local name (e.g. the <member> items of a list).
std::vector<pugi::xml_node> children(const pugi::xml_node& node, std::string_view local);
// Trimmed text of the child at slash_path; "" when absent.
std::string text_at(const pugi::xml_node& node, std::string_view slash_path);
// Integer text of the child at slash_path; nullopt when absent, empty or not an integer.
std::optional<long long> int_at(const pugi::xml_node& node, std::string_view slash_path);

// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>, also the
// <Response><Errors><Error>... form some endpoints use.
struct ErrorInfo {
  std::string type;  // "Sender" | "Receiver"
  std::string code;  // "Throttling", "ValidationError", ...
  std::string message;
  std::string request_id;
};
// Parses an error body; nullopt when it is not an AWS error document.
std::optional<ErrorInfo> parse_error_response(std::string_view body);

}  // namespace luascale::aws
