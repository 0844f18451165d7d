// adapters/sources/redis/redis_client.hpp — a small asynchronous Redis client on Boost.Asio: one
// pipelined connection per endpoint and io_context (shared by every source that names the same
// server, credentials and database), plain TCP or TLS, AUTH and SELECT on connect, a deadline per
// command, and reconnection with exponential backoff. Only what read-only signal sources need.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/net/tls.hpp"
#include "adapters/sources/redis/resp.hpp"

namespace boost::asio {
class io_context;
}

namespace luascale::redis {

// Where and as whom to connect.
struct Endpoint {
  std::string host;  // name or IP literal (IPv6 without brackets)
  std::uint16_t port = 6379;
  bool tls = false;      // rediss://
  std::string username;  // ACL user; "" = the default user (AUTH with the password only)
  std::string password;  // "" = no AUTH
  std::int64_t db = 0;   // SELECTed after connecting when not 0
  net::TlsClientOptions tls_options;

  // "host:port" (IPv6 in brackets), for messages; never includes credentials.
  std::string host_port() const;
  // Everything that makes two endpoints need different connections.
  std::string identity() const;
};

// Parses "redis://[[user][:password]@]host[:port][/db]" or "rediss://..." (user and password
// percent-decoded, as redis-py and go-redis do). nullopt and *error on malformed input; the error
// never repeats the credentials.
std::optional<Endpoint> parse_redis_url(std::string_view url, std::string* error);

struct Reply {
  // "" when the server replied (value may then be an error reply); otherwise what went wrong:
  // "connect 127.0.0.1:6399: connection refused", "timeout after 2s (waiting for a reply from
  // 127.0.0.1:6379)", "AUTH failed: WRONGPASS ...", "127.0.0.1:6379 unavailable: ... (next
  // attempt in 0.4s)".
  std::string error;
  RespValue value;
};

struct ConnectionOptions {
  // Backoff after a failed connect, handshake or stalled connection: initial, doubling up to max,
  // each delay scaled by a random factor in [0.5, 1]. Commands issued while backing off fail at
  // once with the last error instead of queueing.
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{10000};
  RespLimits limits;
};

// A shared, pipelined connection. Handles are cheap to copy; the connection closes when the last
// handle is gone and no command is in flight. Thread-safe: state lives on a strand, so a
// multi-threaded io_context is fine.
class Connection {
 public:
  // The connection every caller on `io` with the same endpoint identity shares.
  static Connection shared(boost::asio::io_context& io, const Endpoint& endpoint,
                           const ConnectionOptions& options = {});
  // A private connection.
  Connection(boost::asio::io_context& io, const Endpoint& endpoint,
             const ConnectionOptions& options = {});

  // Sends one command (args[0] is the command name). done runs exactly once, on the io_context,
  // never inside this call, and never throws out. timeout (> 0) covers connecting when needed.
  // A read-only command whose reused connection turns out closed by the server before replying
  // is sent once more on a new connection.
  void command(std::vector<std::string> args, std::chrono::milliseconds timeout,
               std::function<void(Reply)> done) const;

  // Successful connections (TCP + TLS + AUTH + SELECT) made so far.
  std::uint64_t connects() const;
  const Endpoint& endpoint() const;

  struct Impl;

 private:
  explicit Connection(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace luascale::redis
