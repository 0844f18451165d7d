// tests/unit/unit-redis-resp.cpp — the RESP2 parser: every reply type, every prefix of a valid
// reply is Incomplete, malformed and hostile input is Invalid, and random bytes never crash it.
#include <doctest/doctest.h>

#include <random>

#include "adapters/sources/redis/resp.hpp"

using namespace luascale::redis;
using Status = RespParse::Status;

namespace {

RespValue complete(std::string_view in) {
  auto r = parse_reply(in);
  INFO("input: ", std::string(in), " error: ", r.error);
  REQUIRE(r.status == Status::Complete);
  CHECK(r.consumed == in.size());
  return r.value;
}

std::string invalid(std::string_view in, const RespLimits& limits = {}) {
  auto r = parse_reply(in, limits);
  INFO("input: ", std::string(in));
  REQUIRE(r.status == Status::Invalid);
  CHECK(r.consumed == 0);
  return r.error;
}

}  // namespace

TEST_CASE("resp: each reply type") {
  CHECK(complete("+OK\r\n") == RespValue::simple("OK"));
  CHECK(complete("-WRONGTYPE Operation against a key\r\n") ==
        RespValue::error("WRONGTYPE Operation against a key"));
  CHECK(complete(":42\r\n") == RespValue::number(42));
  CHECK(complete(":-9223372036854775808\r\n") == RespValue::number(INT64_MIN));
  CHECK(complete(":9223372036854775807\r\n") == RespValue::number(INT64_MAX));
  CHECK(complete("$5\r\nhe\r\no\r\n") == RespValue::bulk("he\r\no"));
  CHECK(complete("$0\r\n\r\n") == RespValue::bulk(""));
  CHECK(complete("$-1\r\n") == RespValue::null());
  CHECK(complete("*-1\r\n") == RespValue::null());
  CHECK(complete("*0\r\n") == RespValue::array({}));
  // XPENDING summary.
  CHECK(complete("*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n2\r\n") ==
        RespValue::array(
            {RespValue::number(2), RespValue::bulk("1-0"), RespValue::bulk("2-0"),
             RespValue::array({RespValue::array({RespValue::bulk("c"), RespValue::bulk("2")})})}));
}

TEST_CASE("resp: only the first reply is consumed (pipelining)") {
  auto r = parse_reply(":1\r\n:2\r\n");
  REQUIRE(r.status == Status::Complete);
  CHECK(r.consumed == 4);
  CHECK(r.value == RespValue::number(1));
}

TEST_CASE("resp: every strict prefix of a valid reply is incomplete") {
  for (std::string full : {"+OK\r\n", ":123\r\n", "$5\r\nhello\r\n", "*2\r\n$1\r\na\r\n:7\r\n",
                           "*1\r\n*1\r\n*0\r\n", "-ERR x\r\n", "$-1\r\n"}) {
    for (std::size_t n = 0; n < full.size(); ++n) {
      auto r = parse_reply(std::string_view(full).substr(0, n));
      INFO("prefix of ", full, " length ", n, " error ", r.error);
      CHECK(r.status == Status::Incomplete);
      CHECK(r.consumed == 0);
    }
    complete(full);
  }
}

TEST_CASE("resp: malformed input is invalid with a position") {
  CHECK(invalid("?x\r\n") == "byte 0: unknown reply type '?'");
  CHECK(invalid(std::string("\x00", 1)) == "byte 0: unknown reply type 0x00");
  CHECK(invalid(":12a\r\n") == "byte 1: bad integer \"12a\"");
  CHECK(invalid(":\r\n") == "byte 1: bad integer \"\"");
  CHECK(invalid(":-\r\n") == "byte 1: bad integer \"-\"");
  CHECK(invalid(":9223372036854775808\r\n").find("out of range") != std::string::npos);
  CHECK(invalid(":-9223372036854775809\r\n").find("out of range") != std::string::npos);
  CHECK(invalid("$-2\r\n") == "byte 0: negative bulk length -2");
  CHECK(invalid("*-5\r\n") == "byte 0: negative array length -5");
  CHECK(invalid("$3\r\nabcXY") == "byte 7: bulk string not terminated by CRLF");
  CHECK(invalid("+O\nK\r\n") == "byte 2: bare LF in a line");
  CHECK(invalid("+O\rK\r\n") == "byte 2: bare CR in a line");
  CHECK(invalid("$ 3\r\nabc\r\n").find("bad integer") != std::string::npos);
  // RESP3 types are not spoken here.
  CHECK(invalid("%1\r\n+a\r\n+b\r\n") == "byte 0: unknown reply type '%'");
  CHECK(invalid("*2\r\n:1\r\n!x\r\n") == "byte 8: unknown reply type '!'");
}

TEST_CASE("resp: limits stop hostile lengths before any allocation") {
  RespLimits limits;
  limits.max_bulk_bytes = 100;
  limits.max_array_elements = 10;
  limits.max_depth = 3;
  limits.max_line_bytes = 16;
  CHECK(invalid("$101\r\n", limits).find("exceeds the limit of 100 bytes") != std::string::npos);
  CHECK(invalid("*11\r\n", limits).find("exceeds the limit of 10") != std::string::npos);
  CHECK(invalid("*1\r\n*1\r\n*1\r\n*0\r\n", limits) == "byte 12: arrays nested deeper than 3");
  CHECK(complete("*1\r\n*1\r\n*0\r\n").type == RespValue::Type::Array);
  CHECK(invalid("+" + std::string(17, 'a'), limits) == "byte 1: line longer than 16 bytes");
  CHECK(parse_reply("+" + std::string(16, 'a'), limits).status == Status::Incomplete);
  CHECK(parse_reply("+" + std::string(16, 'a') + "\r\n", limits).status == Status::Complete);
  // Default limits: a huge announced bulk or array is just incomplete until its bytes arrive, and
  // nothing is reserved for it.
  CHECK(parse_reply("$67108864\r\n").status == Status::Incomplete);
  CHECK(parse_reply("$67108865\r\n").status == Status::Invalid);
  CHECK(parse_reply("*1048576\r\n").status == Status::Incomplete);
  CHECK(parse_reply("$9223372036854775807\r\n").status == Status::Invalid);
}

TEST_CASE("resp: encode_command") {
  CHECK(encode_command({"LLEN", "q"}) == "*2\r\n$4\r\nLLEN\r\n$1\r\nq\r\n");
  CHECK(encode_command({"GET", ""}) == "*2\r\n$3\r\nGET\r\n$0\r\n\r\n");
  // A command's own encoding parses back as an array of its arguments.
  auto v = complete(encode_command({"AUTH", "us\r\ner", "p\0w"}));
  CHECK(v == RespValue::array(
                 {RespValue::bulk("AUTH"), RespValue::bulk("us\r\ner"), RespValue::bulk("p")}));
}

TEST_CASE("resp: random and mutated input never crashes and stays consistent") {
  std::mt19937 rng(12345);
  const std::string seeds[] = {
      "*4\r\n:2\r\n$3\r\n1-0\r\n$3\r\n2-0\r\n*1\r\n*2\r\n$1\r\nc\r\n$1\r\n2\r\n", "+OK\r\n",
      ":-17\r\n", "$3\r\nabc\r\n", "*-1\r\n"};
  const char alphabet[] = "+-:$*\r\n0123456789-abc";
  for (int i = 0; i < 20000; ++i) {
    std::string in = seeds[rng() % 5];
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits && !in.empty(); ++e) {
      std::size_t at = rng() % in.size();
      switch (rng() % 3) {
        case 0:
          in[at] = alphabet[rng() % (sizeof alphabet - 1)];
          break;
        case 1:
          in.erase(at, 1);
          break;
        default:
          in.insert(at, 1, static_cast<char>(rng() % 256));
          break;
      }
    }
    auto r = parse_reply(in);
    if (r.status == Status::Complete) {
      CHECK(r.consumed > 0);
      CHECK(r.consumed <= in.size());
      // Parsing exactly the consumed bytes gives the same value.
      auto again = parse_reply(std::string_view(in).substr(0, r.consumed));
      CHECK(again.status == Status::Complete);
      CHECK(again.value == r.value);
    } else if (r.status == Status::Invalid) {
      CHECK(!r.error.empty());
    }
  }
}
