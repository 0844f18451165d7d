// adapters/net/aws/sigv4.hpp — AWS Signature Version 4 (AWS4-HMAC-SHA256) for every service but
// S3: canonical request, string to sign, signing key, and the headers a signed request carries.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace luascale::aws {

// The clock AWS request times and credential expiries are read on.
using Clock = std::chrono::system_clock;

// Ordered (name, value) pairs; the same type as luascale::net::Headers / net::QueryParams, so
// the HTTP client's lists pass through unchanged.
using HeaderList = std::vector<std::pair<std::string, std::string>>;
using ParamList = std::vector<std::pair<std::string, std::string>>;

// An AWS identity. The secret and the session token are secrets: nothing in luascale::aws puts
// them in a log line or an error text (use describe(Credentials) to mention credentials).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys; sent as X-Amz-Security-Token

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
};

// The request to sign, as it will go on the wire.
struct SignableRequest {
  std::string method = "GET";  // upper case: "GET", "POST"
  // The path exactly as in the request line (already percent-encoded once for the wire), without
  // the query. The canonical form normalises it (dot segments, repeated slashes) and encodes each
  // segment again, as SigV4 prescribes for all services except S3. Empty means "/".
  std::string path = "/";
  // Decoded query parameters in any order, repeats allowed; canonicalisation encodes and sorts.
  // The wire query must carry the same pairs (build it with encode_query()).
  ParamList query;
  // Headers to sign and send, repeats allowed; must contain Host. Every header here is signed.
  // Any X-Amz-Date, X-Amz-Security-Token or Authorization present is replaced by the signer.
  HeaderList headers;
  std::string body;  // the exact payload bytes
};

struct SigningParams {
  std::string region;      // "us-east-1"
  std::string service;     // signing name: "autoscaling", "sts"
  Clock::time_point time;  // the request time (X-Amz-Date)
  // true (the SDKs' behaviour): X-Amz-Security-Token is a signed header. false: it is added after
  // signing and left out of the canonical request (what a few legacy services expect).
  bool sign_security_token = true;
};

// Everything signing produced. The intermediate strings are exposed for tests and debugging;
// they carry the session token in clear, so log only describe(SignedRequest).
struct SignedRequest {
  std::string amz_date;           // "20150830T123600Z"
  std::string credential_scope;   // "20150830/us-east-1/service/aws4_request"
  std::string payload_hash;       // lowercase hex SHA-256 of the body
  std::string canonical_request;  // the six lines SigV4 hashes
  std::string string_to_sign;     // algorithm, date, scope, hash of the canonical request
  std::string signed_headers;     // "host;x-amz-date"
  std::string signature;          // lowercase hex HMAC-SHA256
  std::string authorization;      // the Authorization header value
  // The request's headers with X-Amz-Date (and X-Amz-Security-Token for session credentials)
  // set in place or appended, then Authorization appended: exactly what to send.
  HeaderList headers;
};

// Signs req. Throws std::invalid_argument when credentials are empty, region/service are empty,
// or req has no Host header; those are programming errors, not runtime conditions.
SignedRequest sign(const SignableRequest& req, const Credentials& creds,
                   const SigningParams& params);

// --- The canonicalisation steps, each usable on its own -----------------------------------

// Percent-encodes every byte outside the RFC 3986 unreserved set (A-Z a-z 0-9 - _ . ~) as
// uppercase %XX; '/' is kept when keep_slash.
std::string uri_encode(std::string_view text, bool keep_slash = false);
// Decodes %XX escapes ('+' stays a plus). A malformed escape is kept as literal text.
std::string uri_decode(std::string_view text);

// Removes "." and ".." segments and repeated slashes, keeping a leading and a trailing slash
// ("//a/./b/../c//" -> "/a/c/"; "" -> "/"), then encodes each segment with uri_encode.
std::string canonical_uri(std::string_view path);
// Each name and value encoded, pairs sorted by encoded name then encoded value, joined
// "a=1&b=2"; a parameter without value gives "name=".
std::string canonical_query(const ParamList& query);
// Header names lower-cased and sorted; each value trimmed with inner whitespace runs collapsed to
// one space; repeated headers joined with ',' in their original order. Returns the canonical
// header block (each line ending in '\n') and sets *signed_headers to "a;b;c".
std::string canonical_headers(const HeaderList& headers, std::string* signed_headers);

// "name=value&..." in the given order, each side uri_encode'd: a wire query string or an
// application/x-www-form-urlencoded body that signs the same way on both ends.
std::string encode_query(const ParamList& params);
// Splits "a=1&b=x%20y" on '&' and '=' and uri_decode's both sides; a piece without '=' gets an
// empty value; empty pieces are skipped.
ParamList parse_query(std::string_view query);

// Lowercase hex SHA-256 of data.
std::string sha256_hex(std::string_view data);
// The raw 32-byte SigV4 signing key: HMAC chain over "AWS4"+secret, date (YYYYMMDD), region,
// service, "aws4_request".
std::string signing_key(std::string_view secret_access_key, std::string_view date,
                        std::string_view region, std::string_view service);

// --- Log-safe descriptions -------------------------------------------------------------------

// "access key AKID…MPLE, secret redacted, session token redacted" — never the secret or token;
// the key id is shortened to its first and last four characters.
std::string describe(const Credentials& creds);
// The canonical request, scope and signed headers with the session token and the signature
// replaced by "<redacted>"; safe for debug logs.
std::string describe(const SignedRequest& signed_request);

}  // namespace luascale::aws
