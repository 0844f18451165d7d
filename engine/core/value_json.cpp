// engine/core/value_json.cpp — JSON text <-> Value, the one place the engine core parses JSON.
#include <nlohmann/json.hpp>

#include "engine/core/value.hpp"

namespace luascale {
namespace {

Value from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value();
    case nlohmann::ordered_json::value_t::boolean:
      return Value(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(j.get<std::int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return Value(static_cast<double>(u));
      return Value(static_cast<std::int64_t>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      Value::Array a;
      a.reserve(j.size());
      for (const auto& e : j) a.push_back(from_json(e));
      return Value(std::move(a));
    }
    case nlohmann::ordered_json::value_t::object: {
      Value::Object o;
      o.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it)
        o.emplace_back(it.key(), from_json(it.value()));
      return Value(std::move(o));
    }
    default:
      return Value();
  }
}

nlohmann::ordered_json to_nl(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Null:
      return nullptr;
    case Value::Kind::Bool:
      return v.as_bool();
    case Value::Kind::Integer:
      return v.as_int();
    case Value::Kind::Number:
      return v.as_number();
    case Value::Kind::String:
      return v.as_string();
    case Value::Kind::Array: {
      auto a = nlohmann::ordered_json::array();
      for (const auto& e : v.as_array()) a.push_back(to_nl(e));
      return a;
    }
    case Value::Kind::Object: {
      auto o = nlohmann::ordered_json::object();
      for (const auto& [k, e] : v.as_object()) o[k] = to_nl(e);
      return o;
    }
  }
  return nullptr;
}

}  // namespace

Value parse_json(std::string_view text) {
  // Keep object key order as written: parse into ordered_json.
  try {
    auto j = nlohmann::ordered_json::parse(text.begin(), text.end(), nullptr, true, true);
    return from_json(j);
  } catch (const nlohmann::json::parse_error& e) {
    // Translate the byte offset into line:column.
    std::size_t pos = e.byte == 0 ? 0 : e.byte - 1;
    if (pos > text.size()) pos = text.size();
    int line = 1, col = 1;
    for (std::size_t i = 0; i < pos; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string msg = e.what();
    auto colon = msg.find("syntax error");
    if (colon != std::string::npos) msg = msg.substr(colon);
    JsonError err("line " + std::to_string(line) + ", column " + std::to_string(col) + ": " + msg);
    err.line = line;
    err.column = col;
    throw err;
  } catch (const nlohmann::json::exception& e) {
    // Other parser failures (a number out of double range, ...) are malformed JSON too.
    throw JsonError(std::string("invalid JSON: ") + e.what());
  }
}

std::string to_json(const Value& v, int indent) {
  return to_nl(v).dump(indent);
}

}  // namespace luascale
