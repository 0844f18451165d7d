// engine/server/http_server.hpp — the small HTTP/1.1 server behind /metrics, /healthz, /readyz
// and /decisions (Beast). Bounded: header size, body size, connection count and the time a
// request may take to arrive. Bearer-token auth for every path except /healthz and /readyz when
// a token is set. Probes stay answered when clients hold every connection: a connection that
// arrives at the limit takes the place of the one that has waited longest for its request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace boost::asio {
class io_context;
}

namespace luascale {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpServerOptions {
  std::string listen = "127.0.0.1:9464";  // host:port; port 0 picks a free one
  std::string token;                      // "" = no auth
  std::size_t max_connections = 256;
  std::size_t max_header_bytes = 16 * 1024;
  double idle_timeout_seconds = 30;    // a kept-alive connection waiting for its next request
  double header_timeout_seconds = 10;  // a request head, from its first byte to its last
};

// handler(method, target) -> response. Runs on the io_context.
using HttpHandler =
    std::function<HttpResponse(const std::string& method, const std::string& target)>;

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, HttpServerOptions opts, HttpHandler handler);
  ~HttpServer();
  // Binds and starts accepting. False + *error (e.g. "listen 127.0.0.1:9464: address in use").
  bool start(std::string* error);
  void stop();
  std::uint16_t port() const;
  std::string address() const;  // host:port actually bound

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace luascale
