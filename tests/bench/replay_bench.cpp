// Replay throughput and memory, measured on the whole `luascale replay` process: a 2-million-row
// CSV trace in, every decision out as CSV (trace parsing, signal history, the sandboxed
// evaluation with its instruction budget counted from the first instruction, guardrails, the
// decisions CSV). Printed against baselines measured in the same run: parsing the trace alone,
// and the floor of calling a trivial Lua function from C (bare lua_pcall, no sandbox, no limits).
// Also the peak RSS of a 0.5 M and a 2 M row replay, to show memory does not grow with the trace.
// Exits 1 when the replay runs below its floor of 1,000,000 ticks per second.
// Run from a Release build: `make bench`.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lua.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/replay/trace.hpp"

using namespace luascale;
using Clock = std::chrono::steady_clock;

namespace {

const char* kPolicy = R"(return { decide = function(ctx)
  local q = ctx:signal("queue")
  if q == nil then return nil end
  return { replicas = math.ceil(q / 10) }
end })";

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void write_trace(const std::string& path, long rows) {
  std::ofstream out(path);
  out << "timestamp,queue\n";
  for (long i = 0; i < rows; ++i) out << 1600000000 + i * 15 << ',' << (i * 7919) % 500 << '\n';
}

struct ReplayRun {
  double rate = 0;  // ticks per second, whole process
  long ticks = 0;
  long rss_kib = 0;  // the process's peak RSS
};

// One `luascale replay` of `trace` through `script`, decisions to `out`, timed as a whole process.
ReplayRun replay_run(const std::string& script, const std::string& trace, const std::string& out,
                     long rows) {
  auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(LUASCALE_BINARY, "luascale", "replay", script.c_str(), "--trace", trace.c_str(), "--out",
          out.c_str(), "--quiet", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  const double secs = seconds_since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "replay_bench: luascale replay failed (status " << status << ")\n";
    std::exit(1);
  }
  return ReplayRun{static_cast<double>(rows) / secs, rows, ru.ru_maxrss};
}

}  // namespace

int main() {
  std::string dir =
      std::filesystem::temp_directory_path() / ("luascale-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string script = dir + "/q.lua", small = dir + "/small.csv", big = dir + "/big.csv";
  std::ofstream(script) << kPolicy;
  const long kSmall = 500'000, kBig = 2'000'000;
  write_trace(small, kSmall);
  write_trace(big, kBig);

  // Baseline 1: parse the big trace only.
  auto t0 = Clock::now();
  {
    auto r = TraceReader::open(big);
    TraceRow row;
    double sum = 0;
    while (r->next(row)) sum += row.numbers[0];
    if (sum < 0) std::puts("");
  }
  double parse_rate = kBig / seconds_since(t0);

  // Baseline 2, the floor: one bare lua_pcall per tick of a function doing the same arithmetic on
  // the signal read from a reused signal table (a plain state: no sandbox, no ctx, no limits).
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  luaL_dostring(L, "function decide(s) return { replicas = math.ceil(s.queue / 10) } end");
  lua_newtable(L);  // 1: the signal table
  auto floor_rate = [&] {
    auto t = Clock::now();
    for (long i = 0; i < kBig; ++i) {
      lua_getglobal(L, "decide");
      lua_pushinteger(L, (i * 7919) % 500);
      lua_setfield(L, 1, "queue");
      lua_pushvalue(L, 1);
      lua_pcall(L, 1, 1, 0);
      lua_getfield(L, -1, "replicas");
      lua_pop(L, 2);
    }
    return kBig / seconds_since(t);
  };
  // A stricter reference: the signal passed as a plain number, no table at all.
  luaL_dostring(L, "function decide_n(q) return { replicas = math.ceil(q / 10) } end");
  auto number_rate = [&] {
    auto t = Clock::now();
    for (long i = 0; i < kBig; ++i) {
      lua_getglobal(L, "decide_n");
      lua_pushinteger(L, (i * 7919) % 500);
      lua_pcall(L, 1, 1, 0);
      lua_getfield(L, -1, "replicas");
      lua_pop(L, 2);
    }
    return kBig / seconds_since(t);
  };

  const std::string out = dir + "/decisions.csv";
  const long rss_small = replay_run(script, small, out, kSmall).rss_kib;
  // The machine may be shared: the floor and the replay alternate, three rounds, best of each.
  double lua_rate = 0, num_rate = 0, rate = 0;
  long ticks_big = 0, rss_big = 0;
  for (int round = 0; round < 3; ++round) {
    lua_rate = std::max(lua_rate, floor_rate());
    num_rate = std::max(num_rate, number_rate());
    ReplayRun r = replay_run(script, big, out, kBig);
    rate = std::max(rate, r.rate);
    ticks_big = r.ticks;
    rss_big = std::max(rss_big, r.rss_kib);
  }
  lua_close(L);

  constexpr double kFloor = 1'000'000;  // ticks per second, whole process, CSV to CSV
  std::printf(
      "replay_bench: luascale replay of a %ld-row CSV trace (15 s interval), decisions to CSV\n",
      kBig);
  std::printf("  trace parse only        %12.0f rows/s\n", parse_rate);
  std::printf("  bare lua_pcall floor    %12.0f calls/s  (signal in a reused table)\n", lua_rate);
  std::printf("  luascale replay         %12.0f ticks/s  (%ld ticks, whole process; floor %.0f)\n",
              rate, ticks_big, kFloor);
  std::printf("  replay / bare Lua       %12.2f\n", rate / lua_rate);
  std::printf(
      "  stricter reference      %12.0f calls/s  (signal as a number argument; ratio %.2f)\n",
      num_rate, rate / num_rate);
  std::printf("  (best of 3 alternating rounds each)\n");
  std::printf("  RSS after %ld rows %8ld KiB, after %ld rows %8ld KiB (ratio %.2f)\n", kSmall,
              rss_small, kBig, rss_big,
              static_cast<double>(rss_big) / static_cast<double>(rss_small));
  std::filesystem::remove_all(dir);
  if (rate < kFloor) {
    std::printf("  BELOW THE FLOOR: %.0f < %.0f ticks/s\n", rate, kFloor);
    return 1;
  }
  return 0;
}
