// engine/shadow/shadow_log_writer.cpp — see shadow_log_writer.hpp.
#include "engine/shadow/shadow_log_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "engine/loop/run_log.hpp"
#include "engine/shadow/shadow_log.hpp"

namespace luascale {
namespace {

std::string errno_text(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

const std::string& header_line() {
  static const std::string h = std::string(kShadowLogHeader) + "\n";
  return h;
}

const char* kNotOurs =
    "not a shadow log (its first line is not luascale's shadow log header); luascale appends only "
    "to a shadow log it created: name another file, or remove this one";

// "" when the open file's first line is the header (or the file is empty); else why not.
std::string check_open(int fd, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (st.st_size == 0) return "";
  const std::string& h = header_line();
  std::string head(h.size(), '\0');
  const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  if (n < 0) return errno_text(errno);
  if (static_cast<std::size_t>(n) != h.size() || head != h) return kNotOurs;
  return "";
}

// Opens `path` for appending, never through a symbolic link nor blocking on a pipe.
int open_append(const std::string& path, int extra_flags, std::string* error) {
  const int fd =
      ::open(path.c_str(),
             O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | extra_flags, 0644);
  if (fd < 0)
    *error = errno == ELOOP ? "is a symbolic link; a shadow log is written only to the file itself"
                            : errno_text(errno);
  return fd;
}

std::string write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_text(errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return "";
}

}  // namespace

ShadowLogWriter::ShadowLogWriter(std::uint64_t max_bytes)
    : max_bytes_(max_bytes), thread_([this] { loop(); }) {}

ShadowLogWriter::~ShadowLogWriter() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void ShadowLogWriter::append(const std::string& path, std::string line) {
  std::lock_guard<std::mutex> lk(mu_);
  if (pending_bytes_ + line.size() > kMaxPendingBytes) {
    ++errors_;
    if (!dropping_)
      log_event("error", "", "shadow_log",
                "shadow log lines are dropped: the disk is not keeping up (" + path + ")");
    dropping_ = true;
    return;
  }
  dropping_ = false;
  pending_bytes_ += line.size();
  pending_[path] += line;
  ++submitted_;
  cv_.notify_all();
}

void ShadowLogWriter::flush() {
  std::unique_lock<std::mutex> lk(mu_);
  const std::uint64_t mine = submitted_;
  done_cv_.wait(lk, [&] { return written_ >= mine; });
}

void ShadowLogWriter::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return quit_ || !pending_.empty(); });
    if (pending_.empty()) return;  // quitting with nothing left to write
    std::map<std::string, std::string> batch;
    batch.swap(pending_);
    pending_bytes_ = 0;
    const std::uint64_t upto = submitted_;
    lk.unlock();
    for (const auto& [path, data] : batch) {
      const std::string err = write_batch(path, data);
      auto last = failures_.find(path);
      if (!err.empty()) {
        std::size_t lines = 0;
        for (char c : data) lines += c == '\n';
        errors_ += lines;
        if (last == failures_.end() || last->second != err)  // each new error once
          log_event("error", "", "shadow_log", "shadow log " + path + ": " + err);
        failures_[path] = err;
      } else if (last != failures_.end()) {
        log_event("info", "", "shadow_log", "shadow log " + path + ": writing again");
        failures_.erase(last);
      }
    }
    lk.lock();
    written_ = upto;
    done_cv_.notify_all();
  }
}

std::string ShadowLogWriter::write_batch(const std::string& path, const std::string& data) {
  std::string err;
  int fd = open_append(path, 0, &err);
  if (fd < 0) return err;
  struct stat st {};
  if (::fstat(fd, &st) != 0) err = errno_text(errno);
  if (err.empty()) err = check_open(fd, st);
  if (!err.empty()) {
    ::close(fd);
    return err;
  }
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  if (size > header_line().size() && size + data.size() > max_bytes_) {
    // Rotate: the full file keeps its lines as "<path>.1"; a new one starts with the header.
    ::close(fd);
    if (::rename(path.c_str(), (path + ".1").c_str()) != 0)
      return "cannot rotate to " + path + ".1: " + errno_text(errno);
    fd = open_append(path, O_EXCL, &err);
    if (fd < 0) return err;
    st.st_size = 0;
  }
  err = write_all(fd, st.st_size == 0 ? header_line() + data : data);
  ::close(fd);
  return err;
}

std::string ShadowLogWriter::check(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return path + ": " + errno_text(errno);
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
      return path + ": its folder " + dir.string() + " does not exist";
    return "";
  }
  if (S_ISLNK(st.st_mode))
    return path + ": is a symbolic link; a shadow log is written only to the file itself";
  if (!S_ISREG(st.st_mode)) return path + ": not a regular file";
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return path + ": " + errno_text(errno);
  std::string err = ::fstat(fd, &st) == 0 ? check_open(fd, st) : errno_text(errno);
  ::close(fd);
  return err.empty() ? "" : path + ": " + err;
}

}  // namespace luascale
