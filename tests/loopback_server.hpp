// tests/loopback_server.hpp — a scriptable HTTP/1.1 server on 127.0.0.1 for client tests, on raw
// sockets (optionally TLS through an OpenSSL SSL_CTX), so a test can make it misbehave exactly:
// hang, close before replying, send chunked or oversized bodies. One thread per connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace luascale::test {

struct RawRequest {
  std::string method;
  std::string target;
  std::string head;  // request line and headers, as received
  std::string body;
  int connection = 0;  // 0-based index of the TCP connection this arrived on
  int index = 0;       // 0-based index of the request on its connection

  // Value of a header (case-insensitive name), or "".
  std::string header(const std::string& name) const {
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
      pos += 2;
      auto colon = head.find(':', pos);
      auto eol = head.find("\r\n", pos);
      if (colon == std::string::npos || colon > eol) continue;
      std::string n = head.substr(pos, colon - pos);
      if (n.size() != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < n.size(); ++i)
        same = same && std::tolower(static_cast<unsigned char>(n[i])) ==
                           std::tolower(static_cast<unsigned char>(name[i]));
      if (!same) continue;
      std::string v = head.substr(colon + 1, eol - colon - 1);
      while (!v.empty() && v.front() == ' ') v.erase(0, 1);
      return v;
    }
    return "";
  }
};

// What the server does with one request.
struct ScriptedReply {
  std::string bytes;         // raw response bytes to send
  bool close_after = false;  // close the connection after sending
  bool hang = false;         // send nothing and keep the connection open until the server stops
};

// A complete response with Content-Length.
inline std::string http_response(int status, const std::string& body,
                                 const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" +
         body;
}

class LoopbackServer {
 public:
  using Handler = std::function<ScriptedReply(const RawRequest&)>;

  // tls: a server SSL_CTX (not owned; must outlive the server) or nullptr for plain HTTP.
  explicit LoopbackServer(Handler handler, SSL_CTX* tls = nullptr)
      : handler_(std::move(handler)), tls_(tls) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0)
      throw std::runtime_error("loopback server: bind/listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~LoopbackServer() {
    stop_ = true;
    accept_thread_.join();
    ::close(listen_fd_);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      for (int fd : conn_fds_) ::shutdown(fd, SHUT_RDWR);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
    for (int fd : conn_fds_) ::close(fd);
  }

  std::uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections_accepted() const { return accepted_.load(); }
  int requests_seen() const { return requests_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      timeval tv{0, 50 * 1000};  // lets blocked reads notice stop_
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      int index = accepted_++;
      std::lock_guard lock(mu_);
      conn_fds_.push_back(fd);
      threads_.emplace_back([this, fd, index] { serve(fd, index); });
    }
  }

  // Reads some bytes; 0 on EOF/error/stop.
  long read_some(int fd, SSL* ssl, char* buf, int n) {
    while (!stop_) {
      if (ssl) {
        int r = SSL_read(ssl, buf, n);
        if (r > 0) return r;
        int err = SSL_get_error(ssl, r);
        if (err == SSL_ERROR_WANT_READ) continue;
        return 0;
      }
      long r = ::recv(fd, buf, static_cast<std::size_t>(n), 0);
      if (r > 0) return r;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
      return 0;
    }
    return 0;
  }

  void write_all(int fd, SSL* ssl, const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      long w = ssl ? SSL_write(ssl, bytes.data() + off, static_cast<int>(bytes.size() - off))
                   : ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return;
      off += static_cast<std::size_t>(w);
    }
  }

  void serve(int fd, int conn_index) {
    SSL* ssl = nullptr;
    if (tls_) {
      ssl = SSL_new(tls_);
      SSL_set_fd(ssl, fd);
      for (;;) {
        int r = SSL_accept(ssl);
        if (r == 1) break;
        if (SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ && !stop_) continue;
        SSL_free(ssl);
        ::close(fd);
        return;
      }
    }
    std::string in;
    char buf[16384];
    for (int req_index = 0;; ++req_index) {
      std::size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        long n = read_some(fd, ssl, buf, sizeof buf);
        if (n <= 0) return finish(fd, ssl);
        in.append(buf, static_cast<std::size_t>(n));
        if (!ssl && in[0] == 0x16) {  // a TLS ClientHello: answer as HTTP servers do
          write_all(fd, ssl, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
          return finish(fd, ssl);
        }
      }
      RawRequest req;
      req.head = in.substr(0, head_end + 2);
      req.connection = conn_index;
      req.index = req_index;
      auto sp1 = req.head.find(' ');
      auto sp2 = req.head.find(' ', sp1 + 1);
      req.method = req.head.substr(0, sp1);
      req.target = req.head.substr(sp1 + 1, sp2 - sp1 - 1);
      std::string cl = req.header("Content-Length");
      std::size_t length = cl.empty() ? 0 : std::stoul(cl);
      while (in.size() < head_end + 4 + length) {
        long n = read_some(fd, ssl, buf, sizeof buf);
        if (n <= 0) return finish(fd, ssl);
        in.append(buf, static_cast<std::size_t>(n));
      }
      req.body = in.substr(head_end + 4, length);
      in.erase(0, head_end + 4 + length);
      ++requests_;
      ScriptedReply reply = handler_(req);
      if (reply.hang) {
        while (read_some(fd, ssl, buf, sizeof buf) > 0) {
        }
        return finish(fd, ssl);
      }
      write_all(fd, ssl, reply.bytes);
      if (reply.close_after) return finish(fd, ssl);
    }
  }

  void finish(int fd, SSL* ssl) {
    if (ssl) SSL_free(ssl);  // no close_notify: a plain TCP close, as a crashed server gives
    ::shutdown(fd, SHUT_RDWR);
  }

  Handler handler_;
  SSL_CTX* tls_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> conn_fds_;  // closed by the destructor, after the threads end
  std::vector<std::thread> threads_;

 public:
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
};

}  // namespace luascale::test
