// tests/servers.hpp — real servers for tests: a child-process guard, free loopback ports, bounded
// polling, redis-server and prometheus on loopback, and a scripted raw TCP peer. Everything a test
// starts is stopped by a destructor, so a failing assertion still cleans up.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "fixtures.hpp"

extern char** environ;

namespace luascale::test {

// A port on 127.0.0.1 nothing listens on right now (the kernel's pick, released at once).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Polls pred every 20 ms until it holds or the deadline passes; returns its last result.
inline bool wait_until(const std::function<bool()>& pred,
                       std::chrono::milliseconds deadline = std::chrono::seconds(15)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// True when something accepts TCP connections on 127.0.0.1:port.
inline bool port_open(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A child process (no shell) with stdout+stderr in a log file; SIGTERM, then SIGKILL, on stop.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& log) : log_(log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  }
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Stops the process (SIGTERM, SIGKILL after 5 s) and reaps it. Idempotent.
  void stop(int sig = SIGTERM) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    if (!wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                    std::chrono::seconds(5))) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  bool running() const {
    if (pid_ <= 0) return false;
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == 0;
  }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_file(log_); }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// redis-server on 127.0.0.1:port (or a TLS port), no persistence, data in a temp dir.
class RedisServer {
 public:
  // extra: more "--option value" arguments (e.g. {"--requirepass", "s3cret"}).
  explicit RedisServer(std::vector<std::string> extra = {}, std::uint16_t port = 0)
      : port_(port ? port : free_port()), extra_(std::move(extra)) {
    start();
  }
  void start() {
    std::vector<std::string> argv = {
        "redis-server", "--bind", "127.0.0.1",          "--save",           "",  "--appendonly",
        "no",           "--dir",  dir_.path().string(), "--protected-mode", "no"};
    bool tls = false;
    for (const auto& e : extra_) tls = tls || e == "--tls-port";
    argv.push_back("--port");
    argv.push_back(tls ? "0" : std::to_string(port_));
    if (tls) {
      argv.push_back("--tls-port");
      argv.push_back(std::to_string(port_));
    }
    for (const auto& e : extra_)
      if (e != "--tls-port") argv.push_back(e);
    proc_ = std::make_unique<ChildProcess>(argv, dir_.path() / "redis.log");
    if (!wait_until([&] { return port_open(port_) || !proc_->running(); }) || !proc_->running())
      throw std::runtime_error("redis-server did not start:\n" + proc_->log());
  }
  void stop() { proc_.reset(); }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& userinfo = "", int db = -1) const {
    return "redis://" + (userinfo.empty() ? "" : userinfo + "@") +
           "127.0.0.1:" + std::to_string(port_) + (db >= 0 ? "/" + std::to_string(db) : "");
  }
  // Runs redis-cli against the server; returns its output (trailing newline dropped).
  std::string cli(const std::string& args, const std::string& auth = "") const {
    std::string out;
    run_command("redis-cli -h 127.0.0.1 -p " + std::to_string(port_) +
                    (auth.empty() ? "" : " --no-auth-warning -a " + auth) + " " + args,
                &out);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::vector<std::string> extra_;
  std::unique_ptr<ChildProcess> proc_;
};

// prometheus on 127.0.0.1:port with the given prometheus.yml, TSDB in a temp dir. extra: more
// flags (e.g. "--web.config.file=..."). Waits until the port accepts connections.
class PrometheusServer {
 public:
  explicit PrometheusServer(const std::string& config_yaml, std::vector<std::string> extra = {})
      : port_(free_port()) {
    auto config = dir_.write("prometheus.yml", config_yaml);
    std::vector<std::string> argv = {"prometheus", "--config.file=" + config.string(),
                                     "--storage.tsdb.path=" + (dir_.path() / "data").string(),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--log.level=warn"};
    for (auto& e : extra) argv.push_back(e);
    proc_ = std::make_unique<ChildProcess>(argv, dir_.path() / "prometheus.log");
    if (!wait_until([&] { return port_open(port_) || !proc_->running(); },
                    std::chrono::seconds(30)) ||
        !proc_->running())
      throw std::runtime_error("prometheus did not start:\n" + proc_->log());
  }
  std::uint16_t port() const { return port_; }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }
  std::string log() const { return proc_->log(); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> proc_;
};

// A raw TCP peer on 127.0.0.1 for protocol misbehaviour: each accepted connection is handed to
// `serve` on a background thread (which gets the connected fd). Stops and joins in the destructor.
class RawTcpServer {
 public:
  explicit RawTcpServer(std::function<void(int fd)> serve, bool accept_connections = true)
      : serve_(std::move(serve)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0)
      throw std::runtime_error("RawTcpServer: bind/listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    // Without accepting, the kernel still completes handshakes into the backlog: a peer that
    // connects fine and then never answers.
    if (accept_connections) thread_ = std::thread([this] { loop(); });
  }
  ~RawTcpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void loop() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      serve_(c);
      ::close(c);
    }
  }
  std::function<void(int)> serve_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace luascale::test
