// engine/shadow/shadow_log_writer.hpp — appends shadow log lines (shadow_log.hpp) to their files
// on a thread of its own, so the loop never waits for the disk, as files luascale owns: a new
// file starts with the header; an existing one is appended to only while its first line is that
// header; nothing is written through a symbolic link or to anything but a regular file; a file
// that would pass its size bound is rotated first (it becomes "<path>.1", replacing the previous
// "<path>.1", and a new file starts), so a log takes at most twice the bound on disk. Lines are
// appended with one write(2) per file and batch and not fsynced: a crash may lose the last
// moments, never tear an earlier line.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace luascale {

class ShadowLogWriter {
 public:
  static constexpr std::uint64_t kDefaultMaxBytes = 64ull << 20;  // per file, before rotation
  static constexpr std::size_t kMaxPendingBytes = 16u << 20;      // queued beyond this: dropped

  explicit ShadowLogWriter(std::uint64_t max_bytes = kDefaultMaxBytes);
  ~ShadowLogWriter();  // writes what is pending, then joins
  ShadowLogWriter(const ShadowLogWriter&) = delete;
  ShadowLogWriter& operator=(const ShadowLogWriter&) = delete;

  // Queues `line` (ending in '\n') for the file at `path`. Never blocks on the disk: a line that
  // finds kMaxPendingBytes already waiting is dropped and counted in errors().
  void append(const std::string& path, std::string line);
  // Returns once every line appended before the call has been written (or has failed).
  void flush();
  // Lines not written (the file refused or failing, or dropped), since the writer started.
  std::uint64_t errors() const { return errors_.load(); }

  // "" when `path` can be used as a shadow log: absent in an existing folder, empty, or a
  // regular file whose first line is the header. Else why not, naming the path.
  static std::string check(const std::string& path);

 private:
  void loop();
  // Appends `data` (whole lines) to `path`; "" or why not.
  std::string write_batch(const std::string& path, const std::string& data);

  const std::uint64_t max_bytes_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::map<std::string, std::string> pending_;  // path -> lines not written yet
  std::size_t pending_bytes_ = 0;
  std::uint64_t submitted_ = 0, written_ = 0;
  bool quit_ = false;
  bool dropping_ = false;                        // lines are being dropped (logged once)
  std::map<std::string, std::string> failures_;  // path -> the error last logged (writer thread)
  std::atomic<std::uint64_t> errors_{0};
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace luascale
