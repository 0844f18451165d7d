// tests/unit/unit-net-text.cpp — the text helpers of adapters/net: ASCII trimming, case folding
// and hex digits; base64 against the RFC 4648 vectors and malformed input.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "adapters/net/ascii_text.hpp"
#include "adapters/net/base64.hpp"

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

TEST_CASE("base64: the RFC 4648 section 10 vectors, both ways") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CAPTURE(plain);
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == std::optional<std::string>(plain));
  }
}

TEST_CASE("base64: binary data and long input round-trip") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
  CHECK(base64_decode("//4A") == std::optional<std::string>(std::string("\xff\xfe\x00", 3)));
  std::string big;
  for (int i = 0; i < 1000; ++i) big += all;  // past one encode and one decode slice
  const std::string encoded = base64_encode(big);
  CHECK(encoded.size() == (big.size() + 2) / 3 * 4);
  CHECK(base64_decode(encoded) == std::optional<std::string>(big));
}

TEST_CASE("base64: padding is optional and line breaks are skipped") {
  CHECK(base64_decode("Zm9vYg") == std::optional<std::string>("foob"));
  CHECK(base64_decode("Zm9vYmE") == std::optional<std::string>("fooba"));
  CHECK(base64_decode("Zm9v\nYmFy\r\n") == std::optional<std::string>("foobar"));
  CHECK(base64_decode(" Zm9v YmE= \n") == std::optional<std::string>("fooba"));
  CHECK(base64_decode("  \n") == std::optional<std::string>(""));
}

TEST_CASE("base64: malformed input is refused") {
  CHECK_FALSE(base64_decode("Zm9v!mFy"));  // a byte outside the alphabet
  CHECK_FALSE(base64_decode("Zm9v-_Fy"));  // the URL-safe alphabet is not the standard one
  CHECK_FALSE(base64_decode("Zm9vY"));     // one character cannot end a group
  CHECK_FALSE(base64_decode("Zm=9v"));     // padding before the end
  CHECK_FALSE(base64_decode("Zg==Zg=="));  // data after padding
  CHECK_FALSE(base64_decode("Zg="));       // padding that does not complete the group
  CHECK_FALSE(base64_decode("Zm9vY==="));  // too much padding
  CHECK_FALSE(base64_decode("===="));
  CHECK_FALSE(base64_decode("Zm9v\tYmFy"));  // tabs are not among the skipped spaces
  CHECK_FALSE(base64_decode(std::string("Zm9v\0YmFy", 9)));
}
