// adapters/net/url.hpp — URL parsing (http, https and any scheme with an authority), host:port
// parsing for listen addresses, RFC 3986 percent-encoding / query-string helpers, and URLs fit
// to print (credentials and secret-looking query values left out).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace luascale::net {

struct Url {
  std::string scheme;      // lowercased: "http", "https", ...
  std::string userinfo;    // raw "user:password" before '@' (never sent or printed by net/)
  std::string host;        // lowercased name, IPv4 literal, or IPv6 literal without brackets
  std::uint16_t port = 0;  // explicit port, else the scheme default (http 80, https 443), else 0
  std::string path;        // still percent-encoded; "/" when the URL has none
  std::string query;       // still percent-encoded, without '?'; empty when absent

  bool is_https() const { return scheme == "https"; }
  bool host_is_ipv6() const { return host.find(':') != std::string::npos; }
  // "host:port" with an IPv6 host in brackets; always names the port (for errors and pool keys).
  std::string host_port() const;
  // The Host header value: host, IPv6 in brackets, ":port" only when not the scheme default.
  std::string authority() const;
  // The HTTP request-target: path plus "?query" when there is a query.
  std::string target() const;
  // The URL to print: scheme://authority/path?query without userinfo, and with the value of
  // every query parameter whose name looks secret (see is_secret_name) as "<redacted>".
  std::string to_string() const;
  // The URL a request goes to: the same with the query as it is. Never print it.
  std::string to_request_string() const;
};

// Whether a query parameter's name looks like it carries a secret: it contains (any case)
// "token", "secret", "passw", "pwd", "key", "signature", "auth", "credential", "session", "cookie"
// or "jwt", or is "sig", "pass" or "code".
bool is_secret_name(std::string_view name);
// The query with the value of every secret-looking parameter as "<redacted>".
std::string redact_query(std::string_view query);
// URL text fit to print, parsable or not: userinfo dropped, secret query values redacted.
std::string redact_url(std::string_view text);

// Parses an absolute URL "scheme://[userinfo@]host[:port][/path][?query][#fragment]"; the
// fragment is dropped. Returns nullopt and sets *error (when given) on malformed input; error
// texts never repeat the userinfo.
std::optional<Url> parse_url(std::string_view text, std::string* error = nullptr);

// The default port of a scheme: http 80, https 443; 0 for others.
std::uint16_t default_port(std::string_view scheme);

// Parses "host:port", "[v6]:port" or ":port" (host left empty) as used by listen addresses.
// The port is required and may be 0. Returns nullopt on malformed input.
std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text);

// True when text is an IPv4 or IPv6 address literal (no brackets).
bool is_ip_literal(std::string_view text);

// Percent-encodes every byte except the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~), with
// uppercase hex (the form SigV4 and Kubernetes expect). keep_slash leaves '/' as is (paths).
std::string percent_encode(std::string_view text, bool keep_slash = false);
// Decodes %XX escapes (and '+' as space when plus_as_space). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space = false);

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// "a=1&b=x%20y": each name and value percent-encoded, in the given order.
std::string build_query(const QueryParams& params);
// Splits a query string on '&' and decodes names and values ('+' is a space). A malformed escape
// leaves that piece as it was. A name without '=' gets an empty value.
QueryParams parse_query(std::string_view query);

// Joins a base path and a relative path with exactly one '/' between them
// ("/prom/" + "/api/v1/query" -> "/prom/api/v1/query"); an empty base gives "/" + rel.
std::string join_path(std::string_view base, std::string_view rel);

}  // namespace luascale::net
