// `luascale run` at scale: 1,000 policies on a 1 s interval, each reading a list length from one
// real redis-server, the file actuator writing their counts. Reports tick lag (p50/p99 from the
// luascale_tick_lag_seconds histogram), CPU share and RSS after a warm-up, and the idle RSS of a
// single policy, against the targets (p99 lag < 100 ms, RSS < 64 MiB, idle < 16 MiB).
// Needs redis-server on PATH. LUASCALE_BENCH_SECONDS sets the measured period (default 30),
// LUASCALE_BENCH_WARMUP the warm-up before it (default 10; 330 for the steady state).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  int port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* f = std::fopen(log.c_str(), "w");
    if (f) {
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string http_get(int port, const std::string& path) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(s);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ::send(s, req.data(), req.size(), 0);
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(s, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(s);
  return out;
}

double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  std::istringstream ss(stat.substr(stat.rfind(')') + 2));
  std::string f;
  std::vector<std::string> fields;
  while (ss >> f) fields.push_back(f);
  if (fields.size() < 13) return 0;
  return (std::stod(fields[11]) + std::stod(fields[12])) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double rss_mib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// Sums the tick-lag histogram over all policies: bucket bound -> cumulative count.
std::map<double, double> lag_buckets(const std::string& metrics) {
  std::map<double, double> b;
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("luascale_tick_lag_seconds_bucket{", 0) != 0) continue;
    auto le = line.find("le=\"");
    auto q = line.find('"', le + 4);
    std::string bound = line.substr(le + 4, q - le - 4);
    double v = std::stod(line.substr(line.rfind(' ') + 1));
    b[bound == "+Inf" ? 1e9 : std::stod(bound)] += v;
  }
  return b;
}

double quantile(const std::map<double, double>& now, const std::map<double, double>& before,
                double q) {
  double total = now.rbegin()->second - (before.empty() ? 0 : before.rbegin()->second);
  for (const auto& [bound, c] : now) {
    double prev = before.count(bound) ? before.at(bound) : 0;
    if (c - prev >= q * total) return bound;
  }
  return 1e9;
}

struct Run {
  pid_t pid;
  int port;
};

Run start_run(const std::string& dir, const std::string& config) {
  Run r{0, free_port()};
  r.pid = spawn({LUASCALE_BINARY, "run", config, "--listen", "127.0.0.1:" + std::to_string(r.port),
                 "--no-reload", "--state", dir + "/state.json"},
                dir + "/run.log");
  for (int i = 0; i < 200 && http_get(r.port, "/healthz").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return r;
}

void write_config(const std::string& path, int policies, int redis_port, const std::string& dir) {
  std::ofstream out(path);
  out << "{\"policies\": [\n";
  for (int i = 0; i < policies; ++i) {
    out << (i ? ",\n" : "") << "{\"name\": \"p" << i << "\", \"script\": \"" << LUASCALE_SOURCE_DIR
        << "/policies/queue.lua\", \"params\": {\"signal\": \"q\", \"per_replica\": 10, \"min\": "
           "1}, "
        << "\"interval\": \"1s\", \"target\": {\"kind\": \"file\", \"path\": \"" << dir << "/count-"
        << i << "\", \"replicas\": 1}, \"maxReplicas\": 50, "
        << "\"signals\": {\"q\": {\"source\": \"redis\", \"url\": \"redis://127.0.0.1:"
        << redis_port << "/0\", \"command\": \"llen\", \"key\": \"queue-" << i % 50 << "\"}}}";
  }
  out << "\n], \"server\": {\"listen\": \"127.0.0.1:0\"}}\n";
}

}  // namespace

int main() {
  int seconds =
      std::getenv("LUASCALE_BENCH_SECONDS") ? std::atoi(std::getenv("LUASCALE_BENCH_SECONDS")) : 30;
  int warmup =
      std::getenv("LUASCALE_BENCH_WARMUP") ? std::atoi(std::getenv("LUASCALE_BENCH_WARMUP")) : 10;
  std::string dir =
      (fs::temp_directory_path() / ("luascale-run-bench-" + std::to_string(::getpid()))).string();
  fs::create_directories(dir);
  int redis_port = free_port();
  pid_t redis = spawn({"redis-server", "--port", std::to_string(redis_port), "--bind", "127.0.0.1",
                       "--save", "", "--appendonly", "no"},
                      dir + "/redis.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // Idle: one policy.
  write_config(dir + "/one.json", 1, redis_port, dir);
  Run one = start_run(dir, dir + "/one.json");
  std::this_thread::sleep_for(std::chrono::seconds(5));
  double idle_rss = rss_mib(one.pid);
  ::kill(one.pid, SIGTERM);
  ::waitpid(one.pid, nullptr, 0);

  // Load: 1,000 policies.
  write_config(dir + "/many.json", 1000, redis_port, dir);
  Run many = start_run(dir, dir + "/many.json");
  // Warm-up. The steady state needs more than 300 s: the policies keep HPA's 300 s scale-down
  // window of recommendations (LUASCALE_BENCH_WARMUP=330 measures after it is full).
  std::this_thread::sleep_for(std::chrono::seconds(warmup));
  auto before = lag_buckets(http_get(many.port, "/metrics"));
  double cpu0 = cpu_seconds(many.pid);
  double rss_start = rss_mib(many.pid);
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  std::string metrics = http_get(many.port, "/metrics");
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = (cpu_seconds(many.pid) - cpu0) / wall;
  double rss_end = rss_mib(many.pid);
  auto after = lag_buckets(metrics);
  ::kill(many.pid, SIGTERM);
  ::waitpid(many.pid, nullptr, 0);
  ::kill(redis, SIGTERM);
  ::waitpid(redis, nullptr, 0);

  double ticks =
      after.empty() ? 0 : after.rbegin()->second - (before.empty() ? 0 : before.rbegin()->second);
  std::printf(
      "run_bench: 1000 policies, 1 s interval, one redis-server, %d s measured after %d s "
      "warm-up\n",
      seconds, warmup);
  if (after.empty()) {
    std::printf("  no metrics (see %s/run.log)\n", dir.c_str());
    return 1;
  }
  double p50 = quantile(after, before, 0.5), p99 = quantile(after, before, 0.99);
  std::printf("  ticks            %10.0f  (%.0f per second; ideal 1000)\n", ticks, ticks / wall);
  std::printf(
      "  tick lag p50  <= %8.3f s   p99 <= %.3f s  (target p99 < 0.100 s: %.2fx of target)\n", p50,
      p99, p99 / 0.1);
  std::printf("  CPU              %9.1f %% of one core\n", 100 * cpu);
  std::printf(
      "  RSS              %9.1f MiB at start, %.1f MiB at end (ratio %.2f; target < 64 MiB: "
      "%.2fx)\n",
      rss_start, rss_end, rss_end / rss_start, rss_end / 64);
  std::printf("  idle RSS, 1 policy %7.1f MiB (target < 16 MiB: %.2fx)\n", idle_rss, idle_rss / 16);
  fs::remove_all(dir);
  return 0;
}
