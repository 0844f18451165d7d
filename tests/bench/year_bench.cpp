// One year at 15 s (2,102,400 ticks) through two policies, closed loop, run the way a user runs it:
//   luascale replay examples/whatif/config.json --trace YEAR.csv --policy policies/hpa.lua
//            --policy examples/quickstart/llm.lua --jobs 2 --quiet
// Prints the command's wall seconds, CPU seconds and peak RSS, and, measured in the same run, the
// same command through two policies that always hold: the replay machinery alone (trace parsing,
// the closed-loop model, guardrails, summaries). Their ratio shows what the policies cost. Best of
// three alternating rounds each.
// Also what stock Lua 5.4 takes for the policy code alone: each policy's decide() called once per
// tick in a plain state (luaL_openlibs: no sandbox, no instruction budget, no engine) with a stub
// ctx whose signal() returns the demand (llm.lua) or the utilization it causes (hpa.lua) from
// memory. The two jobs run on two cores, so the slower policy sets the pace. (Stock
// string.format is the C library's printf, as it is in the sandbox.)
// Run from a Release build: `make bench`.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lua.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr long kRows = 2102400;  // 365 days at 15 s

struct Run {
  double wall = 1e9, cpu = 1e9;
  long rss_kib = 0;
};

// Runs the CLI from the source directory; the best wall and CPU time over calls, the largest RSS.
void run_cli(const std::vector<std::string>& args, Run& best) {
  std::vector<char*> argv;
  std::string bin = LUASCALE_BINARY;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(LUASCALE_SOURCE_DIR) != 0) _exit(126);
    std::freopen("/dev/null", "w", stdout);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "year_bench: %s exited with status %d\n", bin.c_str(),
                 WEXITSTATUS(status));
    std::exit(1);
  }
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  best.wall = std::min(best.wall, wall);
  best.cpu = std::min(best.cpu, cpu);
  best.rss_kib = std::max(best.rss_kib, ru.ru_maxrss);
}

// The trace's requests/s: a daily sine plus seeded noise (the shape of tests/bench/year_trace.py).
std::vector<double> year_demand() {
  std::vector<double> out;
  out.reserve(kRows);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> noise(0, 5);
  for (long i = 0; i < kRows; ++i) {
    const long t = 1672531200 + i * 15;
    const double day = static_cast<double>(t % 86400) / 86400;
    out.push_back(20 + 15 * std::sin(2 * M_PI * day) + noise(rng));
  }
  return out;
}

// The stub ctx's data: the demand per tick and the count the policy last chose.
struct Stub {
  const std::vector<double>* demand = nullptr;
  long tick = 0;
  long replicas = 3;
};

int stub_signal(lua_State* L) {
  auto* st = static_cast<Stub*>(lua_touserdata(L, lua_upvalueindex(1)));
  const double d = (*st->demand)[static_cast<std::size_t>(st->tick)];
  const char* name = luaL_checkstring(L, 2);
  if (std::strcmp(name, "cpu") == 0)
    lua_pushnumber(L, 100.0 * d / (static_cast<double>(st->replicas) * 2));
  else
    lua_pushnumber(L, d);
  return 1;
}

int stub_log(lua_State*) {
  return 0;
}

// Seconds for one decide() per tick of the year's demand in a plain state; `metrics` sets
// params.metrics the way examples/whatif/config.json does for hpa.lua. Negative (with a message
// on stderr) when the script fails or never decides on the stub's signals.
double bare_lua_seconds_here(const std::string& script, bool metrics) {
  const std::vector<double> demand = year_demand();
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  const std::string setup =
      "package.path = '" + std::string(LUASCALE_SOURCE_DIR) +
      "/policies/lib/?.lua;' .. package.path\n"
      "local pol = dofile('" +
      std::string(LUASCALE_SOURCE_DIR) + "/" + script +
      "')\n"
      "local p = pol.params or {}\n" +
      (metrics ? "p.metrics = { { signal = 'cpu', type = 'Utilization', target = 70 } }\n" : "") +
      "local ctx = { state = {}, target = { replicas = 3, ready = 3, min = 1, max = 20 },\n"
      "              now = 0, interval = 15 }\n"
      "return pol.decide, ctx, p\n";
  Stub st;
  st.demand = &demand;
  if (luaL_dostring(L, setup.c_str()) != LUA_OK) {
    std::fprintf(stderr, "year_bench: %s\n", lua_tostring(L, -1));
    return -1;
  }
  // Stack: decide, ctx, params. ctx.signal / ctx.log are the stubs.
  lua_pushlightuserdata(L, &st);
  lua_pushcclosure(L, stub_signal, 1);
  lua_setfield(L, 2, "signal");
  lua_pushcfunction(L, stub_log);
  lua_setfield(L, 2, "log");
  lua_getfield(L, 2, "target");  // 4
  long decisions = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (st.tick = 0; st.tick < static_cast<long>(demand.size()); ++st.tick) {
    lua_pushnumber(L, 1672531200.0 + 15.0 * static_cast<double>(st.tick));
    lua_setfield(L, 2, "now");
    lua_pushinteger(L, st.replicas);
    lua_setfield(L, 4, "replicas");
    lua_pushinteger(L, st.replicas);
    lua_setfield(L, 4, "ready");
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 3);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
      std::fprintf(stderr, "year_bench: %s: %s\n", script.c_str(), lua_tostring(L, -1));
      return -1;
    }
    if (lua_istable(L, -1)) {
      ++decisions;
      lua_getfield(L, -1, "replicas");
      if (lua_isinteger(L, -1))
        st.replicas = std::clamp<long>(static_cast<long>(lua_tointeger(L, -1)), 1, 20);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  lua_close(L);
  if (decisions == 0) {
    std::fprintf(stderr, "year_bench: %s never decided on the stub ctx\n", script.c_str());
    return -1;
  }
  return secs;
}

// Runs the floor in a child process: the CLI runs fork from this one, and the kernel counts the
// parent's resident pages in a child's peak RSS, so this process stays small.
double bare_lua_seconds(const std::string& script, bool metrics) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const double secs = bare_lua_seconds_here(script, metrics);
    _exit(secs >= 0 && write(fds[1], &secs, sizeof secs) == sizeof secs ? 0 : 1);
  }
  close(fds[1]);
  double secs = 0;
  const bool got = read(fds[0], &secs, sizeof secs) == sizeof secs;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "year_bench: the bare-Lua run of %s failed\n", script.c_str());
    std::exit(1);
  }
  return secs;
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("luascale-year-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string trace = (dir / "year.csv").string();
  {
    std::ofstream f(trace);
    f << "timestamp,requests_per_second\n";
    const std::vector<double> demand = year_demand();
    char line[64];
    for (long i = 0; i < kRows; ++i) {
      std::snprintf(line, sizeof line, "%ld,%.2f\n", 1672531200 + i * 15,
                    demand[static_cast<std::size_t>(i)]);
      f << line;
    }
  }
  const std::string hold = (dir / "hold.lua").string();
  std::ofstream(hold) << "return { decide = function(ctx) return nil end }\n";

  auto command = [&](const std::string& a, const std::string& b) {
    return std::vector<std::string>{"replay",   "examples/whatif/config.json",
                                    "--trace",  trace,
                                    "--policy", a,
                                    "--policy", b,
                                    "--jobs",   "2",
                                    "--quiet"};
  };
  Run policies, baseline;
  double bare_hpa = 1e9, bare_llm = 1e9;
  for (int round = 0; round < 3; ++round) {
    run_cli(command(hold, hold), baseline);
    run_cli(command("policies/hpa.lua", "examples/quickstart/llm.lua"), policies);
    bare_hpa = std::min(bare_hpa, bare_lua_seconds("policies/hpa.lua", true));
    bare_llm = std::min(bare_llm, bare_lua_seconds("examples/quickstart/llm.lua", false));
  }
  fs::remove_all(dir);
  const double bare = std::max(bare_hpa, bare_llm);

  std::printf("year_bench: %ld ticks (one year at 15 s) x 2 policies, closed loop, --jobs 2\n",
              kRows);
  std::printf("  hold-only policies (baseline)  %6.2f s wall  %6.2f s CPU  %6.1f MiB peak RSS\n",
              baseline.wall, baseline.cpu, static_cast<double>(baseline.rss_kib) / 1024);
  std::printf("  hpa.lua + llm.lua              %6.2f s wall  %6.2f s CPU  %6.1f MiB peak RSS\n",
              policies.wall, policies.cpu, static_cast<double>(policies.rss_kib) / 1024);
  std::printf("  stock Lua 5.4, decide() alone  hpa.lua %.2f s, llm.lua %.2f s (slower: %.2f s)\n",
              bare_hpa, bare_llm, bare);
  std::printf("  command / stock Lua            %6.2f x wall\n", policies.wall / bare);
  std::printf("  policies / baseline            %6.2f x wall  %6.2f x CPU\n",
              policies.wall / baseline.wall, policies.cpu / baseline.cpu);
  std::printf("  per tick and policy            %6.2f us CPU (baseline %.2f us)\n",
              policies.cpu / (2.0 * kRows) * 1e6, baseline.cpu / (2.0 * kRows) * 1e6);
  std::printf("  target: under 3 s wall %s, under 64 MiB %s  (best of 3 alternating rounds each)\n",
              policies.wall < 3 ? "met" : "MISSED",
              policies.rss_kib < 64 * 1024 ? "met" : "MISSED");
  return 0;
}
