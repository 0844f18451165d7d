// adapters/sources/redis/resp.cpp — the RESP2 parser and command encoder.
#include "adapters/sources/redis/resp.hpp"

#include <algorithm>
#include <limits>

namespace luascale::redis {

namespace {

using Status = RespParse::Status;

// A recursive-descent parser over a fixed input; `pos` only moves forward.
class Parser {
 public:
  Parser(std::string_view in, const RespLimits& limits) : in_(in), limits_(limits) {}

  Status value(RespValue& out, int depth) {
    if (pos_ >= in_.size()) return Status::Incomplete;
    const std::size_t start = pos_;
    const char tag = in_[pos_++];
    std::string_view line;
    switch (tag) {
      case '+':
      case '-': {
        Status s = read_line(line);
        if (s != Status::Complete) return s;
        out.type = tag == '+' ? RespValue::Type::SimpleString : RespValue::Type::Error;
        out.text.assign(line);
        return Status::Complete;
      }
      case ':': {
        Status s = read_line(line);
        if (s != Status::Complete) return s;
        out.type = RespValue::Type::Integer;
        return parse_integer(line, start + 1, out.integer);
      }
      case '$':
        return bulk(out, start);
      case '*':
        return array(out, start, depth);
      default:
        return fail(start, std::string("unknown reply type ") + printable(tag));
    }
  }

  std::size_t pos() const { return pos_; }
  std::string& error() { return error_; }

 private:
  Status bulk(RespValue& out, std::size_t start) {
    std::string_view line;
    Status s = read_line(line);
    if (s != Status::Complete) return s;
    std::int64_t len = 0;
    s = parse_integer(line, start + 1, len);
    if (s != Status::Complete) return s;
    if (len == -1) {
      out.type = RespValue::Type::Null;
      return Status::Complete;
    }
    if (len < 0) return fail(start, "negative bulk length " + std::to_string(len));
    if (static_cast<std::uint64_t>(len) > limits_.max_bulk_bytes)
      return fail(start, "bulk length " + std::to_string(len) + " exceeds the limit of " +
                             std::to_string(limits_.max_bulk_bytes) + " bytes");
    const std::size_t n = static_cast<std::size_t>(len);
    if (in_.size() - pos_ < n + 2) return Status::Incomplete;
    if (in_[pos_ + n] != '\r' || in_[pos_ + n + 1] != '\n')
      return fail(pos_ + n, "bulk string not terminated by CRLF");
    out.type = RespValue::Type::BulkString;
    out.text.assign(in_.substr(pos_, n));
    pos_ += n + 2;
    return Status::Complete;
  }

  Status array(RespValue& out, std::size_t start, int depth) {
    if (depth >= limits_.max_depth)
      return fail(start, "arrays nested deeper than " + std::to_string(limits_.max_depth));
    std::string_view line;
    Status s = read_line(line);
    if (s != Status::Complete) return s;
    std::int64_t count = 0;
    s = parse_integer(line, start + 1, count);
    if (s != Status::Complete) return s;
    if (count == -1) {
      out.type = RespValue::Type::Null;
      return Status::Complete;
    }
    if (count < 0) return fail(start, "negative array length " + std::to_string(count));
    if (count > limits_.max_array_elements)
      return fail(start, "array length " + std::to_string(count) + " exceeds the limit of " +
                             std::to_string(limits_.max_array_elements));
    out.type = RespValue::Type::Array;
    // Every element takes at least 3 bytes ("+\r\n"), so never reserve beyond what the input can
    // hold: a peer cannot make us allocate by announcing a count alone.
    const std::size_t remaining = in_.size() - pos_;
    out.elements.reserve(std::min<std::size_t>(static_cast<std::size_t>(count), remaining / 3));
    for (std::int64_t i = 0; i < count; ++i) {
      out.elements.emplace_back();
      s = value(out.elements.back(), depth + 1);
      if (s != Status::Complete) return s;
    }
    return Status::Complete;
  }

  // Reads up to CRLF; the line may not contain a bare CR or LF.
  Status read_line(std::string_view& line) {
    const std::size_t start = pos_;
    const std::size_t limit = std::min(in_.size(), start + limits_.max_line_bytes + 1);
    for (std::size_t i = start; i < limit; ++i) {
      const char c = in_[i];
      if (c == '\n') return fail(i, "bare LF in a line");
      if (c == '\r') {
        if (i + 1 >= in_.size()) return Status::Incomplete;
        if (in_[i + 1] != '\n') return fail(i, "bare CR in a line");
        line = in_.substr(start, i - start);
        pos_ = i + 2;
        return Status::Complete;
      }
    }
    if (limit - start >= limits_.max_line_bytes + 1)
      return fail(start, "line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
    return Status::Incomplete;
  }

  // A decimal int64: optional '-', at least one digit, nothing else, no overflow.
  Status parse_integer(std::string_view text, std::size_t at, std::int64_t& out) {
    std::size_t i = 0;
    bool negative = false;
    if (i < text.size() && text[i] == '-') {
      negative = true;
      ++i;
    }
    if (i == text.size()) return fail(at, "bad integer \"" + clip(text) + "\"");
    // Accumulate as a negative number so INT64_MIN fits.
    std::int64_t acc = 0;
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return fail(at, "bad integer \"" + clip(text) + "\"");
      const int d = c - '0';
      if (acc < (min + d) / 10) return fail(at, "integer out of range \"" + clip(text) + "\"");
      acc = acc * 10 - d;
    }
    if (!negative) {
      if (acc == min) return fail(at, "integer out of range \"" + clip(text) + "\"");
      acc = -acc;
    }
    out = acc;
    return Status::Complete;
  }

  Status fail(std::size_t at, std::string message) {
    error_ = "byte " + std::to_string(at) + ": " + std::move(message);
    return Status::Invalid;
  }

  static std::string printable(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
    static const char* hex = "0123456789abcdef";
    return std::string("0x") + hex[u >> 4] + hex[u & 15];
  }

  static std::string clip(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 32)) {
      const auto u = static_cast<unsigned char>(c);
      out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    if (text.size() > 32) out += "...";
    return out;
  }

  std::string_view in_;
  const RespLimits& limits_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace

RespParse parse_reply(std::string_view input, const RespLimits& limits) {
  RespParse result;
  Parser parser(input, limits);
  result.status = parser.value(result.value, 0);
  if (result.status == Status::Complete) {
    result.consumed = parser.pos();
  } else {
    result.value = RespValue{};
    if (result.status == Status::Invalid) result.error = std::move(parser.error());
  }
  return result;
}

std::string encode_command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

std::string describe_reply(const RespValue& value) {
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s.substr(0, 80)) {
      const auto u = static_cast<unsigned char>(c);
      out += (u >= 0x20 && u < 0x7f && c != '"') ? c : '?';
    }
    if (s.size() > 80) out += "...";
    return out + "\"";
  };
  switch (value.type) {
    case RespValue::Type::SimpleString:
      return "status " + quote(value.text);
    case RespValue::Type::Error:
      return "error " + quote(value.text);
    case RespValue::Type::Integer:
      return "integer " + std::to_string(value.integer);
    case RespValue::Type::BulkString:
      return "string " + quote(value.text);
    case RespValue::Type::Null:
      return "nil";
    case RespValue::Type::Array:
      return "array of " + std::to_string(value.elements.size());
  }
  return "?";
}

}  // namespace luascale::redis
