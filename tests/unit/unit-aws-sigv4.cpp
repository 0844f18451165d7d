// tests/unit/unit-aws-sigv4.cpp — the SigV4 signer against every vector of the official test
// suite (shared/reference/aws/sigv4_cases.json), byte for byte, plus the log-safe descriptions.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "adapters/net/aws/sigv4.hpp"
#include "common/time/timestamp_text.hpp"
#include "fixtures.hpp"

namespace {

using luascale::aws::Credentials;
using luascale::aws::SignableRequest;
using luascale::aws::SigningParams;

// An X-Amz-Date ("20150830T123600Z") on the signer's clock.
luascale::aws::Clock::time_point amz_date(const std::string& text) {
  const auto t = luascale::parse_timestamp_text(text, luascale::TimestampSyntax::Iso8601Basic);
  REQUIRE(t);
  return *luascale::to_system_clock(*t);
}

// One request of the suite, parsed from its raw HTTP text ("METHOD target HTTP/1.1", header
// lines, an optional blank line and body). A line starting with white space continues the
// previous header (obsolete line folding); the suite expects such values joined with commas.
struct ParsedRequest {
  SignableRequest request;
  std::vector<std::string> raw_header_lines;  // one entry per header, folded lines included
  std::string request_line;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return lines;
}

ParsedRequest parse_request(const std::string& text) {
  ParsedRequest out;
  const auto lines = split_lines(text);
  out.request_line = lines.at(0);
  const std::size_t sp1 = out.request_line.find(' ');
  const std::size_t sp2 = out.request_line.rfind(' ');
  out.request.method = out.request_line.substr(0, sp1);
  const std::string target = out.request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::size_t q = target.find('?');
  out.request.path = target.substr(0, q);
  if (q != std::string::npos) out.request.query = luascale::aws::parse_query(target.substr(q + 1));
  std::size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    const std::string& line = lines[i];
    if (line[0] == ' ' || line[0] == '\t') {
      const std::size_t first = line.find_first_not_of(" \t");
      out.request.headers.back().second += "," + line.substr(first);
      out.raw_header_lines.back() += "\n" + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    out.request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    out.raw_header_lines.push_back(line);
  }
  if (i < lines.size()) {
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      if (j > i + 1) out.request.body += "\n";
      out.request.body += lines[j];
    }
  }
  return out;
}

// The signed request as the suite prints it: the original lines, headers the signer appended
// ("Name:value"), then "Authorization: ...", then the body after a blank line.
std::string render_signed(const ParsedRequest& parsed, const luascale::aws::SignedRequest& s,
                          bool has_body) {
  std::string out = parsed.request_line;
  for (std::size_t i = 0; i < s.headers.size(); ++i) {
    const auto& [name, value] = s.headers[i];
    out += "\n";
    if (name == "Authorization") {
      out += name + ": " + value;
    } else if (i < parsed.raw_header_lines.size()) {
      out += parsed.raw_header_lines[i];
    } else {
      out += name + ":" + value;
    }
  }
  if (has_body) out += "\n\n" + parsed.request.body;
  return out;
}

nlohmann::json load_cases() {
  const auto path = luascale::test::shared_dir() / "reference/aws/sigv4_cases.json";
  return nlohmann::json::parse(luascale::test::read_file(path));
}

}  // namespace

TEST_CASE("sigv4: every vector of the official test suite, byte for byte") {
  const nlohmann::json cases = load_cases();
  REQUIRE(cases.size() >= 31);
  int checked = 0;
  for (const auto& c : cases) {
    const std::string name = c.at("name");
    CAPTURE(name);
    const auto& cred = c.at("credentials");
    const ParsedRequest parsed = parse_request(c.at("request"));

    Credentials creds{cred.at("access_key_id"), cred.at("secret_access_key"),
                      c.value("security_token", std::string())};
    SigningParams params;
    params.region = cred.at("region");
    params.service = cred.at("service");
    params.time = amz_date(cred.at("amz_date").get<std::string>());
    // "post-sts-header-after": the token is added after signing, outside the canonical request.
    params.sign_security_token = name != "post-sts-header-after";

    const auto signed_req = luascale::aws::sign(parsed.request, creds, params);
    CHECK(signed_req.canonical_request == c.at("canonical_request").get<std::string>());
    CHECK(signed_req.string_to_sign == c.at("string_to_sign").get<std::string>());
    CHECK(signed_req.authorization == c.at("authorization").get<std::string>());
    CHECK(signed_req.credential_scope == cred.at("credential_scope").get<std::string>());
    const bool has_body = c.at("request").get<std::string>().find("\n\n") != std::string::npos;
    CHECK(render_signed(parsed, signed_req, has_body) == c.at("signed_request").get<std::string>());
    ++checked;
  }
  CHECK(checked == static_cast<int>(cases.size()));
}

TEST_CASE("sigv4: signing key derivation matches the documented example") {
  // AWS General Reference, "Examples of how to derive a signing key" (secret of the suite).
  const std::string key = luascale::aws::signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                                     "20120215", "us-east-1", "iam");
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : key) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  CHECK(hex == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("sigv4: query encoding is RFC 3986 with uppercase escapes") {
  using luascale::aws::encode_query;
  CHECK(encode_query({{"Action", "SetDesiredCapacity"}, {"Name", "a b/c+d~"}}) ==
        "Action=SetDesiredCapacity&Name=a%20b%2Fc%2Bd~");
  const auto back = luascale::aws::parse_query("a=x%20y&b&c=%2B");
  REQUIRE(back.size() == 3);
  CHECK(back[0].second == "x y");
  CHECK(back[1].first == "b");
  CHECK(back[1].second.empty());
  CHECK(back[2].second == "+");
}

TEST_CASE("sigv4: programming errors throw, secrets stay out of descriptions") {
  SignableRequest req;
  req.headers = {{"Host", "autoscaling.us-east-1.amazonaws.com"}};
  SigningParams params{"us-east-1", "autoscaling", amz_date("20150830T123600Z")};
  CHECK_THROWS_AS(luascale::aws::sign(req, Credentials{}, params), std::invalid_argument);
  SignableRequest no_host;
  const Credentials creds{"AKIDEXAMPLE1234", "SECRETSECRETSECRET", "TOKENTOKENTOKEN"};
  CHECK_THROWS_AS(luascale::aws::sign(no_host, creds, params), std::invalid_argument);

  const auto s = luascale::aws::sign(req, creds, params);
  const std::string text = luascale::aws::describe(s) + luascale::aws::describe(creds);
  CHECK(text.find("SECRETSECRETSECRET") == std::string::npos);
  CHECK(text.find("TOKENTOKENTOKEN") == std::string::npos);
  CHECK(text.find(s.signature) == std::string::npos);
  CHECK(text.find("x-amz-security-token") != std::string::npos);
}
