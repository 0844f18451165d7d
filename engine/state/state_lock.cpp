// engine/state/state_lock.cpp — see state_lock.hpp.
#include "engine/state/state_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace luascale {

namespace {

std::string errno_text(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// The pid the holder wrote, or "" when the file holds none (yet).
std::string holder_pid(int fd) {
  char buf[32];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != std::string::npos)
    return "";
  return text;
}

}  // namespace

std::unique_ptr<StateLock> StateLock::acquire(const std::string& state_file, std::string* error) {
  const std::string path = state_file + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (error)
      *error = path + ": cannot open the state file's lock: " +
               (err == ELOOP ? std::string("is a symbolic link") : errno_text(err));
    return nullptr;
  }
  // The lock file is this process's own: a file someone else owns, or one with other names
  // (a hard link to a file elsewhere), is never truncated.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
      st.st_uid != ::geteuid()) {
    const int err = errno;
    if (error)
      *error = path + ": not used as the state file's lock: " +
               (st.st_mode == 0        ? errno_text(err)
                : !S_ISREG(st.st_mode) ? std::string("not a regular file")
                : st.st_nlink != 1     ? std::string("it has other names (hard links)")
                                       : std::string("owned by another user"));
    ::close(fd);
    return nullptr;
  }
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    if (error) {
      if (err == EWOULDBLOCK) {
        const std::string pid = holder_pid(fd);
        *error = state_file + ": in use by another luascale run (" +
                 (pid.empty() ? std::string("pid unknown") : "pid " + pid) + ", lock file " + path +
                 "); one process per state file: give each replica its own state file, or run "
                 "one";
      } else {
        *error = path + ": cannot lock: " + errno_text(err);
      }
    }
    ::close(fd);
    return nullptr;
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    if (error) *error = path + ": cannot write the pid: " + errno_text(err);
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<StateLock>(new StateLock(fd, path));
}

StateLock::~StateLock() {
  ::close(fd_);
}

}  // namespace luascale
