// tests/unit/unit-progress.cpp — the progress line of `replay` and `tune`: how a line is laid out,
// the trace span it measures against, and the replay hook that feeds it (every 4096 ticks).
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "engine/cli/progress.hpp"
#include "engine/config/config.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::cli::ProgressBar;

TEST_CASE("a progress line: bar, percent, rate, ETA and detail, within the width") {
  std::string line = ProgressBar::render("replay", 25, 100, 50000, 2.0, "1/2 replays", 80);
  CHECK(line == "replay [######------------------]   25%  25k ticks/s  ETA 0:06  1/2 replays");
  // Unknown total: no bar, no percent, no ETA.
  CHECK(ProgressBar::render("tune", 0, 0, 900, 3.0, "7 settings", 80) ==
        "tune  300 ticks/s  7 settings");
  // Never the last column; hours in the ETA.
  line = ProgressBar::render("replay", 1, 10000, 2500000, 1.0, "", 30);
  CHECK(line.size() == 29);
  CHECK(ProgressBar::render("r", 1, 4, 0, 3600, "", 200).find("ETA 3:00:00") != std::string::npos);
  CHECK(ProgressBar::render("r", 4, 4, 10, 1, "", 200).find("100%") != std::string::npos);
  CHECK(ProgressBar::render("r", 4, 4, 10, 1, "", 200).find("ETA") == std::string::npos);
}

TEST_CASE("a disabled bar writes nothing") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    ProgressBar bar("replay", false, fds[1]);
    bar.add_total(10);
    bar.add_done(5, 100);
    bar.finish();
  }
  ::close(fds[1]);
  char buf[16];
  CHECK(::read(fds[0], buf, sizeof buf) == 0);
  ::close(fds[0]);
}

TEST_CASE("an enabled bar draws at once, then no faster than ten times a second, and clears") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const auto start = std::chrono::steady_clock::now();
  {
    ProgressBar bar("replay", true, fds[1]);
    bar.add_total(100);
    for (int i = 0; i < 1000; ++i) bar.add_done(0.1, 10);  // far faster than 0.1 s apart
  }                                                        // the destructor clears the line
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  CHECK(out.rfind("\rreplay [", 0) == 0);
  CHECK(out.size() >= 4);
  CHECK(out.substr(out.size() - 4) == "\r\x1b[K");
  std::size_t draws = 0;
  for (std::size_t p = 0; (p = out.find("\rreplay [", p)) != std::string::npos; ++p) ++draws;
  CHECK(draws >= 1);
  CHECK(draws <= 1 + static_cast<std::size_t>(elapsed / 0.1));  // the first, then one per 0.1 s
}

TEST_CASE("the span a replay bar measures: first row, last row from the file's tail, clamped") {
  test::TempDir dir;
  auto csv = dir.write("t.csv", "# comment\ntimestamp,rps\n100,1\n160,2\n220,3\n# trailing\n\n");
  auto span = cli::trace_time_span({TraceArg{"", csv.string()}}, std::nullopt, std::nullopt);
  REQUIRE(span);
  CHECK(span->first == 100);
  CHECK(span->second == 220);
  span = cli::trace_time_span({TraceArg{"", csv.string()}}, 150.0, 200.0);
  REQUIRE(span);
  CHECK(span->first == 160);
  CHECK(span->second == 200);
  auto rfc =
      dir.write("r.csv", "timestamp,rps\n2023-11-16T00:00:00Z,1\n\"2023-11-16T00:01:00Z\",2\n");
  span = cli::trace_time_span({TraceArg{"", rfc.string()}}, std::nullopt, std::nullopt);
  REQUIRE(span);
  CHECK(span->second - span->first == 60);
  auto jsonl = dir.write(
      "t.jsonl", "{\"ts\": 10, \"cpu\": 1}\n{\"ts\": \"1970-01-01T00:01:00Z\", \"cpu\": 2}\n");
  span = cli::trace_time_span({TraceArg{"", jsonl.string()}}, std::nullopt, std::nullopt);
  REQUIRE(span);
  CHECK(span->first == 10);
  CHECK(span->second == 60);
  CHECK_FALSE(cli::trace_time_span({TraceArg{"", (dir.path() / "missing.csv").string()}},
                                   std::nullopt, std::nullopt));
}

namespace {

struct Recorder final : ReplayProgress {
  std::vector<std::int64_t> ticks;
  std::vector<double> times;
  void advanced(const ReplaySummary& so_far, double now) override {
    ticks.push_back(so_far.ticks);
    times.push_back(now - so_far.first_time);
  }
};

}  // namespace

TEST_CASE("replay reports progress at ticks 1, 4097, 8193 and a feed tops the bar up to the span") {
  test::TempDir dir;
  std::string text = "timestamp,rps\n";
  for (int i = 0; i <= 10000; ++i)
    text += std::to_string(1000 + i) + "," + std::to_string(i % 7) + "\n";
  auto trace_path = dir.write("t.csv", text);
  dir.write("p.lua", "return { decide = function(ctx) return { replicas = 1 } end }\n");
  auto cfg =
      dir.write("c.json", R"({"policies": [{"name": "p", "script": "p.lua", "interval": "1s"}]})");
  Config config = load_config(cfg.string());
  std::string err;
  auto rt = PolicyRuntime::create(config.policies.front(), &err);
  REQUIRE(rt);
  auto trace = TraceReader::open(trace_path.string());
  Recorder rec;
  ReplayOptions ro;
  ro.progress = &rec;
  ReplaySummary sum = replay_trace(*rt, *trace, ro, nullptr);
  CHECK(sum.ticks == 10001);
  CHECK(rec.ticks == std::vector<std::int64_t>{1, 4097, 8193});
  CHECK(rec.times == std::vector<double>{0, 4096, 8192});

  // The bar: seconds of trace against the span, the rest added when the replay ends.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  {
    ProgressBar bar("replay", true, fds[1]);
    bar.add_total(10000);
    cli::ReplayBarFeed feed(bar, 10000.0);
    ReplaySummary s;
    s.first_time = 1000;
    s.ticks = 4097;
    feed.advanced(s, 5096);
    feed.finished(10001);
    bar.finish();
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  CHECK(out.find(" 40%") != std::string::npos);  // the first draw: 4,096 s of 10,000
}
