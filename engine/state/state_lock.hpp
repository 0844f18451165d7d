// engine/state/state_lock.hpp — one owner per state file: `luascale run` holds an exclusive
// flock(2) on "<state file>.lock" for as long as it runs, with its pid written in the file, so a
// second copy started on the same state file stops at once and names the holder. The kernel drops
// the lock when the holder exits, however it exits (SIGKILL included); the lock file stays.
#pragma once

#include <memory>
#include <string>

namespace luascale {

class StateLock {
 public:
  // Takes the lock of `state_file` (creating "<state_file>.lock", mode 0600, never through a
  // symbolic link; an existing one must be a regular file of this user with no other name)
  // without waiting. nullptr + *error when another process holds it: "<state file>: in use by
  // another luascale run (pid 4242, lock file <state file>.lock); ...".
  static std::unique_ptr<StateLock> acquire(const std::string& state_file, std::string* error);
  ~StateLock();  // releases the lock
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  StateLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace luascale
