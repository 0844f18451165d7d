// adapters/net/url.cpp — URL parsing and percent-encoding (see url.hpp). No Boost here.
#include "adapters/net/url.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

#include "adapters/net/ascii_text.hpp"

namespace luascale::net {

namespace {

bool is_unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool is_sub_delim(unsigned char c) {
  switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
      return true;
    default:
      return false;
  }
}

bool fail(std::string* error, std::string message) {
  if (error) *error = "invalid URL: " + std::move(message);
  return false;
}

// Path and query: printable ASCII (or UTF-8 bytes) without spaces, controls or '#'.
bool valid_path_or_query(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool is_ipv6(std::string_view s) {
  // Strip a zone id ("fe80::1%25eth0" in URLs, "fe80::1%eth0" elsewhere) before checking.
  std::string addr(s.substr(0, s.find('%')));
  unsigned char buf[16];
  return inet_pton(AF_INET6, addr.c_str(), buf) == 1;
}

bool is_ipv4(std::string_view s) {
  std::string addr(s);
  unsigned char buf[4];
  return inet_pton(AF_INET, addr.c_str(), buf) == 1;
}

}  // namespace

std::uint16_t default_port(std::string_view scheme) {
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return 0;
}

bool is_ip_literal(std::string_view text) {
  return is_ipv4(text) || is_ipv6(text);
}

std::string Url::host_port() const {
  std::string out = host_is_ipv6() ? "[" + host + "]" : host;
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string Url::authority() const {
  std::string out = host_is_ipv6() ? "[" + host + "]" : host;
  if (port != default_port(scheme)) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

std::string Url::target() const {
  std::string out = path.empty() ? "/" : path;
  if (!query.empty()) {
    out += '?';
    out += query;
  }
  return out;
}

std::string Url::to_string() const {
  std::string out = scheme + "://" + authority() + (path.empty() ? "/" : path);
  if (!query.empty()) {
    out += '?';
    out += redact_query(query);
  }
  return out;
}

std::string Url::to_request_string() const {
  return scheme + "://" + authority() + target();
}

bool is_secret_name(std::string_view name) {
  std::string lower = ascii_lower(name);
  if (auto decoded = percent_decode(lower, true)) lower = ascii_lower(*decoded);
  for (const char* part : {"token", "secret", "passw", "pwd", "key", "signature", "auth",
                           "credential", "session", "cookie", "jwt"})
    if (lower.find(part) != std::string::npos) return true;
  return lower == "sig" || lower == "pass" || lower == "code";
}

std::string redact_query(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  while (true) {
    const auto amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    const auto eq = piece.find('=');
    if (eq != std::string_view::npos && is_secret_name(piece.substr(0, eq))) {
      out += piece.substr(0, eq + 1);
      out += "<redacted>";
    } else {
      out += piece;
    }
    if (amp == std::string_view::npos) break;
    out += '&';
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string redact_url(std::string_view text) {
  if (auto url = parse_url(text)) return url->to_string();
  // Not a URL this parser takes: still no userinfo, and no secret query values.
  std::string_view rest = text;
  std::string out;
  if (const auto scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    out += rest.substr(0, scheme_end + 3);
    rest.remove_prefix(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?#");
    const auto at = rest.substr(0, authority_end).rfind('@');
    if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  }
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto q = rest.find('?');
  out += rest.substr(0, q);
  if (q != std::string_view::npos) {
    out += '?';
    out += redact_query(rest.substr(q + 1));
  }
  return out;
}

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  Url url;
  auto colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    fail(error, "missing scheme (expected scheme://host)");
    return std::nullopt;
  }
  std::string_view scheme = text.substr(0, colon);
  if (!std::isalpha(static_cast<unsigned char>(scheme[0]))) {
    fail(error, "malformed scheme");
    return std::nullopt;
  }
  for (unsigned char c : scheme) {
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') {
      fail(error, "malformed scheme");
      return std::nullopt;
    }
  }
  url.scheme = ascii_lower(scheme);
  std::string_view rest = text.substr(colon + 3);

  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  auto authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path_and_query =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      fail(error, "unterminated IPv6 literal");
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        fail(error, "unexpected text after IPv6 literal");
        return std::nullopt;
      }
      has_port = true;
      port_text = after.substr(1);
    }
    if (!is_ipv6(host)) {
      fail(error, "malformed IPv6 literal");
      return std::nullopt;
    }
    // A zone id is written "%25zone" in URLs; keep it in its plain "%zone" form.
    std::string h(host);
    if (auto pct = h.find("%25"); pct != std::string::npos) h.erase(pct + 1, 2);
    url.host = ascii_lower(h);
  } else {
    auto c = authority.rfind(':');
    host = authority.substr(0, c);
    if (c != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(c + 1);
    }
    for (unsigned char ch : host) {
      if (!is_unreserved(ch) && !is_sub_delim(ch) && ch != '%') {
        fail(error, "invalid character in host");
        return std::nullopt;
      }
    }
    url.host = ascii_lower(host);
  }
  if (url.host.empty()) {
    fail(error, "missing host");
    return std::nullopt;
  }

  url.port = default_port(url.scheme);
  if (has_port && !port_text.empty()) {
    auto port = parse_port(port_text);
    if (!port || *port == 0) {
      fail(error, "invalid port");
      return std::nullopt;
    }
    url.port = *port;
  }

  auto q = path_and_query.find('?');
  std::string_view path = path_and_query.substr(0, q);
  std::string_view query =
      q == std::string_view::npos ? std::string_view{} : path_and_query.substr(q + 1);
  if (!valid_path_or_query(path) || !valid_path_or_query(query)) {
    fail(error, "space or control character in path or query (percent-encode it)");
    return std::nullopt;
  }
  url.path = path.empty() ? "/" : std::string(path);
  url.query = std::string(query);
  return url;
}

std::optional<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    if (!is_ipv6(host)) return std::nullopt;
    port_text = text.substr(close + 2);
  } else {
    auto c = text.rfind(':');
    if (c == std::string_view::npos) return std::nullopt;
    host = text.substr(0, c);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // bare IPv6 needs []
    port_text = text.substr(c + 1);
  }
  auto port = parse_port(port_text);
  if (!port) return std::nullopt;
  return std::make_pair(ascii_lower(host), *port);
}

std::string percent_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3) return std::nullopt;  // needs '%' and two hex digits
      int hi = hex_digit_value(text[i + 1]);
      int lo = hex_digit_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string build_query(const QueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += percent_encode(name);
    out += '=';
    out += percent_encode(value);
  }
  return out;
}

QueryParams parse_query(std::string_view query) {
  QueryParams out;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);
    auto dn = percent_decode(name, true);
    auto dv = percent_decode(value, true);
    out.emplace_back(dn ? *dn : std::string(name), dv ? *dv : std::string(value));
  }
  return out;
}

std::string join_path(std::string_view base, std::string_view rel) {
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  std::string out(base);
  out += '/';
  out += rel;
  return out;
}

}  // namespace luascale::net
