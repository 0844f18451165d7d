// adapters/net/aws/sigv4.cpp — SigV4 signing with OpenSSL SHA-256 / HMAC-SHA256; the canonical
// forms follow the AWS SigV4 test suite rules for non-S3 services.
#include "adapters/net/aws/sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <stdexcept>

#include "adapters/net/ascii_text.hpp"
#include "common/time/timestamp_text.hpp"

namespace luascale::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kRedacted = "<redacted>";

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

using net::ascii_lower;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Trims both ends and collapses every inner whitespace run to one space.
std::string trim_all(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  bool pending_space = false;
  for (char c : v) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len)) {
    throw std::runtime_error("sigv4: HMAC-SHA256 failed");
  }
  std::string result(reinterpret_cast<const char*>(out), len);
  OPENSSL_cleanse(out, sizeof out);
  return result;
}

// Overwrites a string holding key material before it is released.
void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// Index of the first header called name_lower (any case), or npos.
std::size_t find_header(const HeaderList& headers, std::string_view name_lower) {
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (ascii_lower(headers[i].first) == name_lower) return i;
  }
  return std::string::npos;
}

// Sets a header: replaces the first one of that name (any case) in place and drops the others,
// or appends it.
void set_header(HeaderList& headers, std::string_view canonical_name, std::string value) {
  const std::string name_lower = ascii_lower(canonical_name);
  std::size_t first = find_header(headers, name_lower);
  if (first == std::string::npos) {
    headers.emplace_back(std::string(canonical_name), std::move(value));
    return;
  }
  headers[first].second = std::move(value);
  for (std::size_t i = headers.size(); i-- > first + 1;) {
    if (ascii_lower(headers[i].first) == name_lower)
      headers.erase(headers.begin() + static_cast<long>(i));
  }
}

void remove_header(HeaderList& headers, std::string_view name_lower) {
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [&](const auto& h) { return ascii_lower(h.first) == name_lower; }),
                headers.end());
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0x0f]);
    }
  }
  return out;
}

std::string uri_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = net::hex_digit_value(text[i + 1]), lo = net::hex_digit_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = end + 1;
  }
  std::string out;
  if (path.front() == '/') out.push_back('/');
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i) out.push_back('/');
    out += uri_encode(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  if (out.empty()) out = "/";
  return out;
}

std::string canonical_query(const ParamList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name), uri_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string canonical_headers(const HeaderList& headers, std::string* signed_headers) {
  // Stable by name so repeated headers keep their order.
  std::vector<std::pair<std::string, std::string>> items;
  items.reserve(headers.size());
  for (const auto& [name, value] : headers)
    items.emplace_back(ascii_lower(trim_all(name)), trim_all(value));
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string block, names;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0 && items[i].first == items[i - 1].first) {
      block.back() = ',';  // replace the previous line's '\n'
      block += items[i].second;
      block.push_back('\n');
      continue;
    }
    if (!names.empty()) names.push_back(';');
    names += items[i].first;
    block += items[i].first;
    block.push_back(':');
    block += items[i].second;
    block.push_back('\n');
  }
  if (signed_headers) *signed_headers = std::move(names);
  return block;
}

std::string encode_query(const ParamList& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += uri_encode(name);
    out.push_back('=');
    out += uri_encode(value);
  }
  return out;
}

ParamList parse_query(std::string_view query) {
  ParamList out;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view piece = query.substr(start, end - start);
    if (!piece.empty()) {
      const std::size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(uri_decode(piece), std::string());
      } else {
        out.emplace_back(uri_decode(piece.substr(0, eq)), uri_decode(piece.substr(eq + 1)));
      }
    }
    start = end + 1;
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr)) {
    throw std::runtime_error("sigv4: SHA-256 failed");
  }
  return hex(digest, len);
}

std::string signing_key(std::string_view secret_access_key, std::string_view date,
                        std::string_view region, std::string_view service) {
  std::string seed = "AWS4";
  seed += secret_access_key;
  std::string k_date = hmac_sha256(seed, date);
  wipe(seed);
  std::string k_region = hmac_sha256(k_date, region);
  wipe(k_date);
  std::string k_service = hmac_sha256(k_region, service);
  wipe(k_region);
  std::string k_signing = hmac_sha256(k_service, "aws4_request");
  wipe(k_service);
  return k_signing;
}

SignedRequest sign(const SignableRequest& req, const Credentials& creds,
                   const SigningParams& params) {
  if (creds.empty()) throw std::invalid_argument("sigv4: credentials are empty");
  if (params.region.empty() || params.service.empty()) {
    throw std::invalid_argument("sigv4: region and service are required");
  }
  if (find_header(req.headers, "host") == std::string::npos) {
    throw std::invalid_argument("sigv4: the request has no Host header");
  }

  SignedRequest out;
  out.amz_date =
      format_timestamp_text(from_system_clock(params.time), TimestampSyntax::Iso8601Basic);
  const std::string date = out.amz_date.substr(0, 8);
  out.credential_scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  out.payload_hash = sha256_hex(req.body);

  // The header list as sent: signer-owned headers replaced, Authorization dropped.
  out.headers = req.headers;
  remove_header(out.headers, "authorization");
  set_header(out.headers, "X-Amz-Date", out.amz_date);
  const bool has_token = !creds.session_token.empty();
  if (has_token) {
    set_header(out.headers, "X-Amz-Security-Token", creds.session_token);
  }
  HeaderList to_sign = out.headers;
  if (!params.sign_security_token) remove_header(to_sign, "x-amz-security-token");

  std::string method = req.method;
  std::transform(method.begin(), method.end(), method.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });

  out.canonical_request = method + "\n" + canonical_uri(req.path) + "\n" +
                          canonical_query(req.query) + "\n" +
                          canonical_headers(to_sign, &out.signed_headers) + "\n" +
                          out.signed_headers + "\n" + out.payload_hash;
  out.string_to_sign = std::string(kAlgorithm) + "\n" + out.amz_date + "\n" + out.credential_scope +
                       "\n" + sha256_hex(out.canonical_request);

  std::string key = signing_key(creds.secret_access_key, date, params.region, params.service);
  std::string mac = hmac_sha256(key, out.string_to_sign);
  wipe(key);
  out.signature = hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size());
  out.authorization = std::string(kAlgorithm) + " Credential=" + creds.access_key_id + "/" +
                      out.credential_scope + ", SignedHeaders=" + out.signed_headers +
                      ", Signature=" + out.signature;
  out.headers.emplace_back("Authorization", out.authorization);
  return out;
}

std::string describe(const Credentials& creds) {
  std::string id = creds.access_key_id;
  if (id.size() > 8) id = id.substr(0, 4) + "…" + id.substr(id.size() - 4);
  std::string out = "access key " + (id.empty() ? std::string("(none)") : id);
  out += creds.secret_access_key.empty() ? ", no secret" : ", secret redacted";
  if (!creds.session_token.empty()) out += ", session token redacted";
  return out;
}

std::string describe(const SignedRequest& s) {
  std::string canonical = s.canonical_request;
  std::string authorization = s.authorization;
  // The token is the value of x-amz-security-token; the signature is the tail of Authorization.
  for (const auto& [name, value] : s.headers) {
    if (ascii_lower(name) == "x-amz-security-token" && !value.empty()) {
      const std::string trimmed = trim_all(value);
      replace_all(canonical, trimmed, kRedacted);
    }
  }
  if (!s.signature.empty()) replace_all(authorization, s.signature, kRedacted);
  std::string out = "SigV4 scope " + s.credential_scope + ", signed headers " + s.signed_headers +
                    "\ncanonical request:\n" + canonical + "\nauthorization: " + authorization;
  return out;
}

}  // namespace luascale::aws
