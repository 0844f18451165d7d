// tests/unit/unit-source-redis.cpp — the "redis" source against a real redis-server on a free
// loopback port: every command, AUTH (password and ACL user), SELECT, TLS, and the failures an
// operator meets (refused, stalled, wrong password, wrong type, server restart, garbage).
#include <doctest/doctest.h>

#include "adapter_helpers.hpp"
#include "adapters/common/options.hpp"
#include "adapters/sources/redis/redis_client.hpp"
#include "adapters/sources/redis/resp.hpp"
#include "servers.hpp"
#include "test_pki.hpp"

using namespace luascale;
using namespace luascale::test;

namespace {

std::string source_json(const std::string& url, const std::string& command, const std::string& key,
                        const std::string& extra = "") {
  return R"({"source": "redis", "url": ")" + url + R"(", "command": ")" + command +
         R"(", "key": ")" + key + "\"" + extra + "}";
}

struct Fixture {
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  std::string value(const std::string& json, double timeout = 5) {
    auto src = make_source(ctx, json, timeout);
    return fetch_text(io, *src);
  }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("redis source: llen, xlen, xpending, zcard and get read real data") {
  RedisServer redis;
  Fixture f;
  redis.cli("RPUSH celery a b c");
  redis.cli("XADD jobs '*' n 1");
  redis.cli("XADD jobs '*' n 2");
  redis.cli("XADD jobs '*' n 3");
  redis.cli("XGROUP CREATE jobs workers 0");
  redis.cli("XREADGROUP GROUP workers w1 COUNT 2 STREAMS jobs '>'");
  redis.cli("ZADD delayed 1 x 2 y");
  redis.cli("SET inflight 17");
  redis.cli("SET ratio 0.25");

  CHECK(f.value(source_json(redis.url(), "llen", "celery")) == "3");
  CHECK(f.value(source_json(redis.url(), "LLEN", "absent")) == "0");
  CHECK(f.value(source_json(redis.url(), "xlen", "jobs")) == "3");
  CHECK(f.value(source_json(redis.url(), "xpending", "jobs", R"(, "group": "workers")")) == "2");
  CHECK(f.value(source_json(redis.url(), "zcard", "delayed")) == "2");
  CHECK(f.value(source_json(redis.url(), "get", "inflight")) == "17");
  CHECK(f.value(source_json(redis.url(), "get", "ratio")) == "0.25");

  // The value changes between fetches on the same source.
  auto src = make_source(f.ctx, source_json(redis.url(), "llen", "celery"));
  CHECK(fetch_text(f.io, *src) == "3");
  redis.cli("LPOP celery");
  CHECK(fetch_text(f.io, *src) == "2");
  auto out = fetch(f.io, *src);
  REQUIRE(out.sample);
  CHECK(out.sample->timestamp > 1.7e9);
}

TEST_CASE("redis source: wrong type, missing key, non-numeric value, unknown group") {
  RedisServer redis;
  Fixture f;
  redis.cli("SET word hello");
  redis.cli("RPUSH list a");
  redis.cli("XADD jobs '*' n 1");
  auto wrong = f.value(source_json(redis.url(), "llen", "word"));
  CHECK(
      contains(wrong, "ERROR: redis 127.0.0.1:" + std::to_string(redis.port()) +
                          " LLEN word: WRONGTYPE Operation against a key holding the wrong kind"));
  CHECK(contains(f.value(source_json(redis.url(), "get", "list")), "WRONGTYPE"));
  CHECK(contains(f.value(source_json(redis.url(), "get", "nothing")),
                 "GET nothing: key does not exist"));
  CHECK(f.value(source_json(redis.url(), "get", "nothing", R"(, "missing": 0)")) == "0");
  CHECK(contains(f.value(source_json(redis.url(), "get", "word")),
                 "GET word: value is not a number (string \"hello\")"));
  CHECK(contains(f.value(source_json(redis.url(), "xpending", "jobs", R"(, "group": "nobody")")),
                 "NOGROUP"));
}

TEST_CASE("redis source: AUTH with a password and with an ACL user") {
  RedisServer redis({"--requirepass", "s3cret"});
  Fixture f;
  redis.cli("RPUSH q a b", "s3cret");
  redis.cli("ACL SETUSER scaler on '>pw 1' '~q' +llen", "s3cret");

  CHECK(f.value(source_json(redis.url(":s3cret"), "llen", "q")) == "2");
  CHECK(f.value(source_json(redis.url(), "llen", "q", R"(, "password": "s3cret")")) == "2");
  CHECK(f.value(source_json(redis.url("scaler:pw%201"), "llen", "q")) == "2");

  TempDir tmp;
  auto pw = tmp.write("redis-password", "s3cret\n");
  CHECK(f.value(source_json(redis.url(), "llen", "q",
                            R"(, "password_file": ")" + pw.string() + "\"")) == "2");

  auto no_auth = f.value(source_json(redis.url(), "llen", "q"));
  CHECK(contains(no_auth, "NOAUTH"));
  auto wrong = f.value(source_json(redis.url(":nope"), "llen", "q"));
  CHECK(contains(wrong, "AUTH failed: WRONGPASS"));
  CHECK(!contains(wrong, "nope"));  // the password never shows up in errors
  // The ACL user may only LLEN q.
  CHECK(contains(f.value(source_json(redis.url("scaler:pw%201"), "zcard", "q")), "NOPERM"));
}

TEST_CASE("redis source: SELECT a database from the URL or the db key") {
  RedisServer redis;
  Fixture f;
  redis.cli("-n 3 RPUSH q a b c d");
  CHECK(f.value(source_json(redis.url("", 3), "llen", "q")) == "4");
  CHECK(f.value(source_json(redis.url(), "llen", "q", R"(, "db": 3)")) == "4");
  CHECK(f.value(source_json(redis.url("", 0), "llen", "q")) == "0");
  CHECK(contains(f.value(source_json(redis.url("", 999), "llen", "q")),
                 "SELECT 999 failed: ERR DB index is out of range"));
}

TEST_CASE("redis source: connection refused, then fail-fast backoff") {
  Fixture f;
  auto port = free_port();
  auto url = "redis://127.0.0.1:" + std::to_string(port);
  auto src = make_source(f.ctx, source_json(url, "llen", "q"));
  auto first = fetch_text(f.io, *src);
  CHECK(first == "ERROR: redis 127.0.0.1:" + std::to_string(port) +
                     " LLEN q: connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
  auto second = fetch_text(f.io, *src);
  CHECK(contains(second, "127.0.0.1:" + std::to_string(port) + " unavailable: connect 127.0.0.1:" +
                             std::to_string(port) + ": connection refused (next attempt in "));
}

TEST_CASE("redis source: a server that accepts and never answers times out") {
  Fixture f;
  RawTcpServer silent([](int) {}, /*accept_connections=*/false);
  auto url = "redis://127.0.0.1:" + std::to_string(silent.port());
  auto src = make_source(f.ctx, source_json(url, "llen", "q"), 0.3);
  auto t0 = std::chrono::steady_clock::now();
  auto text = fetch_text(f.io, *src);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(text == "ERROR: redis 127.0.0.1:" + std::to_string(silent.port()) +
                    " LLEN q: timeout after 300ms (waiting for a reply from 127.0.0.1:" +
                    std::to_string(silent.port()) + ")");
  CHECK(elapsed >= std::chrono::milliseconds(300));
}

TEST_CASE("redis source: a peer that sends garbage is a protocol error") {
  Fixture f;
  RawTcpServer garbage([](int fd) {
    char buf[256];
    (void)::read(fd, buf, sizeof buf);
    const char reply[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    (void)::write(fd, reply, sizeof reply - 1);
  });
  auto url = "redis://127.0.0.1:" + std::to_string(garbage.port());
  auto text = f.value(source_json(url, "llen", "q"));
  CHECK(contains(text, "protocol error from 127.0.0.1:" + std::to_string(garbage.port()) +
                           ": byte 0: unknown reply type 'H'"));
}

TEST_CASE("redis source: one key's malformed reply fails only that key on a shared connection") {
  // A RESP peer answering LLEN per key: "bad" gets a malformed integer (":1.5"), "good" 7.
  std::atomic<int> connections{0};
  RawTcpServer peer([&](int fd) {
    ++connections;
    std::string in;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return;
      in.append(buf, static_cast<std::size_t>(n));
      // Whole commands: *2\r\n$4\r\nLLEN\r\n$<n>\r\n<key>\r\n
      for (;;) {
        auto parsed = redis::parse_reply(in);
        if (parsed.status != redis::RespParse::Status::Complete) break;
        in.erase(0, parsed.consumed);
        const std::string key = parsed.value.elements.at(1).text;
        const std::string reply = key == "bad" ? ":1.5\r\n" : ":7\r\n";
        if (::write(fd, reply.data(), reply.size()) < 0) return;
      }
    }
  });
  Fixture f;
  const std::string url = "redis://127.0.0.1:" + std::to_string(peer.port());
  auto good = make_source(f.ctx, source_json(url, "llen", "good"));
  auto bad = make_source(f.ctx, source_json(url, "llen", "bad"));
  int good_ok = 0, bad_errors = 0, rounds = 0;
  std::string bad_text, good_text;
  for (; rounds < 20; ++rounds) {
    // Both in flight at once on the one connection, the bad one first.
    std::optional<SampleOutcome> b, g;
    bad->fetch([&](SampleOutcome o) { b = std::move(o); });
    good->fetch([&](SampleOutcome o) { g = std::move(o); });
    run_until(f.io, [&] { return b && g; });
    REQUIRE((b && g));
    if (g->sample && g->sample->value.as_int() == 7) ++good_ok;
    good_text = g->sample ? "7" : g->error;
    if (!b->error.empty()) ++bad_errors;
    bad_text = b->error;
  }
  INFO("good: ", good_text, "; bad: ", bad_text);
  CHECK(good_ok == rounds);  // never starved, never blamed
  CHECK(bad_errors == rounds);
  CHECK(bad_text == "redis 127.0.0.1:" + std::to_string(peer.port()) +
                        " LLEN bad: protocol error from 127.0.0.1:" + std::to_string(peer.port()) +
                        ": byte 1: bad integer \"1.5\"");
  CHECK(connections.load() <= rounds + 1);  // one new connection per malformed reply at most
}

TEST_CASE("redis source: a GET value is read in decimal notation only") {
  RedisServer redis;
  Fixture f;
  redis.cli("SET hex 0x10");
  redis.cli("SET inf inf");
  redis.cli("SET exp 2.5e1");
  CHECK(contains(f.value(source_json(redis.url(), "get", "hex")), "value is not a number"));
  CHECK(contains(f.value(source_json(redis.url(), "get", "inf")), "value is not a number"));
  CHECK(f.value(source_json(redis.url(), "get", "exp")) == "25");
}

TEST_CASE("redis source: reconnects after a server restart and after an idle kill") {
  auto redis = std::make_unique<RedisServer>();
  const auto port = redis->port();
  Fixture f;
  redis->cli("RPUSH q a");
  auto src = make_source(f.ctx, source_json(redis->url(), "llen", "q"));
  CHECK(fetch_text(f.io, *src) == "1");

  // The server drops its clients (as an idle timeout does): the next fetch transparently
  // reconnects once.
  redis->cli("CLIENT KILL TYPE normal");
  CHECK(fetch_text(f.io, *src) == "1");

  redis.reset();  // server gone
  CHECK(contains(fetch_text(f.io, *src), "ERROR: "));
  redis = std::make_unique<RedisServer>(std::vector<std::string>{}, port);
  redis->cli("RPUSH q a b");
  std::string last;
  CHECK(wait_until([&] {
    last = fetch_text(f.io, *src);
    return last == "2";
  }));
  INFO("last: ", last);
}

TEST_CASE("redis client: sources naming the same endpoint share one connection") {
  RedisServer redis;
  boost::asio::io_context io;
  redis::Endpoint ep = *redis::parse_redis_url(redis.url(), nullptr);
  auto a = redis::Connection::shared(io, ep);
  auto b = redis::Connection::shared(io, ep);
  int replies = 0;
  for (int i = 0; i < 50; ++i) {
    (i % 2 ? a : b).command({"PING"}, std::chrono::seconds(5), [&](redis::Reply r) {
      CHECK(r.error == "");
      CHECK(r.value == redis::RespValue::simple("PONG"));
      ++replies;
    });
  }
  run_until(io, [&] { return replies == 50; });
  CHECK(a.connects() == 1);
  CHECK(b.connects() == 1);
  CHECK(redis.cli("CLIENT LIST TYPE normal").find("cmd=ping") != std::string::npos);
}

TEST_CASE("redis url parsing") {
  std::string err;
  auto ep = redis::parse_redis_url("rediss://user:p%40ss@cache.example:6380/2", &err);
  REQUIRE(ep);
  CHECK(ep->tls);
  CHECK(ep->host == "cache.example");
  CHECK(ep->port == 6380);
  CHECK(ep->username == "user");
  CHECK(ep->password == "p@ss");
  CHECK(ep->db == 2);
  ep = redis::parse_redis_url("redis://[::1]", &err);
  REQUIRE(ep);
  CHECK(ep->port == 6379);
  CHECK(ep->host_port() == "[::1]:6379");
  CHECK(!redis::parse_redis_url("http://x", &err));
  CHECK(err == "invalid redis URL http://x/: scheme must be redis:// or rediss://");
  CHECK(!redis::parse_redis_url("redis://:secret@x/abc", &err));
  CHECK(!contains(err, "secret"));
}

TEST_CASE("redis source: option errors name the key") {
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto error_of = [&](const std::string& json) {
    try {
      make_source(ctx, json);
    } catch (const adapters::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error_of(R"({"source":"redis","url":"redis://x","command":"hlen","key":"k"})") ==
        "redis: key 'command': 'hlen' is not one of llen, xlen, xpending, zcard, get");
  CHECK(error_of(R"({"source":"redis","url":"redis://x","command":"xpending","key":"k"})") ==
        "redis: key 'group': required with command xpending");
  CHECK(error_of(R"({"source":"redis","command":"llen","key":"k"})") ==
        "redis: key 'url': required");
  CHECK(error_of(R"({"source":"redis","url":"redis://x","command":"llen","key":"k","db":-1})") ==
        "redis: key 'db': must be a non-negative integer");
  CHECK(error_of(
            R"({"source":"redis","url":"redis://x","command":"llen","key":"k","ca_file":"a"})") ==
        "redis: key 'url': TLS options need a rediss:// URL");
}

TEST_CASE("redis source: rediss:// with a private CA") {
  TempDir certs;
  auto pki = make_test_pki(certs.path());
  RedisServer redis({"--tls-port", "--tls-cert-file", pki.server_cert.string(), "--tls-key-file",
                     pki.server_key.string(), "--tls-ca-cert-file", pki.ca_cert.string(),
                     "--tls-auth-clients", "no"});
  Fixture f;
  auto url = "rediss://127.0.0.1:" + std::to_string(redis.port());
  CHECK(f.value(source_json(url, "llen", "q", R"(, "ca_file": ")" + pki.ca_cert.string() + "\"")) ==
        "0");
  // Without the CA the server is not trusted.
  auto untrusted = f.value(source_json(url, "llen", "q"));
  CHECK(contains(untrusted, "TLS: certificate verify failed"));
  // Mutual TLS: a server that requires client certificates.
  RedisServer mtls({"--tls-port", "--tls-cert-file", pki.server_cert.string(), "--tls-key-file",
                    pki.server_key.string(), "--tls-ca-cert-file", pki.ca_cert.string(),
                    "--tls-auth-clients", "yes"});
  auto mtls_url = "rediss://127.0.0.1:" + std::to_string(mtls.port());
  auto ca = R"(, "ca_file": )" + to_json(Value(pki.ca_cert.string()));
  CHECK(f.value(source_json(mtls_url, "llen", "q",
                            ca + R"(, "cert_file": )" + to_json(Value(pki.client_cert.string())) +
                                R"(, "key_file": )" + to_json(Value(pki.client_key.string())))) ==
        "0");
  auto no_cert = f.value(source_json(mtls_url, "llen", "q", ca));
  // TLS 1.3 rejects after the client's handshake: depending on timing the client reads the
  // "certificate required" alert or sees the connection reset.
  CHECK(no_cert.rfind("ERROR: redis 127.0.0.1:" + std::to_string(mtls.port()) + " LLEN q: ", 0) ==
        0);
  // A plain client against the TLS port does not get a RESP reply.
  CHECK(contains(
      f.value(source_json("redis://127.0.0.1:" + std::to_string(redis.port()), "llen", "q")),
      "ERROR: "));
}
