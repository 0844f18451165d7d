// adapters/net/http_client.hpp — the asynchronous HTTP/1.1 client every source and actuator uses:
// http and https, keep-alive pool per scheme+host+port, one total deadline per request, a body
// size cap, and error strings fit for an operator. Also a blocking wrapper for the CLI and tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "adapters/net/http_headers.hpp"
#include "adapters/net/tls.hpp"

namespace boost::asio {
class io_context;
}

namespace luascale::net {

struct HttpRequest {
  std::string method = "GET";  // any token; sent as given
  std::string url;             // absolute http:// or https:// URL
  // Sent as given, in order. Host, Content-Length and User-Agent are added unless present here.
  // Values (e.g. Authorization) never appear in error strings.
  Headers headers;
  std::string body;  // Content-Length is sent whenever the body is non-empty or the method is
                     // POST, PUT or PATCH
  // Total budget for resolve + connect + TLS + write + read; > 0.
  std::chrono::milliseconds timeout{30000};
  std::size_t max_body_bytes = 0;  // response body cap; 0 = the client's max_body_bytes
};

struct HttpResult {
  // "" when a complete response arrived (whatever its status); otherwise what went wrong, e.g.
  // "connect 127.0.0.1:9: connection refused", "timeout after 2s (reading response from
  // 10.0.0.1:443)", "TLS: certificate verify failed: ... (10.0.0.1:443)".
  std::string error;
  int status = 0;  // HTTP status; 0 when error is set
  Headers headers;
  std::string body;

  bool ok() const { return error.empty(); }
  const std::string* header(std::string_view name) const { return find_header(headers, name); }
};

using HttpCallback = std::function<void(HttpResult)>;

struct HttpClientOptions {
  TlsClientOptions tls;                           // for every https request of this client
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // response body cap, bytes
  std::size_t max_header_bytes = 64 * 1024;       // response header cap, bytes
  std::chrono::milliseconds idle_timeout{30000};  // an idle pooled connection older than this is
                                                  // closed instead of reused
  std::size_t max_idle_per_host = 4;              // pooled idle connections per scheme+host+port
  std::string user_agent;                         // "" = "luascale/<version>"
};

// One client per TLS configuration; share it between callers that talk to the same servers so
// they share connections. Must be created, used and destroyed on the io_context's thread(s); the
// internal state is serialised on a strand, so a multi-threaded io_context is fine.
class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, HttpClientOptions options = {});
  // In-flight requests end with error "cancelled: client shut down" (their callbacks still run).
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a request. done runs exactly once, on the io_context, never inside this call. It
  // never throws. No retries, with one exception every keep-alive client makes: when a reused
  // idle connection turns out to have been closed by the server before any response byte
  // arrived, an idempotent request (GET, HEAD, OPTIONS, PUT, DELETE) is sent once more on a new
  // connection. If the io_context is stopped and destroyed first, done is destroyed uncalled.
  void request(HttpRequest request, HttpCallback done);

  // "" when options.tls loaded; otherwise the reason, which every https request then reports.
  const std::string& tls_error() const;

  // Pool statistics: TCP connections opened so far, and idle ones now pooled.
  std::uint64_t connections_opened() const;
  std::size_t idle_connections() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs one request on a private io_context and waits for it. Never throws.
HttpResult http_request_sync(HttpRequest request, const HttpClientOptions& options = {});

// "2s", "1.5s", "250ms" — how error strings spell a timeout.
std::string format_timeout(std::chrono::milliseconds timeout);

}  // namespace luascale::net
