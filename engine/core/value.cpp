// engine/core/value.cpp — Value tree accessors (JSON conversion is in value_json.cpp).
#include "engine/core/value.hpp"

namespace luascale {

const Value* Value::find(std::string_view key) const {
  if (kind_ != Kind::Object) return nullptr;
  for (const auto& [k, v] : o_)
    if (k == key) return &v;
  return nullptr;
}

Value* Value::find(std::string_view key) {
  if (kind_ != Kind::Object) return nullptr;
  for (auto& [k, v] : o_)
    if (k == key) return &v;
  return nullptr;
}

Value& Value::set(std::string key, Value v) {
  if (kind_ == Kind::Null) kind_ = Kind::Object;
  for (auto& [k, existing] : o_)
    if (k == key) return existing = std::move(v);
  o_.emplace_back(std::move(key), std::move(v));
  return o_.back().second;
}

bool Value::operator==(const Value& other) const {
  if (is_number() && other.is_number()) {
    if (is_integer() && other.is_integer()) return i_ == other.i_;
    return as_number() == other.as_number();
  }
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::Null:
      return true;
    case Kind::Bool:
      return b_ == other.b_;
    case Kind::String:
      return s_ == other.s_;
    case Kind::Array:
      return a_ == other.a_;
    case Kind::Object:
      return o_ == other.o_;
    default:
      return false;
  }
}

const char* Value::kind_name() const {
  switch (kind_) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return "boolean";
    case Kind::Integer:
    case Kind::Number:
      return "number";
    case Kind::String:
      return "string";
    case Kind::Array:
      return "array";
    case Kind::Object:
      return "object";
  }
  return "?";
}

}  // namespace luascale
