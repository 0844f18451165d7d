// engine/core/value.hpp — a small JSON-shaped value tree used for policy params, structured
// signals (per-pod lists), ctx.state and the persisted engine state. JSON text conversion lives
// in value_json.cpp so that nlohmann/json stays out of every other translation unit.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace luascale {

class Value {
 public:
  enum class Kind : std::uint8_t { Null, Bool, Integer, Number, String, Array, Object };
  using Array = std::vector<Value>;
  using Object = std::vector<std::pair<std::string, Value>>;  // keeps insertion order

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : kind_(Kind::Bool), b_(b) {}
  Value(int i) : kind_(Kind::Integer), i_(i) {}
  Value(std::int64_t i) : kind_(Kind::Integer), i_(i) {}
  Value(double d) : kind_(Kind::Number), d_(d) {}
  Value(const char* s) : kind_(Kind::String), s_(s) {}
  Value(std::string s) : kind_(Kind::String), s_(std::move(s)) {}
  Value(Array a) : kind_(Kind::Array), a_(std::move(a)) {}
  Value(Object o) : kind_(Kind::Object), o_(std::move(o)) {}
  static Value array() { return Value(Array{}); }
  static Value object() { return Value(Object{}); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_number() const { return kind_ == Kind::Integer || kind_ == Kind::Number; }
  bool is_integer() const { return kind_ == Kind::Integer; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_array() const { return kind_ == Kind::Array; }
  bool is_object() const { return kind_ == Kind::Object; }

  bool as_bool() const { return b_; }
  std::int64_t as_int() const {
    return kind_ == Kind::Integer ? i_ : static_cast<std::int64_t>(d_);
  }
  double as_number() const { return kind_ == Kind::Integer ? static_cast<double>(i_) : d_; }
  const std::string& as_string() const { return s_; }
  const Array& as_array() const { return a_; }
  Array& as_array() { return a_; }
  const Object& as_object() const { return o_; }
  Object& as_object() { return o_; }

  // Object access: find returns nullptr when absent (or when this is not an object).
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  // Sets or replaces a key of an object (turns a null into an object).
  Value& set(std::string key, Value v);

  bool operator==(const Value& other) const;

  const char* kind_name() const;

 private:
  Kind kind_ = Kind::Null;
  bool b_ = false;
  std::int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
  Array a_;
  Object o_;
};

// Raised for malformed JSON text; `what()` carries "line L, column C: message".
struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
  int line = 0;
  int column = 0;
};

// Parses JSON text ("//" and "/* */" comments tolerated). Throws JsonError.
Value parse_json(std::string_view text);
// Serialises; indent < 0 gives one line.
std::string to_json(const Value& v, int indent = -1);

}  // namespace luascale
