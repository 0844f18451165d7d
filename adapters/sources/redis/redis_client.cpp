// adapters/sources/redis/redis_client.cpp — the pipelined Redis connection: connect (TCP, TLS),
// handshake (AUTH, SELECT), write queue, reply FIFO, per-command deadlines, backoff.
//
// States:   Disconnected --command--> Connecting --handshake ok--> Ready
//                ^   (fails fast while backing off)      |              |
//                +------- error / timeout / peer close <--+--------------+
// Replies arrive in command order, so in-flight commands sit in one FIFO. A command that times out
// means the server or the network stalled: the connection is dropped, every queued command fails,
// and the next attempt waits for the backoff delay. A malformed reply fails only the command it
// answers: the connection is dropped (the stream cannot be trusted past it) and the others are
// sent again at once on a new one.
#include "adapters/sources/redis/redis_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <utility>

#include "adapters/net/ascii_text.hpp"
#include "adapters/net/url.hpp"

namespace luascale::redis {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string describe_error(const boost::system::error_code& ec) {
  if (ec == asio::error::eof) return "connection closed by the server";
  return net::lower_first(ec.message());
}

// "2s", "1.5s", "250ms".
std::string format_ms(std::chrono::milliseconds ms) {
  auto n = ms.count();
  if (n < 1000) return std::to_string(n) + "ms";
  std::string s = std::to_string(n / 1000);
  if (n % 1000) {
    std::string frac = std::to_string(1000 + n % 1000).substr(1);
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    s += "." + frac;
  }
  return s + "s";
}

bool is_peer_close(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

std::string Endpoint::host_port() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Endpoint::identity() const {
  std::string id = (tls ? "rediss://" : "redis://") + host_port() + "/" + std::to_string(db);
  for (const std::string* s :
       {&username, &password, &tls_options.ca_file, &tls_options.ca_pem,
        &tls_options.client_cert_file, &tls_options.client_cert_pem, &tls_options.client_key_file,
        &tls_options.client_key_pem, &tls_options.server_name}) {
    id += '\0';
    id += *s;
  }
  id += tls_options.insecure_skip_verify ? "\1" : "\0";
  return id;
}

std::optional<Endpoint> parse_redis_url(std::string_view text, std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  std::string url_error;
  auto url = net::parse_url(text, &url_error);
  if (!url) {
    *error = "invalid redis URL: " + url_error;
    return std::nullopt;
  }
  Endpoint ep;
  if (url->scheme == "rediss") {
    ep.tls = true;
  } else if (url->scheme != "redis") {
    *error = "invalid redis URL " + url->to_string() + ": scheme must be redis:// or rediss://";
    return std::nullopt;
  }
  if (url->host.empty()) {
    *error = "invalid redis URL " + url->to_string() + ": no host";
    return std::nullopt;
  }
  ep.host = url->host;
  ep.port = url->port ? url->port : 6379;
  if (!url->userinfo.empty()) {
    auto colon = url->userinfo.find(':');
    std::string_view user = std::string_view(url->userinfo).substr(0, colon);
    std::string_view pass = colon == std::string::npos
                                ? std::string_view()
                                : std::string_view(url->userinfo).substr(colon + 1);
    auto u = net::percent_decode(user);
    auto p = net::percent_decode(pass);
    if (!u || !p) {
      *error = "invalid redis URL " + url->to_string() + ": malformed escape in the credentials";
      return std::nullopt;
    }
    ep.username = *u;
    ep.password = *p;
  }
  std::string_view path = url->path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty()) {
    std::int64_t db = 0;
    for (char c : path) {
      if (c < '0' || c > '9' || db > 1000000) {
        *error = "invalid redis URL " + url->to_string() + ": the path must be a database number";
        return std::nullopt;
      }
      db = db * 10 + (c - '0');
    }
    ep.db = db;
  }
  return ep;
}

// One command on its way: encoded bytes, deadline, and the callback (empty once finished).
struct Request {
  enum class Kind : std::uint8_t { User, Auth, Select };
  Request(const asio::strand<asio::io_context::executor_type>& strand) : timer(strand) {}
  Kind kind = Kind::User;
  std::string name;     // command name, for messages
  std::string encoded;  // RESP bytes
  std::chrono::milliseconds timeout{0};
  asio::steady_timer timer;
  std::function<void(Reply)> done;
  int attempts = 0;
  bool finished = false;
};
using RequestPtr = std::shared_ptr<Request>;

struct Connection::Impl : std::enable_shared_from_this<Impl> {
  enum class State : std::uint8_t { Disconnected, Connecting, Ready };
  // Fatal: the server or the network failed (every queued command fails, backoff); PeerClosed:
  // see fail_connection; Desync: one reply was malformed (only its command failed already).
  enum class Failure : std::uint8_t { Fatal, PeerClosed, Desync };

  Impl(asio::io_context& io, Endpoint ep, ConnectionOptions opts)
      : strand(asio::make_strand(io)),
        endpoint(std::move(ep)),
        options(opts),
        resolver(strand),
        rng(std::random_device{}()) {
    if (endpoint.tls) tls_ctx = net::make_client_context(endpoint.tls_options, &tls_error);
  }

  asio::strand<asio::io_context::executor_type> strand;
  Endpoint endpoint;
  ConnectionOptions options;
  tcp::resolver resolver;
  std::shared_ptr<asio::ssl::context> tls_ctx;
  std::string tls_error;
  std::unique_ptr<tcp::socket> plain;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> secure;

  State state = State::Disconnected;
  std::uint64_t epoch = 0;         // bumped on every (dis)connect; stale handlers compare and leave
  std::string phase;               // what Connecting is doing, for timeout messages
  std::deque<RequestPtr> waiting;  // not yet written
  std::deque<RequestPtr> inflight;  // written, replies pending, in order
  std::size_t handshake_pending = 0;
  std::string out;          // bytes queued for the next write
  std::string writing_buf;  // bytes of the write in progress
  bool writing = false;
  bool reading = false;
  std::string in;
  char read_buf[16 * 1024];
  bool reused = false;  // this connection has delivered a user reply already

  int failures = 0;  // consecutive failed attempts
  Clock::time_point retry_at{};
  std::string last_error;
  std::uint64_t connect_count = 0;
  std::minstd_rand rng;

  tcp::socket& lowest() { return secure ? secure->next_layer() : *plain; }

  void submit(RequestPtr req) {
    auto self = shared_from_this();
    req->timer.expires_after(req->timeout);
    req->timer.async_wait([self, weak = std::weak_ptr<Request>(req)](boost::system::error_code ec) {
      if (ec) return;
      if (auto r = weak.lock()) self->on_timeout(r);
    });
    if (state == State::Disconnected) {
      auto now = Clock::now();
      if (now < retry_at) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(retry_at - now);
        finish(req, endpoint.host_port() + " unavailable: " + last_error + " (next attempt in " +
                        format_ms(left) + ")");
        return;
      }
      waiting.push_back(std::move(req));
      connect();
      return;
    }
    waiting.push_back(std::move(req));
    if (state == State::Ready) flush();
  }

  void finish(const RequestPtr& req, Reply reply) {
    if (req->finished) return;
    req->finished = true;
    req->timer.cancel();
    auto done = std::move(req->done);
    req->done = nullptr;
    if (done) done(std::move(reply));
  }
  void finish(const RequestPtr& req, std::string error) {
    Reply r;
    r.error = std::move(error);
    finish(req, std::move(r));
  }

  void on_timeout(const RequestPtr& req) {
    if (req->finished) return;
    std::string where = state == State::Ready ? "waiting for a reply from " + endpoint.host_port()
                                              : phase + " " + endpoint.host_port();
    std::string msg = "timeout after " + format_ms(req->timeout) + " (" + where + ")";
    finish(req, msg);
    if (state != State::Disconnected)
      fail_connection(endpoint.host_port() + " stalled: another command hit " + msg, Failure::Fatal,
                      msg);
  }

  void connect() {
    if (endpoint.tls && !tls_ctx) {
      fail_connection(tls_error, Failure::Fatal, tls_error);
      return;
    }
    state = State::Connecting;
    ++epoch;
    in.clear();
    out.clear();
    reused = false;
    if (endpoint.tls) {
      secure = std::make_unique<asio::ssl::stream<tcp::socket>>(strand, *tls_ctx);
      plain.reset();
    } else {
      plain = std::make_unique<tcp::socket>(strand);
      secure.reset();
    }
    phase = "resolving";
    auto self = shared_from_this();
    resolver.async_resolve(
        endpoint.host, std::to_string(endpoint.port),
        [self, e = epoch](boost::system::error_code ec, tcp::resolver::results_type results) {
          if (e != self->epoch) return;
          if (ec) {
            self->fail_connection(
                "resolve " + self->endpoint.host_port() + ": " + describe_error(ec),
                Failure::Fatal);
            return;
          }
          self->phase = "connecting to";
          asio::async_connect(self->lowest(), results,
                              [self, e](boost::system::error_code ec, const tcp::endpoint&) {
                                if (e != self->epoch) return;
                                self->on_connected(ec);
                              });
        });
  }

  void on_connected(boost::system::error_code ec) {
    if (ec) {
      fail_connection("connect " + endpoint.host_port() + ": " + describe_error(ec),
                      Failure::Fatal);
      return;
    }
    lowest().set_option(tcp::no_delay(true), ec);
    if (!secure) {
      handshake();
      return;
    }
    std::string err =
        net::prepare_client_session(secure->native_handle(), endpoint.tls_options, endpoint.host);
    if (!err.empty()) {
      fail_connection("TLS: " + err, Failure::Fatal);
      return;
    }
    phase = "TLS handshake with";
    auto self = shared_from_this();
    secure->async_handshake(
        asio::ssl::stream_base::client, [self, e = epoch](boost::system::error_code ec) {
          if (e != self->epoch) return;
          if (ec) {
            std::string why = net::describe_verify_failure(self->secure->native_handle());
            if (why.empty()) why = describe_error(ec);
            self->fail_connection("TLS: " + why + " (" + self->endpoint.host_port() + ")",
                                  Failure::Fatal);
            return;
          }
          self->handshake();
        });
  }

  // AUTH and SELECT, pipelined; user commands wait until both succeed.
  void handshake() {
    phase = "authenticating with";
    auto add = [this](Request::Kind kind, std::vector<std::string> args) {
      auto req = std::make_shared<Request>(strand);
      req->kind = kind;
      req->name = args[0];
      req->encoded = encode_command(args);
      out += req->encoded;
      inflight.push_back(std::move(req));
      ++handshake_pending;
    };
    handshake_pending = 0;
    if (!endpoint.password.empty()) {
      if (endpoint.username.empty())
        add(Request::Kind::Auth, {"AUTH", endpoint.password});
      else
        add(Request::Kind::Auth, {"AUTH", endpoint.username, endpoint.password});
    }
    if (endpoint.db != 0) add(Request::Kind::Select, {"SELECT", std::to_string(endpoint.db)});
    if (handshake_pending == 0) {
      on_ready();
      return;
    }
    start_write();
    start_read();
  }

  void on_ready() {
    state = State::Ready;
    failures = 0;
    last_error.clear();
    ++connect_count;
    flush();
  }

  void flush() {
    while (!waiting.empty()) {
      auto req = std::move(waiting.front());
      waiting.pop_front();
      if (req->finished) continue;
      ++req->attempts;
      out += req->encoded;
      inflight.push_back(std::move(req));
    }
    start_write();
    start_read();
  }

  void start_write() {
    if (writing || out.empty()) return;
    writing = true;
    writing_buf.swap(out);
    out.clear();
    auto self = shared_from_this();
    auto on_written = [self, e = epoch](boost::system::error_code ec, std::size_t) {
      if (e != self->epoch) return;
      self->writing = false;
      self->writing_buf.clear();
      if (ec) {
        self->fail_connection("write to " + self->endpoint.host_port() + ": " + describe_error(ec),
                              is_peer_close(ec) ? Failure::PeerClosed : Failure::Fatal);
        return;
      }
      self->start_write();
    };
    if (secure)
      asio::async_write(*secure, asio::buffer(writing_buf), std::move(on_written));
    else
      asio::async_write(*plain, asio::buffer(writing_buf), std::move(on_written));
  }

  void start_read() {
    if (reading || inflight.empty()) return;
    reading = true;
    auto self = shared_from_this();
    auto on_read = [self, e = epoch](boost::system::error_code ec, std::size_t n) {
      if (e != self->epoch) return;
      self->reading = false;
      if (ec) {
        self->fail_connection("read from " + self->endpoint.host_port() + ": " + describe_error(ec),
                              is_peer_close(ec) ? Failure::PeerClosed : Failure::Fatal);
        return;
      }
      self->in.append(self->read_buf, n);
      if (self->consume()) self->start_read();
    };
    if (secure)
      secure->async_read_some(asio::buffer(read_buf), std::move(on_read));
    else
      plain->async_read_some(asio::buffer(read_buf), std::move(on_read));
  }

  // Delivers every complete reply in `in`; false when the connection was dropped meanwhile.
  bool consume() {
    const std::uint64_t e = epoch;
    std::size_t offset = 0;
    while (offset < in.size()) {
      if (inflight.empty()) {
        fail_connection("protocol error from " + endpoint.host_port() + ": unexpected data",
                        Failure::Fatal);
        return false;
      }
      auto parsed = parse_reply(std::string_view(in).substr(offset), options.limits);
      if (parsed.status == RespParse::Status::Incomplete) break;
      if (parsed.status == RespParse::Status::Invalid) {
        const std::string msg = "protocol error from " + endpoint.host_port() + ": " + parsed.error;
        if (inflight.front()->kind != Request::Kind::User) {
          fail_connection(msg, Failure::Fatal);
          return false;
        }
        // The malformed reply is the first in-flight command's: that command fails, with the
        // error naming it. Nothing after it on this connection can be trusted any more, so the
        // connection goes; the other commands are not to blame and go again on a new one.
        auto culprit = std::move(inflight.front());
        inflight.pop_front();
        finish(culprit, msg);
        if (e == epoch) fail_connection(msg, Failure::Desync);
        return false;
      }
      offset += parsed.consumed;
      auto req = std::move(inflight.front());
      inflight.pop_front();
      deliver(req, std::move(parsed.value));
      if (e != epoch) return false;
    }
    in.erase(0, offset);
    return true;
  }

  void deliver(const RequestPtr& req, RespValue value) {
    if (req->kind == Request::Kind::User) {
      reused = true;
      Reply r;
      r.value = std::move(value);
      finish(req, std::move(r));
      return;
    }
    if (value.type == RespValue::Type::Error) {
      std::string msg = req->kind == Request::Kind::Auth
                            ? "AUTH failed: " + value.text
                            : "SELECT " + std::to_string(endpoint.db) + " failed: " + value.text;
      fail_connection(msg + " (" + endpoint.host_port() + ")", Failure::Fatal);
      return;
    }
    if (--handshake_pending == 0) on_ready();
  }

  // Drops the connection. A peer close on a connection that already served replies is the
  // server's idle timeout or a restart: read-only commands go once more on a new connection.
  // Anything else fails every queued command (the one that timed out got `own_error` already)
  // and starts the backoff.
  void fail_connection(const std::string& error, Failure kind, const std::string& cause = "") {
    ++epoch;
    boost::system::error_code ignored;
    resolver.cancel();
    if (plain || secure) lowest().close(ignored);
    state = State::Disconnected;
    writing = reading = false;
    in.clear();
    out.clear();
    handshake_pending = 0;
    std::deque<RequestPtr> pending;
    for (auto& r : inflight)
      if (r->kind == Request::Kind::User) pending.push_back(std::move(r));
    inflight.clear();
    for (auto& r : waiting) pending.push_back(std::move(r));
    waiting.clear();

    if (kind == Failure::Desync) {
      // No backoff and no failure counted: the server answered, and one key's bad value must
      // not make every other key sharing the connection fail (nor keep failing) with it.
      std::deque<RequestPtr> again;
      for (auto& r : pending) {
        if (r->attempts < 2)
          again.push_back(std::move(r));
        else
          finish(r,
                 "connection dropped after a malformed reply to another command (" + error + ")");
      }
      if (!again.empty()) {
        waiting = std::move(again);
        connect();
      }
      return;
    }
    if (kind == Failure::PeerClosed && reused) {
      bool retry_all = true;
      for (auto& r : pending) retry_all = retry_all && r->attempts < 2;
      if (retry_all && !pending.empty()) {
        waiting = std::move(pending);
        connect();
        return;
      }
    }
    ++failures;
    last_error = cause.empty() ? error : cause;
    const auto base = options.backoff_initial.count() << std::min(failures - 1, 20);
    const auto capped = std::min<std::int64_t>(base, options.backoff_max.count());
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    retry_at = Clock::now() + std::chrono::milliseconds(static_cast<std::int64_t>(
                                  static_cast<double>(capped) * jitter(rng)));
    for (auto& r : pending) finish(r, error);
  }
};

namespace {

// Per-io_context registry of shared connections (an Asio service, so it dies with its context).
class ConnectionRegistry : public asio::execution_context::service {
 public:
  using key_type = ConnectionRegistry;
  static asio::execution_context::id id;
  explicit ConnectionRegistry(asio::execution_context& ctx) : service(ctx) {}
  void shutdown() override {
    std::lock_guard lock(mutex);
    connections.clear();
  }
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<Connection::Impl>> connections;
};
asio::execution_context::id ConnectionRegistry::id;

}  // namespace

Connection Connection::shared(asio::io_context& io, const Endpoint& endpoint,
                              const ConnectionOptions& options) {
  auto& registry = asio::use_service<ConnectionRegistry>(io);
  std::lock_guard lock(registry.mutex);
  auto key = endpoint.identity();
  if (auto existing = registry.connections[key].lock()) return Connection(existing);
  // Forget entries whose connections are gone.
  for (auto it = registry.connections.begin(); it != registry.connections.end();)
    it = it->second.expired() ? registry.connections.erase(it) : std::next(it);
  auto impl = std::make_shared<Impl>(io, endpoint, options);
  registry.connections[key] = impl;
  return Connection(impl);
}

Connection::Connection(asio::io_context& io, const Endpoint& endpoint,
                       const ConnectionOptions& options)
    : impl_(std::make_shared<Impl>(io, endpoint, options)) {}

void Connection::command(std::vector<std::string> args, std::chrono::milliseconds timeout,
                         std::function<void(Reply)> done) const {
  auto req = std::make_shared<Request>(impl_->strand);
  req->name = args.empty() ? "" : args[0];
  req->encoded = encode_command(args);
  req->timeout = timeout.count() > 0 ? timeout : std::chrono::milliseconds(1);
  req->done = std::move(done);
  asio::post(impl_->strand, [impl = impl_, req] { impl->submit(req); });
}

std::uint64_t Connection::connects() const {
  return impl_->connect_count;
}
const Endpoint& Connection::endpoint() const {
  return impl_->endpoint;
}

}  // namespace luascale::redis
