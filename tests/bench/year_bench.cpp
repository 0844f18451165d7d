// One year at 15 s (2,102,400 ticks) through two policies, closed loop, run the way a user runs it:
//   luascale replay examples/whatif/config.json --trace YEAR.csv --policy policies/hpa.lua
//            --policy examples/quickstart/llm.lua --jobs 2 --quiet
// Prints the command's wall seconds, CPU seconds and peak RSS, and, measured in the same run, the
// same command through two policies that always hold: the replay machinery alone (trace parsing,
// the closed-loop model, guardrails, summaries). Their ratio shows what the policies cost. Best of
// two alternating rounds each. Run from a Release build: `make bench`.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
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
    std::fprintf(stderr, "year_bench: %s exited with status %d\n", bin.c_str(), WEXITSTATUS(status));
    std::exit(1);
  }
  const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  best.wall = std::min(best.wall, wall);
  best.cpu = std::min(best.cpu, cpu);
  best.rss_kib = std::max(best.rss_kib, ru.ru_maxrss);
}

}  // namespace

int main() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("luascale-year-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string trace = (dir / "year.csv").string();
  {
    // The shape of tests/bench/year_trace.py: a daily sine plus seeded noise, in requests/s.
    std::ofstream f(trace);
    f << "timestamp,requests_per_second\n";
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> noise(0, 5);
    char line[64];
    for (long i = 0; i < kRows; ++i) {
      const long t = 1672531200 + i * 15;
      const double day = static_cast<double>(t % 86400) / 86400;
      std::snprintf(line, sizeof line, "%ld,%.2f\n", t, 20 + 15 * std::sin(2 * M_PI * day) + noise(rng));
      f << line;
    }
  }
  const std::string hold = (dir / "hold.lua").string();
  std::ofstream(hold) << "return { decide = function(ctx) return nil end }\n";

  auto command = [&](const std::string& a, const std::string& b) {
    return std::vector<std::string>{"replay", "examples/whatif/config.json", "--trace", trace, "--policy", a,
                                    "--policy", b, "--jobs", "2", "--quiet"};
  };
  Run policies, baseline;
  for (int round = 0; round < 2; ++round) {
    run_cli(command(hold, hold), baseline);
    run_cli(command("policies/hpa.lua", "examples/quickstart/llm.lua"), policies);
  }
  fs::remove_all(dir);

  std::printf("year_bench: %ld ticks (one year at 15 s) x 2 policies, closed loop, --jobs 2\n", kRows);
  std::printf("  hold-only policies (baseline)  %6.2f s wall  %6.2f s CPU  %6.1f MiB peak RSS\n",
              baseline.wall, baseline.cpu, static_cast<double>(baseline.rss_kib) / 1024);
  std::printf("  hpa.lua + llm.lua              %6.2f s wall  %6.2f s CPU  %6.1f MiB peak RSS\n", policies.wall,
              policies.cpu, static_cast<double>(policies.rss_kib) / 1024);
  std::printf("  policies / baseline            %6.2f x wall  %6.2f x CPU\n", policies.wall / baseline.wall,
              policies.cpu / baseline.cpu);
  std::printf("  per tick and policy            %6.2f us CPU (baseline %.2f us)\n",
              policies.cpu / (2.0 * kRows) * 1e6, baseline.cpu / (2.0 * kRows) * 1e6);
  std::printf("  target: under 3 s wall %s, under 64 MiB %s  (best of 2 alternating rounds each)\n",
              policies.wall < 3 ? "met" : "MISSED", policies.rss_kib < 64 * 1024 ? "met" : "MISSED");
  return 0;
}
