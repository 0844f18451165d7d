// adapters/sources/redis/redis_source.cpp — the "redis" source: options, the command it sends,
// and how each reply becomes a number.
#include "adapters/sources/redis/redis_source.hpp"

#include <cmath>

#include "adapters/common/number_text.hpp"
#include "adapters/common/options.hpp"
#include "adapters/sources/redis/redis_client.hpp"

namespace luascale::redis {

namespace {

enum class Command { Llen, Xlen, Xpending, Zcard, Get };

struct Query {
  Command command = Command::Llen;
  std::string key;
  std::string group;                    // XPENDING
  std::optional<double> missing_value;  // GET of a key that does not exist
};

// A number Value: integers stay integers.
Value number_value(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9e15) return Value(static_cast<std::int64_t>(d));
  return Value(d);
}

SampleOutcome interpret(const Query& q, const std::string& what, const Reply& reply) {
  SampleOutcome out;
  if (!reply.error.empty()) {
    out.error = what + ": " + reply.error;
    return out;
  }
  const RespValue& v = reply.value;
  if (v.type == RespValue::Type::Error) {
    out.error = what + ": " + v.text;
    return out;
  }
  auto unexpected = [&] { out.error = what + ": unexpected reply (" + describe_reply(v) + ")"; };
  Value value;
  switch (q.command) {
    case Command::Llen:
    case Command::Xlen:
    case Command::Zcard:
      if (v.type != RespValue::Type::Integer) return unexpected(), out;
      value = Value(v.integer);
      break;
    case Command::Xpending:
      // Summary form: [count, smallest id, greatest id, [[consumer, count]...]].
      if (v.type != RespValue::Type::Array || v.elements.empty() ||
          v.elements[0].type != RespValue::Type::Integer)
        return unexpected(), out;
      value = Value(v.elements[0].integer);
      break;
    case Command::Get:
      if (v.type == RespValue::Type::Null) {
        if (!q.missing_value) {
          out.error = what + ": key does not exist";
          return out;
        }
        value = number_value(*q.missing_value);
      } else if (v.type == RespValue::Type::BulkString) {
        auto d = adapters::parse_decimal(v.text);
        if (!d) {
          out.error = what + ": value is not a number (" + describe_reply(v) + ")";
          return out;
        }
        value = number_value(*d);
      } else {
        return unexpected(), out;
      }
      break;
  }
  out.sample = Sample{std::move(value), adapters::unix_now()};
  return out;
}

class RedisSource final : public Source {
 public:
  RedisSource(Connection conn, Query query, std::chrono::milliseconds timeout)
      : conn_(std::move(conn)), query_(std::move(query)), timeout_(timeout) {
    switch (query_.command) {
      case Command::Llen:
        args_ = {"LLEN", query_.key};
        break;
      case Command::Xlen:
        args_ = {"XLEN", query_.key};
        break;
      case Command::Xpending:
        args_ = {"XPENDING", query_.key, query_.group};
        break;
      case Command::Zcard:
        args_ = {"ZCARD", query_.key};
        break;
      case Command::Get:
        args_ = {"GET", query_.key};
        break;
    }
    what_ = "redis " + conn_.endpoint().host_port() + " " + args_[0];
    for (std::size_t i = 1; i < args_.size(); ++i) what_ += " " + args_[i];
  }

  void fetch(std::function<void(SampleOutcome)> done) override {
    conn_.command(args_, timeout_,
                  [query = query_, what = what_, done = std::move(done)](Reply reply) {
                    done(interpret(query, what, reply));
                  });
  }

 private:
  Connection conn_;
  Query query_;
  std::chrono::milliseconds timeout_;
  std::vector<std::string> args_;
  std::string what_;
};

std::unique_ptr<Source> make_redis_source(AdapterContext& ctx, const SignalSpec& spec) {
  adapters::Options opt(spec.options, "redis", ctx.config_dir);
  const std::string url = *opt.string("url", true);
  std::string error;
  auto endpoint = parse_redis_url(url, &error);
  if (!endpoint) opt.fail("url", error);
  if (auto user = opt.string("username")) endpoint->username = *user;
  if (auto pass = opt.secret("password", "password_file")) endpoint->password = *pass;
  if (!endpoint->username.empty() && endpoint->password.empty())
    opt.fail("username", "a username needs a password");
  if (auto db = opt.integer("db")) {
    if (*db < 0) opt.fail("db", "must be a non-negative integer");
    endpoint->db = *db;
  }
  endpoint->tls_options = opt.tls();
  bool has_tls_keys = false;
  for (const auto& k : adapters::Options::tls_keys())
    has_tls_keys = has_tls_keys || spec.options.find(k.key);
  if (has_tls_keys && !endpoint->tls) opt.fail("url", "TLS options need a rediss:// URL");
  if (endpoint->tls) {
    auto tls_error = net::check_client_tls(endpoint->tls_options);
    if (!tls_error.empty()) opt.fail("ca_file", tls_error);
  }

  Query q;
  const std::string command = *opt.string("command", true);
  if (command == "llen" || command == "LLEN")
    q.command = Command::Llen;
  else if (command == "xlen" || command == "XLEN")
    q.command = Command::Xlen;
  else if (command == "xpending" || command == "XPENDING")
    q.command = Command::Xpending;
  else if (command == "zcard" || command == "ZCARD")
    q.command = Command::Zcard;
  else if (command == "get" || command == "GET")
    q.command = Command::Get;
  else
    opt.fail("command", "'" + command + "' is not one of llen, xlen, xpending, zcard, get");
  q.key = *opt.string("key", true);
  if (auto g = opt.string("group")) {
    if (q.command != Command::Xpending) opt.fail("group", "only used with command xpending");
    q.group = *g;
  }
  if (q.command == Command::Xpending && q.group.empty())
    opt.fail("group", "required with command xpending");
  q.missing_value = opt.number("missing");
  if (q.missing_value && q.command != Command::Get)
    opt.fail("missing", "only used with command get");

  auto timeout = std::chrono::milliseconds(
      std::max<std::int64_t>(1, static_cast<std::int64_t>(spec.timeout_seconds * 1000)));
  return std::make_unique<RedisSource>(Connection::shared(ctx.io, *endpoint), std::move(q),
                                       timeout);
}

}  // namespace

SourceFactory redis_source_factory() {
  return {"redis",
          adapters::concat_keys(
              {
                  {"url", "string", true,
                   "redis://[[user]:password@]host[:port][/db] or rediss:// for TLS"},
                  {"command", "string", true, "llen, xlen, xpending, zcard or get"},
                  {"key", "string", true, "the list, stream, sorted set or string key"},
                  {"group", "string", false, "consumer group (xpending: its pending count)"},
                  {"missing", "number", false, "value when a get key does not exist (else error)"},
                  {"username", "string", false, "ACL user (overrides the URL)"},
                  {"password", "string", false, "password (overrides the URL)"},
                  {"password_file", "string", false, "file holding the password"},
                  {"db", "number", false, "database index (overrides the URL path)"},
              },
              adapters::Options::tls_keys()),
          &make_redis_source};
}

}  // namespace luascale::redis
