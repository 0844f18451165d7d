// tests/unit/unit-net.cpp — the HTTP client against a scriptable loopback server: keep-alive reuse,
// deadlines, refused connections, body caps, chunked bodies, HTTPS with a test CA (and every way
// verification should fail), mutual TLS, cancellation; plus URL helpers.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <utility>

#include "adapters/net/http_client.hpp"
#include "adapters/net/url.hpp"
#include "fixtures.hpp"
#include "loopback_server.hpp"
#include "test_pki.hpp"

using namespace luascale;
using namespace luascale::net;
using luascale::test::http_response;
using luascale::test::LoopbackServer;
using luascale::test::RawRequest;
using luascale::test::ScriptedReply;

namespace {

// Runs one request on io with client and waits for its callback.
HttpResult run_request(boost::asio::io_context& io, HttpClient& client, HttpRequest req) {
  HttpResult out;
  bool done = false;
  client.request(std::move(req), [&](HttpResult r) {
    out = std::move(r);
    done = true;
  });
  io.restart();
  while (!done && io.run_one() > 0) {
  }
  REQUIRE(done);
  return out;
}

HttpRequest get(const std::string& url) {
  HttpRequest r;
  r.url = url;
  r.timeout = std::chrono::milliseconds(5000);
  return r;
}

// A loopback port with nothing listening (bound, then closed).
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

ScriptedReply echo(const RawRequest& req) {
  return {http_response(200, req.method + " " + req.target + " " + req.body), false, false};
}

}  // namespace

TEST_CASE("url: percent_decode accepts complete escapes and rejects truncated ones") {
  CHECK(percent_decode("a%20b") == std::optional<std::string>("a b"));
  CHECK(percent_decode("%41") == std::optional<std::string>("A"));
  CHECK(percent_decode("a+b", true) == std::optional<std::string>("a b"));
  CHECK(percent_decode("a+b") == std::optional<std::string>("a+b"));
  CHECK_FALSE(percent_decode("%").has_value());
  CHECK_FALSE(percent_decode("%4").has_value());
  CHECK_FALSE(percent_decode("ab%4").has_value());
  CHECK_FALSE(percent_decode("%zz").has_value());
  CHECK(percent_decode("") == std::optional<std::string>(""));
}

TEST_CASE("url: secrets stay out of every printed URL, and in the request") {
  auto url = parse_url(
      "https://user:pw@Host.example:8443/api?queue=jobs&token=t0k&API_KEY=k&X-Amz-Signature=abc"
      "&sig=1&access%5Ftoken=a&password=&plain=token#frag");
  REQUIRE(url);
  CHECK(url->to_string() ==
        "https://host.example:8443/api?queue=jobs&token=<redacted>&API_KEY=<redacted>"
        "&X-Amz-Signature=<redacted>&sig=<redacted>&access%5Ftoken=<redacted>&password=<redacted>"
        "&plain=token");
  CHECK(url->to_request_string() ==
        "https://host.example:8443/api?queue=jobs&token=t0k&API_KEY=k&X-Amz-Signature=abc&sig=1"
        "&access%5Ftoken=a&password=&plain=token");
  for (const char* name :
       {"token", "access_token", "client_secret", "password", "passwd", "pwd", "apikey", "key",
        "X-Amz-Credential", "Signature", "auth", "session_id", "jwt", "sig", "code"})
    CHECK_MESSAGE(is_secret_name(name), name);
  for (const char* name : {"queue", "vhost", "name", "limit", "query", "time", "signal"})
    CHECK_MESSAGE(!is_secret_name(name), name);
  CHECK(redact_query("a=1&&b&token=x&=y") == "a=1&&b&token=<redacted>&=y");
  // Text the parser refuses is still printed without its secrets.
  CHECK(redact_url("http://u:p@bad host/x?key=1#f") == "http://bad host/x?key=<redacted>");
  CHECK(redact_url("not a url?password=hunter2") == "not a url?password=<redacted>");
  CHECK(redact_url("http://ok.example/p") == "http://ok.example/p");
}

TEST_CASE("http: format_timeout spells durations as errors show them") {
  CHECK(format_timeout(std::chrono::milliseconds(2000)) == "2s");
  CHECK(format_timeout(std::chrono::milliseconds(1500)) == "1.5s");
  CHECK(format_timeout(std::chrono::milliseconds(250)) == "250ms");
}

TEST_CASE("http: keep-alive reuses one connection for sequential requests") {
  LoopbackServer server(echo);
  boost::asio::io_context io;
  HttpClient client(io);
  for (int i = 0; i < 3; ++i) {
    HttpResult r = run_request(io, client, get(server.url("/n/" + std::to_string(i))));
    REQUIRE(r.ok());
    CHECK(r.status == 200);
    CHECK(r.body == "GET /n/" + std::to_string(i) + " ");
  }
  CHECK(client.connections_opened() == 1);
  CHECK(server.connections_accepted() == 1);
  CHECK(client.idle_connections() == 1);
}

TEST_CASE("http: request line, default headers and body are sent as given") {
  std::string seen_head;
  LoopbackServer server([&](const RawRequest& req) {
    seen_head = req.head;
    return echo(req);
  });
  HttpRequest req = get(server.url("/a/b?x=1%202"));
  req.method = "PATCH";
  req.headers = {{"Content-Type", "application/merge-patch+json"}, {"X-Trace", "t1"}};
  req.body = R"({"spec":{"replicas":3}})";
  HttpResult r = http_request_sync(req);
  REQUIRE(r.ok());
  CHECK(r.body == "PATCH /a/b?x=1%202 {\"spec\":{\"replicas\":3}}");
  CHECK(seen_head.find("Content-Type: application/merge-patch+json\r\n") != std::string::npos);
  CHECK(seen_head.find("X-Trace: t1\r\n") != std::string::npos);
  CHECK(seen_head.find("Host: 127.0.0.1:" + std::to_string(server.port())) != std::string::npos);
  CHECK(seen_head.find("User-Agent: luascale/") != std::string::npos);
  CHECK(seen_head.find("Content-Length: 23\r\n") != std::string::npos);

  // A POST without a body still says Content-Length: 0.
  req.method = "POST";
  req.body.clear();
  r = http_request_sync(req);
  REQUIRE(r.ok());
  CHECK(seen_head.find("Content-Length: 0\r\n") != std::string::npos);
}

TEST_CASE("http: headers that would inject lines are refused before sending") {
  LoopbackServer server(echo);
  HttpRequest req = get(server.url());
  req.headers = {{"X-Evil", "a\r\nInjected: yes"}};
  HttpResult r = http_request_sync(req);
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("invalid header \"X-Evil\"") != std::string::npos);
  CHECK(server.requests_seen() == 0);
}

TEST_CASE("http: a total deadline ends a request the server never answers") {
  LoopbackServer server([](const RawRequest&) { return ScriptedReply{"", false, true}; });
  HttpRequest req = get(server.url("/slow"));
  req.timeout = std::chrono::milliseconds(300);
  HttpResult r = http_request_sync(req);
  CHECK_FALSE(r.ok());
  CHECK(r.status == 0);
  CHECK(r.error == "timeout after 300ms (reading response from 127.0.0.1:" +
                       std::to_string(server.port()) + ")");
}

TEST_CASE("http: connection refused names the address") {
  auto port = closed_port();
  HttpResult r = http_request_sync(get("http://127.0.0.1:" + std::to_string(port) + "/"));
  CHECK_FALSE(r.ok());
  CHECK(r.error == "connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_CASE("http: malformed URLs and schemes are reported, not attempted") {
  HttpResult r = http_request_sync(get("ftp://127.0.0.1/x"));
  CHECK(r.error.find("unsupported URL scheme \"ftp\"") != std::string::npos);
  r = http_request_sync(get("127.0.0.1:80/x"));
  CHECK(r.error.find("invalid URL") != std::string::npos);
}

TEST_CASE("http: the body cap stops oversized responses, plain and chunked") {
  std::string big(5000, 'x');
  LoopbackServer server([&](const RawRequest& req) {
    if (req.target == "/chunked") {
      std::string chunk(1000, 'y');
      std::string bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < 5; ++i) bytes += "3e8\r\n" + chunk + "\r\n";
      bytes += "0\r\n\r\n";
      return ScriptedReply{bytes};
    }
    return ScriptedReply{http_response(200, big)};
  });
  HttpRequest req = get(server.url("/big"));
  req.max_body_bytes = 4096;
  HttpResult r = http_request_sync(req);
  CHECK_FALSE(r.ok());
  CHECK(r.error == "response body from 127.0.0.1:" + std::to_string(server.port()) +
                       " exceeds the 4 KiB limit");

  req.url = server.url("/chunked");
  r = http_request_sync(req);
  CHECK_FALSE(r.ok());
  CHECK(r.error.find("exceeds the 4 KiB limit") != std::string::npos);

  // The client-wide cap applies when the request sets none.
  HttpClientOptions options;
  options.max_body_bytes = 1000;
  r = http_request_sync(get(server.url("/big")), options);
  CHECK(r.error.find("exceeds the 1000 bytes limit") != std::string::npos);

  // Under the cap, both arrive whole.
  req.max_body_bytes = 10000;
  r = http_request_sync(req);
  REQUIRE(r.ok());
  CHECK(r.body == std::string(5000, 'y'));
}

TEST_CASE("http: chunked responses are reassembled and the connection is reused") {
  LoopbackServer server([](const RawRequest& req) {
    std::string bytes =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
        "5\r\nhello\r\n1\r\n \r\n" +
        std::to_string(req.target.size() - 1) + "\r\n" + req.target.substr(1) + "\r\n0\r\n\r\n";
    return ScriptedReply{bytes};
  });
  boost::asio::io_context io;
  HttpClient client(io);
  HttpResult r = run_request(io, client, get(server.url("/world")));
  REQUIRE(r.ok());
  CHECK(r.body == "hello world");
  REQUIRE(r.header("content-type"));
  CHECK(*r.header("content-type") == "text/plain");
  r = run_request(io, client, get(server.url("/again")));
  REQUIRE(r.ok());
  CHECK(r.body == "hello again");
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("http: Connection: close responses are not pooled") {
  LoopbackServer server([](const RawRequest&) {
    return ScriptedReply{http_response(204, "", "Connection: close\r\n"), true};
  });
  boost::asio::io_context io;
  HttpClient client(io);
  for (int i = 0; i < 2; ++i) {
    HttpResult r = run_request(io, client, get(server.url()));
    REQUIRE(r.ok());
    CHECK(r.status == 204);
  }
  CHECK(client.connections_opened() == 2);
  CHECK(client.idle_connections() == 0);
}

TEST_CASE("http: an idempotent request is resent once when a reused connection was closed") {
  // The server drops the second request on every connection without replying.
  LoopbackServer server([](const RawRequest& req) {
    if (req.index == 1) return ScriptedReply{"", true};
    return ScriptedReply{http_response(200, "ok " + std::to_string(req.connection))};
  });
  boost::asio::io_context io;
  HttpClient client(io);
  HttpResult r = run_request(io, client, get(server.url()));
  REQUIRE(r.ok());
  CHECK(r.body == "ok 0");
  r = run_request(io, client, get(server.url()));
  REQUIRE(r.ok());
  CHECK(r.body == "ok 1");
  CHECK(client.connections_opened() == 2);

  // A POST is never resent: the server might have acted on it.
  HttpRequest post = get(server.url());
  post.method = "POST";
  r = run_request(io, client, post);
  CHECK_FALSE(r.ok());
  CHECK(r.error == "reading response from 127.0.0.1:" + std::to_string(server.port()) +
                       ": connection closed by the server");
}

TEST_CASE("http: a server that closes idle connections costs a reconnect, not an error") {
  LoopbackServer server([](const RawRequest&) {
    return ScriptedReply{http_response(200, "fine"), true};
  });
  boost::asio::io_context io;
  HttpClient client(io);
  for (int i = 0; i < 3; ++i) {
    HttpResult r = run_request(io, client, get(server.url()));
    REQUIRE(r.ok());
    CHECK(r.body == "fine");
  }
  CHECK(client.connections_opened() == 3);
}

TEST_CASE("http: destroying the client ends in-flight requests with a clear error") {
  LoopbackServer server([](const RawRequest&) { return ScriptedReply{"", false, true}; });
  boost::asio::io_context io;
  HttpResult out;
  bool done = false;
  {
    HttpClient client(io);
    client.request(get(server.url()), [&](HttpResult r) {
      out = std::move(r);
      done = true;
    });
    // Let the request reach the server before shutting down.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (server.requests_seen() == 0 && std::chrono::steady_clock::now() < deadline)
      io.run_for(std::chrono::milliseconds(10));
    REQUIRE(server.requests_seen() == 1);
  }
  io.restart();
  io.run();
  REQUIRE(done);
  CHECK(out.error == "cancelled: client shut down");
}

TEST_CASE("https: verification with a test CA, and each way it must fail") {
  luascale::test::TempDir dir;
  auto pki = luascale::test::make_test_pki(dir.path());
  TlsServerOptions server_tls;
  server_tls.cert_file = pki.server_cert.string();
  server_tls.key_file = pki.server_key.string();
  std::string error;
  auto server_ctx = make_server_context(server_tls, &error);
  REQUIRE_MESSAGE(server_ctx, error);
  LoopbackServer server(echo, server_ctx->native_handle());
  std::string peer = "127.0.0.1:" + std::to_string(server.port());

  SUBCASE("trusted CA: the request succeeds and keep-alive works over TLS") {
    HttpClientOptions options;
    options.tls.ca_file = pki.ca_cert.string();
    boost::asio::io_context io;
    HttpClient client(io, options);
    CHECK(client.tls_error().empty());
    for (int i = 0; i < 2; ++i) {
      HttpResult r = run_request(io, client, get(server.url("/secure")));
      REQUIRE_MESSAGE(r.ok(), r.error);
      CHECK(r.body == "GET /secure ");
    }
    CHECK(client.connections_opened() == 1);
  }
  SUBCASE("inline CA PEM works like a file") {
    HttpClientOptions options;
    options.tls.ca_pem = luascale::test::read_file(pki.ca_cert);
    HttpResult r = http_request_sync(get(server.url()), options);
    CHECK_MESSAGE(r.ok(), r.error);
  }
  SUBCASE("an unrelated CA: certificate verify failed") {
    HttpClientOptions options;
    options.tls.ca_file = pki.other_ca_cert.string();
    HttpResult r = http_request_sync(get(server.url()), options);
    CHECK_FALSE(r.ok());
    CHECK(r.error.rfind("TLS: certificate verify failed: ", 0) == 0);
    CHECK(r.error.find("(" + peer + ")") != std::string::npos);
  }
  SUBCASE("the system store does not know the test CA") {
    HttpResult r = http_request_sync(get(server.url()));
    CHECK_FALSE(r.ok());
    CHECK(r.error.find("certificate verify failed") != std::string::npos);
  }
  SUBCASE("a server name the certificate does not carry: hostname mismatch") {
    HttpClientOptions options;
    options.tls.ca_file = pki.ca_cert.string();
    options.tls.server_name = "api.example.com";
    HttpResult r = http_request_sync(get(server.url()), options);
    CHECK_FALSE(r.ok());
    CHECK(r.error == "TLS: certificate verify failed: hostname mismatch (" + peer + ")");
  }
  SUBCASE("a server name the certificate carries passes") {
    HttpClientOptions options;
    options.tls.ca_file = pki.ca_cert.string();
    options.tls.server_name = "localhost";
    HttpResult r = http_request_sync(get(server.url()), options);
    CHECK_MESSAGE(r.ok(), r.error);
  }
  SUBCASE("insecure_skip_verify accepts an untrusted server, only when set") {
    HttpClientOptions options;
    options.tls.insecure_skip_verify = true;
    HttpResult r = http_request_sync(get(server.url()), options);
    CHECK_MESSAGE(r.ok(), r.error);
  }
  SUBCASE("a TLS client talking to a plain HTTP server fails in the handshake") {
    LoopbackServer plain(echo);
    HttpClientOptions options;
    options.tls.ca_file = pki.ca_cert.string();
    HttpResult r =
        http_request_sync(get("https://127.0.0.1:" + std::to_string(plain.port()) + "/"), options);
    CHECK_FALSE(r.ok());
    CHECK(r.error.rfind("TLS handshake with 127.0.0.1:" + std::to_string(plain.port()) + ": ", 0) ==
          0);
  }
}

TEST_CASE("https: a deadline that fires mid-read over TLS ends the request cleanly") {
  // Regression: the TLS stream must outlive the aborted read still pending on it.
  luascale::test::TempDir dir;
  auto pki = luascale::test::make_test_pki(dir.path());
  TlsServerOptions server_tls;
  server_tls.cert_file = pki.server_cert.string();
  server_tls.key_file = pki.server_key.string();
  std::string error;
  auto server_ctx = make_server_context(server_tls, &error);
  REQUIRE_MESSAGE(server_ctx, error);
  LoopbackServer server(
      [](const RawRequest&) {
        return ScriptedReply{"", false, true};
      },
      server_ctx->native_handle());
  HttpClientOptions options;
  options.tls.ca_file = pki.ca_cert.string();
  HttpRequest req = get(server.url("/slow"));
  req.timeout = std::chrono::milliseconds(300);
  HttpResult r = http_request_sync(req, options);
  CHECK(r.error == "timeout after 300ms (reading response from 127.0.0.1:" +
                       std::to_string(server.port()) + ")");
}

TEST_CASE("https: bad TLS settings are reported by every https request") {
  luascale::test::TempDir dir;
  HttpClientOptions options;
  options.tls.ca_file = (dir.path() / "missing.crt").string();
  boost::asio::io_context io;
  HttpClient client(io, options);
  CHECK(client.tls_error() ==
        "TLS: cannot read ca_file " + options.tls.ca_file + ": no such file or directory");
  HttpResult r = run_request(io, client, get("https://127.0.0.1:1/"));
  CHECK(r.error == client.tls_error());

  options.tls.ca_file = dir.write("empty.crt", "").string();
  CHECK(check_client_tls(options.tls) == "TLS: ca_file " + options.tls.ca_file + " is empty");
  options.tls.ca_file = dir.write("junk.crt", "not a certificate").string();
  CHECK(check_client_tls(options.tls).rfind("TLS: cannot load ca_file " + options.tls.ca_file, 0) ==
        0);
}

TEST_CASE("https: mutual TLS with a client certificate") {
  luascale::test::TempDir dir;
  auto pki = luascale::test::make_test_pki(dir.path());
  TlsServerOptions server_tls;
  server_tls.cert_file = pki.server_cert.string();
  server_tls.key_file = pki.server_key.string();
  server_tls.client_ca_pem = luascale::test::read_file(pki.ca_cert);
  server_tls.require_client_cert = true;
  std::string error;
  auto server_ctx = make_server_context(server_tls, &error);
  REQUIRE_MESSAGE(server_ctx, error);
  std::string common_name;
  LoopbackServer server(echo, server_ctx->native_handle());

  HttpClientOptions options;
  options.tls.ca_file = pki.ca_cert.string();
  options.tls.client_cert_file = pki.client_cert.string();
  options.tls.client_key_file = pki.client_key.string();
  HttpResult r = http_request_sync(get(server.url("/me")), options);
  CHECK_MESSAGE(r.ok(), r.error);

  options.tls.client_cert_file.clear();
  options.tls.client_key_file.clear();
  r = http_request_sync(get(server.url("/me")), options);
  CHECK_FALSE(r.ok());

  options.tls.client_cert_file = pki.client_cert.string();
  options.tls.client_key_file = pki.server_key.string();
  CHECK(check_client_tls(options.tls) ==
        "TLS: cannot load client_key_file " + pki.server_key.string() + ": key values mismatch");
}
