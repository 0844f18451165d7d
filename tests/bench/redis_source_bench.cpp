// tests/bench/redis_source_bench.cpp — N redis signals fetched at once, as N policies sharing one
// Redis do on every tick: the shared pipelined connection against one connection per signal (the
// baseline, measured in the same run against the same real redis-server). Prints per-round wall
// time and per-fetch latency percentiles.
#define LUASCALE_SHARED_DIR ""
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "adapters/sources/redis/redis_client.hpp"
#include "tests/servers.hpp"

using namespace luascale;
using Clock = std::chrono::steady_clock;

namespace {

struct Figures {
  double round_ms_p50 = 0;
  double fetch_ms_p50 = 0, fetch_ms_p99 = 0;
  int errors = 0;
};

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))];
}

Figures run(std::vector<redis::Connection>& conns, int signals, int rounds,
            boost::asio::io_context& io) {
  Figures f;
  std::vector<double> round_ms, fetch_ms;
  for (int r = 0; r < rounds + 1; ++r) {  // round 0 warms up (connects)
    int done = 0;
    auto t0 = Clock::now();
    for (int i = 0; i < signals; ++i) {
      auto start = Clock::now();
      conns[i % conns.size()].command(
          {"LLEN", "q" + std::to_string(i)}, std::chrono::seconds(10),
          [&, start, r](redis::Reply reply) {
            if (!reply.error.empty() || reply.value.type != redis::RespValue::Type::Integer)
              ++f.errors;
            if (r > 0)
              fetch_ms.push_back(
                  std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            ++done;
          });
    }
    io.restart();
    while (done < signals) io.run_one();
    if (r > 0)
      round_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  f.round_ms_p50 = pct(round_ms, 0.5);
  f.fetch_ms_p50 = pct(fetch_ms, 0.5);
  f.fetch_ms_p99 = pct(fetch_ms, 0.99);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  const int signals = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 50;
  test::RedisServer server({"--maxclients", "10000"});
  auto ep = *redis::parse_redis_url(server.url(), nullptr);
  for (int i = 0; i < signals; ++i) server.cli("RPUSH q" + std::to_string(i) + " x");

  boost::asio::io_context io;
  std::vector<redis::Connection> shared{redis::Connection::shared(io, ep)};
  std::vector<redis::Connection> separate;
  for (int i = 0; i < signals; ++i) separate.emplace_back(io, ep);

  auto a = run(separate, signals, rounds, io);
  auto b = run(shared, signals, rounds, io);
  std::printf("redis source: %d signals fetched at once, %d rounds, real redis-server\n", signals,
              rounds);
  std::printf(
      "  one connection per signal (baseline): round p50 %.2f ms, fetch p50 %.2f ms, p99 %.2f ms, "
      "errors %d\n",
      a.round_ms_p50, a.fetch_ms_p50, a.fetch_ms_p99, a.errors);
  std::printf(
      "  shared pipelined connection:          round p50 %.2f ms, fetch p50 %.2f ms, p99 %.2f ms, "
      "errors %d\n",
      b.round_ms_p50, b.fetch_ms_p50, b.fetch_ms_p99, b.errors);
  std::printf("  shared / baseline round time: %.2f\n", b.round_ms_p50 / a.round_ms_p50);
  return a.errors + b.errors == 0 ? 0 : 1;
}
