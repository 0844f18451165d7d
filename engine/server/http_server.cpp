// engine/server/http_server.cpp — Beast HTTP/1.1 server for the operational endpoints.
#include "engine/server/http_server.hpp"

#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <openssl/crypto.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace luascale {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

bool parse_listen(const std::string& s, std::string& host, std::uint16_t& port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  try {
    unsigned long p = std::stoul(s.substr(colon + 1));
    if (p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
  } catch (...) {
    return false;
  }
  return true;
}

bool token_ok(const std::string& expected, const beast::string_view header) {
  const std::string prefix = "Bearer ";
  if (header.size() != prefix.size() + expected.size()) return false;
  if (header.substr(0, prefix.size()) != prefix) return false;
  return CRYPTO_memcmp(header.data() + prefix.size(), expected.data(), expected.size()) == 0;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  struct Session;

  asio::io_context& io;
  HttpServerOptions opts;
  HttpHandler handler;
  tcp::acceptor acceptor;
  // Sessions run on whichever thread runs the io_context (`run --threads N`), each on a strand of
  // its own: shared counters are atomic, the session list has its mutex.
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> stopped{false};
  std::mutex sessions_mu;
  std::list<std::weak_ptr<Session>> sessions;

  Impl(asio::io_context& io_, HttpServerOptions o, HttpHandler h)
      : io(io_), opts(std::move(o)), handler(std::move(h)), acceptor(io_) {}

  static std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  struct Session : std::enable_shared_from_this<Session> {
    std::shared_ptr<Impl> server;
    beast::tcp_stream stream;
    beast::flat_buffer buffer{8192};
    std::optional<http::request_parser<http::empty_body>> parser;
    http::response<http::string_body> res;
    // Since when the session waits for a request (steady ns; 0 while it answers one): the one
    // waiting longest gives its place up when the connection limit is reached.
    std::atomic<std::int64_t> waiting_since{0};
    std::atomic<bool> evicted{false};
    std::list<std::weak_ptr<Session>>::iterator listed;  // its entry in server->sessions

    Session(std::shared_ptr<Impl> s, tcp::socket sock)
        : server(std::move(s)), stream(std::move(sock)) {}
    ~Session() {
      {
        std::lock_guard<std::mutex> lock(server->sessions_mu);
        server->sessions.erase(listed);
      }
      --server->connections;
    }

    static std::chrono::milliseconds ms(double seconds) {
      return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    }

    // An idle connection may wait idle_timeout for its next request to start; once it has
    // started, the whole head must arrive within header_timeout (a client trickling its
    // headers cannot hold a connection longer).
    void read() {
      parser.emplace();
      parser->header_limit(static_cast<std::uint32_t>(server->opts.max_header_bytes));
      parser->body_limit(0);
      waiting_since = steady_ns();
      if (buffer.size() > 0) {
        read_head();
        return;
      }
      stream.expires_after(ms(server->opts.idle_timeout_seconds));
      stream.async_read_some(buffer.prepare(4096),
                             [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                               if (ec) {
                                 self->on_read(ec);
                                 return;
                               }
                               self->buffer.commit(n);
                               self->read_head();
                             });
    }

    void read_head() {
      stream.expires_after(ms(server->opts.header_timeout_seconds));
      http::async_read(
          stream, buffer, *parser,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
      if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
          ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
          ec == asio::error::eof || evicted) {
        close();
        return;
      }
      waiting_since = 0;
      if (ec) {  // malformed request, header too large...
        respond_error(ec == http::error::header_limit
                          ? http::status::request_header_fields_too_large
                          : http::status::bad_request,
                      ec.message());
        return;
      }
      const auto& req = parser->get();
      std::string target(req.target());
      std::string path = target.substr(0, target.find('?'));
      res = {};
      res.version(req.version());
      res.keep_alive(req.keep_alive());
      if (req.method() != http::verb::get && req.method() != http::verb::head) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "GET, HEAD");
        res.body() = "method not allowed\n";
      } else if (!server->opts.token.empty() && path != "/healthz" && path != "/readyz" &&
                 !token_ok(server->opts.token, req[http::field::authorization])) {
        res.result(http::status::unauthorized);
        res.set(http::field::www_authenticate, "Bearer");
        res.body() = "unauthorized\n";
      } else {
        HttpResponse r;
        try {
          r = server->handler(std::string(req.method_string()), target);
        } catch (const std::exception& e) {
          r = {500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n"};
        }
        res.result(static_cast<http::status>(r.status));
        res.set(http::field::content_type, r.content_type);
        res.body() = std::move(r.body);
        if (req.method() == http::verb::head) {
          res.content_length(res.body().size());
          res.body().clear();
        }
      }
      res.set(http::field::server, "luascale");
      if (req.method() != http::verb::head) res.prepare_payload();
      write();
    }

    void respond_error(http::status st, const std::string& msg) {
      res = {};
      res.version(11);
      res.result(st);
      res.keep_alive(false);
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = msg + "\n";
      res.prepare_payload();
      write();
    }

    void write() {
      stream.expires_after(ms(server->opts.idle_timeout_seconds));
      http::async_write(stream, res,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec || !self->res.keep_alive() || self->server->stopped) {
                            self->close();
                            return;
                          }
                          self->read();
                        });
    }

    void close() {
      waiting_since = 0;
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream.close();
    }
  };

  // At the connection limit: closes the session that has waited longest for a request, so the
  // newcomer (a probe) gets its place. False when none is waiting (all are answering).
  bool evict_longest_waiting() {
    // The sessions are held until the lock is released: one whose last owner is this function
    // must not run its destructor (which takes the lock) inside it.
    std::vector<std::shared_ptr<Session>> held;
    Session* victim = nullptr;
    std::int64_t oldest = 0;
    {
      std::lock_guard<std::mutex> lock(sessions_mu);
      held.reserve(sessions.size());
      for (auto& weak : sessions) {
        auto s = weak.lock();  // null: being destroyed (it leaves the list itself)
        if (!s) continue;
        const std::int64_t since = s->waiting_since;
        if (since != 0 && !s->evicted && (!victim || since < oldest)) {
          victim = s.get();
          oldest = since;
        }
        held.push_back(std::move(s));
      }
    }
    if (!victim) return false;
    victim->evicted = true;
    asio::post(victim->stream.get_executor(), [v = victim->shared_from_this()] { v->close(); });
    return true;
  }

  void accept() {
    acceptor.async_accept(
        asio::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket sock) {
          if (self->stopped || ec == asio::error::operation_aborted) return;
          if (!ec) {
            if (self->connections >= self->opts.max_connections && !self->evict_longest_waiting()) {
              beast::error_code ignored;
              sock.close(ignored);  // every connection is busy answering: refuse, not queue
            } else {
              ++self->connections;
              auto session = std::make_shared<Session>(self, std::move(sock));
              {
                std::lock_guard<std::mutex> lock(self->sessions_mu);
                session->listed = self->sessions.insert(self->sessions.end(), session);
              }
              asio::dispatch(session->stream.get_executor(), [session] { session->read(); });
            }
          }
          self->accept();
        });
  }
};

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions opts, HttpHandler handler)
    : impl_(std::make_shared<Impl>(io, std::move(opts), std::move(handler))) {}

HttpServer::~HttpServer() {
  stop();
}

bool HttpServer::start(std::string* error) {
  std::string host;
  std::uint16_t port = 0;
  if (!parse_listen(impl_->opts.listen, host, port)) {
    if (error) *error = "listen '" + impl_->opts.listen + "': expected host:port";
    return false;
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    if (error) *error = "listen '" + impl_->opts.listen + "': not an IP address";
    return false;
  }
  tcp::endpoint ep(addr, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    if (error) *error = "listen " + impl_->opts.listen + ": " + ec.message();
    return false;
  }
  impl_->accept();
  return true;
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

std::string HttpServer::address() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  if (ec) return "";
  std::string h = ep.address().to_string();
  if (ep.address().is_v6()) h = "[" + h + "]";
  return h + ":" + std::to_string(ep.port());
}

}  // namespace luascale
