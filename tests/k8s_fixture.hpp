// tests/k8s_fixture.hpp — starts tests/k8s_api_server (HTTPS on a free loopback port, with a test
// CA made for it) and stops it when the fixture dies, even when the test fails. Also writes
// kubeconfigs for it and drives its /__test/ control endpoints.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "adapters/net/http_client.hpp"
#include "fixtures.hpp"
#include "test_pki.hpp"

extern char** environ;

namespace luascale::test {

class K8sTestServer {
 public:
  // seed_json: the server's --state file ({"tokens", "users", "objects"}).
  explicit K8sTestServer(const std::string& seed_json) : pki_(make_test_pki(dir_.path())) {
    auto seed = dir_.write("seed.json", seed_json);
    auto port_file = dir_.path() / "port";
    std::string script = (source_dir() / "tests/k8s_api_server/k8s_api_server.py").string();
    std::vector<std::string> args = {"python3",     script,
                                     "--cert",      pki_.server_cert.string(),
                                     "--key",       pki_.server_key.string(),
                                     "--client-ca", pki_.ca_cert.string(),
                                     "--state",     seed.string(),
                                     "--port-file", port_file.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // The server's output goes to a log file, so it never holds the test's stdout open.
    std::string log = (dir_.path() / "server.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    int rc = posix_spawnp(&pid_, "python3", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start python3");
    // Poll for the port file (the server writes it atomically once listening).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string p = read_file(port_file);
      if (!p.empty()) {
        port_ = std::stoi(p);
        break;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("k8s_api_server exited during start-up");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!port_) {
      stop();
      throw std::runtime_error("k8s_api_server did not start within 30s");
    }
  }
  ~K8sTestServer() { stop(); }
  K8sTestServer(const K8sTestServer&) = delete;
  K8sTestServer& operator=(const K8sTestServer&) = delete;

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  const TestPki& pki() const { return pki_; }
  const TempDir& dir() const { return dir_; }

  // A kubeconfig for this server; user_yaml is the body of users[0].user (indented 4 spaces).
  std::string kubeconfig(const std::string& user_yaml, const std::string& name = "kubeconfig",
                         const std::string& ns = "default") const {
    std::string text =
        "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n"
        "    server: " +
        url() + "\n    certificate-authority: " + pki_.ca_cert.string() +
        "\nusers:\n- name: u\n  user:\n" + user_yaml +
        "contexts:\n- name: test\n  context:\n    cluster: test\n    user: u\n"
        "    namespace: " +
        ns + "\ncurrent-context: test\n";
    return dir_.write(name, text).string();
  }
  std::string token_kubeconfig(const std::string& token,
                               const std::string& name = "kubeconfig") const {
    return kubeconfig("    token: " + token + "\n", name);
  }

  // Calls a /__test/ control endpoint; returns the body, throws on failure.
  std::string control(const std::string& method, const std::string& path,
                      const std::string& body = "") const {
    net::HttpRequest req;
    req.method = method;
    req.url = url() + path;
    req.body = body;
    req.timeout = std::chrono::seconds(10);
    net::HttpClientOptions o;
    o.tls.ca_file = pki_.ca_cert.string();
    auto r = net::http_request_sync(req, o);
    if (!r.ok() || r.status != 200) throw std::runtime_error("control " + path + ": " + r.error);
    return r.body;
  }

 private:
  TempDir dir_;
  TestPki pki_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace luascale::test
