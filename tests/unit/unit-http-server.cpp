// tests/unit/unit-http-server.cpp — the HTTP server of `luascale run` under clients that hold
// connections: probes are answered while slow clients take every connection, and a client that
// does not finish its request head in time is dropped.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/server/http_server.hpp"

using namespace luascale;
namespace asio = boost::asio;

namespace {

// One GET on a fresh connection; the whole answer ("" when the server closed without one).
std::string http_get(const std::string& addr, const std::string& path) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  auto colon = addr.rfind(':');
  s.connect({asio::ip::make_address(addr.substr(0, colon)),
             static_cast<unsigned short>(std::stoi(addr.substr(colon + 1)))});
  boost::system::error_code ec;
  asio::write(s, asio::buffer("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              ec);
  std::string out;
  char buf[4096];
  while (!ec) {
    std::size_t n = s.read_some(asio::buffer(buf), ec);
    out.append(buf, n);
  }
  return out;
}

}  // namespace

TEST_CASE("http server: probes are answered while slow clients hold every connection") {
  asio::io_context io;
  HttpServerOptions so;
  so.listen = "127.0.0.1:0";
  so.max_connections = 8;
  so.header_timeout_seconds = 0.5;
  HttpServer server(io, so, [](const std::string&, const std::string& target) {
    return HttpResponse{200, "text/plain", target == "/healthz" ? "ok\n" : "x\n"};
  });
  std::string err;
  REQUIRE_MESSAGE(server.start(&err), err);
  const std::string addr = server.address();
  std::thread loop([&] {
    auto work = asio::make_work_guard(io);
    io.run();
  });
  // 20 clients (the limit is 8), each sending part of a request head and then nothing more.
  asio::io_context cio;
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> slow;
  for (int i = 0; i < 20; ++i) {
    auto s = std::make_unique<asio::ip::tcp::socket>(cio);
    s->connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(*s, asio::buffer(std::string("GET /metrics HTTP/1.1\r\nX-Slow: ")));
    slow.push_back(std::move(s));
  }
  // Every probe gets its answer, at once, however many slow clients arrive meanwhile.
  int answered = 0;
  for (int i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string reply = http_get(addr, "/healthz");
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (reply.rfind("HTTP/1.1 200", 0) == 0 && secs < 2) ++answered;
    auto s = std::make_unique<asio::ip::tcp::socket>(cio);
    s->connect({asio::ip::make_address("127.0.0.1"), server.port()});
    asio::write(*s, asio::buffer(std::string("GET / HTTP/1.1\r\n")));
    slow.push_back(std::move(s));
  }
  CHECK(answered == 10);
  // A client that does not finish its head within header_timeout is dropped.
  asio::ip::tcp::socket late(cio);
  late.connect({asio::ip::make_address("127.0.0.1"), server.port()});
  asio::write(late, asio::buffer(std::string("GET /x HTTP/1.1\r\n")));
  const auto t0 = std::chrono::steady_clock::now();
  char buf[64];
  boost::system::error_code ec;
  late.read_some(asio::buffer(buf), ec);  // returns when the server closes it
  const double held = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(ec);
  CHECK(held < 5);
  server.stop();
  for (auto& s : slow) s->close();
  io.stop();
  loop.join();
}
