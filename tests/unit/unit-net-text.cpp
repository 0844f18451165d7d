// tests/unit/unit-net-text.cpp — the text helpers of adapters/net: ASCII trimming, case folding
// and hex digits.
#include <doctest/doctest.h>

#include "adapters/net/ascii_text.hpp"

using namespace luascale::net;

TEST_CASE("ascii text: trimming, case folding and hex digits") {
  CHECK(trim_space(" \t\r\n token \n") == "token");
  CHECK(trim_space("a b") == "a b");
  CHECK(trim_space(" \r\n") == "");
  CHECK(trim_space("") == "");
  CHECK(ascii_lower("Content-TYPE 9\xC3\x89") == "content-type 9\xC3\x89");  // only A-Z fold
  CHECK(lower_first("Connection refused") == "connection refused");
  CHECK(lower_first("") == "");
  CHECK(hex_digit_value('0') == 0);
  CHECK(hex_digit_value('9') == 9);
  CHECK(hex_digit_value('a') == 10);
  CHECK(hex_digit_value('F') == 15);
  CHECK(hex_digit_value('g') == -1);
  CHECK(hex_digit_value('%') == -1);
}
