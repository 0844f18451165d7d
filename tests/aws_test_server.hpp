// tests/aws_test_server.hpp — starts tests/aws_asg_server/server.js (the fake Auto Scaling /
// STS / IMDS endpoint that checks SigV4 with the npm aws4 package) on a free loopback port for
// one test, after `npm ci` into a private directory, and stops it when the object dies.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

#include "adapters/net/http_client.hpp"
#include "engine/core/value.hpp"
#include "fixtures.hpp"

namespace luascale::test {

class AwsTestServer {
 public:
  AwsTestServer() {
    const auto src = source_dir() / "tests/aws_asg_server";
    for (const char* f : {"package.json", "package-lock.json", "server.js", "metric_services.js"}) {
      std::filesystem::copy_file(src / f, dir_.path() / f);
    }
    std::string out;
    const std::string npm = "cd '" + dir_.path().string() +
                            "' && npm ci --prefer-offline --no-audit --no-fund --loglevel=error";
    if (run_command(npm, &out) != 0) throw std::runtime_error("npm ci failed: " + out);
    const auto port_file = dir_.path() / "port";
    const auto log_file = dir_.path() / "server.log";
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test takes its server with it
      if (chdir(dir_.path().c_str()) != 0) _exit(127);
      FILE* log = std::fopen(log_file.c_str(), "w");
      if (log) {
        dup2(fileno(log), 1);
        dup2(fileno(log), 2);
      }
      execlp("node", "node", "server.js", "--port-file", port_file.c_str(), nullptr);
      _exit(127);
    }
    // Poll for the port file, with a deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = read_file(port_file);
      if (!text.empty()) {
        port_ = std::stoi(text);
        return;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("aws test server exited: " + read_file(log_file));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("aws test server did not start: " + read_file(log_file));
  }
  ~AwsTestServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  AwsTestServer(const AwsTestServer&) = delete;
  AwsTestServer& operator=(const AwsTestServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const { return dir_.path(); }

  // A control call; returns the parsed JSON answer.
  Value control(const std::string& path, const std::string& json_body = "") const {
    net::HttpRequest req;
    req.method = json_body.empty() ? "GET" : "POST";
    req.url = url() + "/_control/" + path;
    req.body = json_body;
    if (!json_body.empty()) req.headers = {{"Content-Type", "application/json"}};
    req.timeout = std::chrono::seconds(10);
    const auto r = net::http_request_sync(std::move(req));
    if (!r.ok() || r.status != 200) {
      throw std::runtime_error("control " + path + ": " + (r.ok() ? r.body : r.error));
    }
    return parse_json(r.body);
  }
  Value state() const { return control("state"); }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace luascale::test
