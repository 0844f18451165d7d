// adapters/common/http_support.cpp — shared HTTP client registry, server options, auth headers,
// sample values.
#include "adapters/common/http_support.hpp"

#include <boost/asio/io_context.hpp>
#include <map>
#include <mutex>
#include <utility>

#include "adapters/net/base64.hpp"
#include "engine/core/units.hpp"

namespace luascale::adapters {

namespace asio = boost::asio;

namespace {

// Per-io_context registry of shared clients (an Asio service, so it dies with its context).
class HttpClientRegistry : public asio::execution_context::service {
 public:
  using key_type = HttpClientRegistry;
  static asio::execution_context::id id;
  explicit HttpClientRegistry(asio::execution_context& ctx) : service(ctx) {}
  void shutdown() override {
    std::lock_guard lock(mutex);
    clients.clear();
  }
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<net::HttpClient>> clients;
};
asio::execution_context::id HttpClientRegistry::id;

std::string tls_identity(const net::TlsClientOptions& t) {
  std::string id;
  for (const std::string* s : {&t.ca_file, &t.ca_pem, &t.client_cert_file, &t.client_cert_pem,
                               &t.client_key_file, &t.client_key_pem, &t.server_name}) {
    id += *s;
    id += '\0';
  }
  id += t.insecure_skip_verify ? '1' : '0';
  return id;
}

}  // namespace

std::shared_ptr<net::HttpClient> shared_http_client(asio::io_context& io,
                                                    const net::TlsClientOptions& tls) {
  auto& registry = asio::use_service<HttpClientRegistry>(io);
  std::lock_guard lock(registry.mutex);
  const auto key = tls_identity(tls);
  if (auto existing = registry.clients[key].lock()) return existing;
  for (auto it = registry.clients.begin(); it != registry.clients.end();)
    it = it->second.expired() ? registry.clients.erase(it) : std::next(it);
  net::HttpClientOptions options;
  options.tls = tls;
  options.max_body_bytes = 8 * 1024 * 1024;
  auto client = std::make_shared<net::HttpClient>(io, options);
  registry.clients[key] = client;
  return client;
}

const std::vector<ConfigKey>& http_keys() {
  static const std::vector<ConfigKey> keys = concat_keys(
      {
          {"headers", "object", false, "extra request headers {\"Name\": \"value\"}"},
          {"bearer_token", "string", false, "sent as Authorization: Bearer <token>"},
          {"bearer_token_file", "string", false, "file holding the bearer token"},
          {"username", "string", false, "basic auth user (overrides the URL's)"},
          {"password", "string", false, "basic auth password"},
          {"password_file", "string", false, "file holding the basic auth password"},
      },
      Options::tls_keys());
  return keys;
}

HttpEndpoint http_endpoint(const Options& options, bool allow_query) {
  std::string error;
  auto url = net::parse_url(*options.string("url", true), &error);
  if (!url) options.fail("url", error);
  if (url->scheme != "http" && url->scheme != "https")
    options.fail("url", "must be an http:// or https:// URL");
  if (!allow_query && !url->query.empty()) options.fail("url", "must not have a query string");
  HttpEndpoint out;
  out.tls = options.tls();
  if (url->is_https()) {
    auto tls_error = net::check_client_tls(out.tls);
    if (!tls_error.empty()) options.fail("ca_file", tls_error);
  }
  out.headers = request_headers(options, *url);
  out.url = std::move(*url);
  out.url.userinfo.clear();
  return out;
}

net::Headers request_headers(const Options& options, const net::Url& url) {
  net::Headers headers = options.headers("headers");
  auto token = options.secret("bearer_token", "bearer_token_file");
  std::string user, password;
  bool basic = false;
  if (!url.userinfo.empty()) {
    auto colon = url.userinfo.find(':');
    auto u = net::percent_decode(std::string_view(url.userinfo).substr(0, colon));
    auto p = colon == std::string::npos
                 ? std::optional<std::string>("")
                 : net::percent_decode(std::string_view(url.userinfo).substr(colon + 1));
    if (!u || !p) options.fail("url", "malformed escape in the credentials");
    user = *u;
    password = *p;
    basic = true;
  }
  if (auto u = options.string("username")) {
    user = *u;
    basic = true;
  }
  if (auto p = options.secret("password", "password_file")) {
    if (user.empty()) options.fail("password", "a password needs a username");
    password = *p;
    basic = true;
  }
  if (token && basic)
    options.fail("bearer_token", "give either a bearer token or basic auth, not both");
  auto has_auth_header = net::find_header(headers, "Authorization") != nullptr;
  if ((token || basic) && has_auth_header)
    options.fail("headers", "Authorization is already set by the auth keys");
  if (token) {
    if (!net::valid_header("Authorization", *token))
      options.fail("bearer_token", "holds a line break or NUL");
    headers.emplace_back("Authorization", "Bearer " + *token);
  } else if (basic) {
    headers.emplace_back("Authorization", "Basic " + net::base64_encode(user + ":" + password));
  }
  return headers;
}

Value sample_value(double number) {
  if (is_exact_integer(number)) return Value(static_cast<std::int64_t>(number));
  return Value(number);
}

}  // namespace luascale::adapters
