// adapters/sources/redis/resp.hpp — RESP2 (the Redis serialization protocol): a parser that is a
// pure function over bytes (no I/O, no allocation driven by lengths the peer announces before the
// bytes arrive) and the command encoder. Plain C++, no Boost; fuzzed as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace luascale::redis {

struct RespValue {
  enum class Type : std::uint8_t { SimpleString, Error, Integer, BulkString, Null, Array };
  Type type = Type::Null;
  std::string text;                 // SimpleString, Error (without the leading '-'), BulkString
  std::int64_t integer = 0;         // Integer
  std::vector<RespValue> elements;  // Array

  static RespValue simple(std::string s) { return {Type::SimpleString, std::move(s), 0, {}}; }
  static RespValue error(std::string s) { return {Type::Error, std::move(s), 0, {}}; }
  static RespValue bulk(std::string s) { return {Type::BulkString, std::move(s), 0, {}}; }
  static RespValue number(std::int64_t i) { return {Type::Integer, {}, i, {}}; }
  static RespValue null() { return {}; }
  static RespValue array(std::vector<RespValue> e) { return {Type::Array, {}, 0, std::move(e)}; }

  bool operator==(const RespValue& other) const = default;
};

// Bounds a parse enforces; a reply beyond them is Invalid (the connection must be dropped).
struct RespLimits {
  std::size_t max_line_bytes = 64 * 1024;         // a +, -, : line or a length header
  std::size_t max_bulk_bytes = 64 * 1024 * 1024;  // one bulk string
  std::int64_t max_array_elements = 1024 * 1024;  // one array's announced count
  int max_depth = 16;                             // nested arrays
};

struct RespParse {
  enum class Status : std::uint8_t {
    Complete,    // value holds one reply; consumed bytes of the input belong to it
    Incomplete,  // the input is a valid prefix of a reply; read more and parse again
    Invalid,     // the input is not RESP2 (or breaks a limit); error says why and where
  };
  Status status = Status::Incomplete;
  std::size_t consumed = 0;  // bytes of one complete reply; 0 unless Complete
  RespValue value;
  std::string error;  // "byte 12: bad integer \"1x\"" etc.; set when Invalid
};

// Parses the first reply at the start of input. Never throws (other than std::bad_alloc), never
// reads past input, and works in time and memory linear in input.size().
RespParse parse_reply(std::string_view input, const RespLimits& limits = {});

// Encodes a command as a RESP array of bulk strings (what clients send).
std::string encode_command(const std::vector<std::string>& args);

// A short, printable rendering of a reply for error messages (strings truncated to ~80 bytes).
std::string describe_reply(const RespValue& value);

}  // namespace luascale::redis
