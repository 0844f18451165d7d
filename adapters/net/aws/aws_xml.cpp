// adapters/net/aws/aws_xml.cpp — local-name XML navigation and ErrorResponse parsing.
#include "adapters/net/aws/aws_xml.hpp"

#include <cstdlib>

#include "adapters/net/ascii_text.hpp"

namespace luascale::aws {

std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c) == local) return c;
  }
  return {};
}

pugi::xml_node path(const pugi::xml_node& node, std::string_view slash_path) {
  pugi::xml_node cur = node;
  std::size_t start = 0;
  while (cur && start <= slash_path.size()) {
    std::size_t end = slash_path.find('/', start);
    if (end == std::string_view::npos) end = slash_path.size();
    const auto part = slash_path.substr(start, end - start);
    if (!part.empty()) cur = child(cur, part);
    start = end + 1;
  }
  return cur;
}

std::vector<pugi::xml_node> children(const pugi::xml_node& node, std::string_view local) {
  std::vector<pugi::xml_node> out;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c) == local) out.push_back(c);
  }
  return out;
}

std::string text_at(const pugi::xml_node& node, std::string_view slash_path) {
  const pugi::xml_node n = path(node, slash_path);
  return n ? net::trim_space(n.child_value()) : std::string();
}

std::optional<long long> int_at(const pugi::xml_node& node, std::string_view slash_path) {
  const std::string t = text_at(node, slash_path);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const long long v = std::strtoll(t.c_str(), &end, 10);
  if (end != t.c_str() + t.size()) return std::nullopt;
  return v;
}

std::optional<ErrorInfo> parse_error_response(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  const pugi::xml_node root = doc.document_element();
  pugi::xml_node error;
  if (local_name(root) == "ErrorResponse") {
    error = child(root, "Error");
  } else if (local_name(root) == "Response") {
    error = path(root, "Errors/Error");
  } else if (local_name(root) == "Error") {
    error = root;
  }
  if (!error) return std::nullopt;
  ErrorInfo info;
  info.type = text_at(error, "Type");
  info.code = text_at(error, "Code");
  info.message = text_at(error, "Message");
  info.request_id = text_at(root, "RequestId");
  if (info.request_id.empty()) info.request_id = text_at(root, "RequestID");
  if (info.code.empty()) return std::nullopt;
  return info;
}

}  // namespace luascale::aws
