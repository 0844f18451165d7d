// common/files/file_replace.cpp — see file_replace.hpp.
#include "common/files/file_replace.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace luascale::files {

namespace {

std::string errno_text(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

std::string folder_of(const std::string& path) {
  const std::filesystem::path p(path);
  return p.parent_path().empty() ? std::string(".") : p.parent_path().string();
}

std::string name_of(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string kind_text(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a named pipe";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Why `path` (as lstat saw it) may not be replaced; "" when it may.
std::string refusal(const std::string& path, const struct stat& st) {
  if (S_ISLNK(st.st_mode)) {
    std::string to;
    std::vector<char> buf(4096);
    const ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size() - 1);
    if (n > 0) to = " (to " + std::string(buf.data(), static_cast<std::size_t>(n)) + ")";
    return path + ": is a symbolic link" + to +
           "; luascale replaces only regular files and never writes through a link: name the "
           "file itself";
  }
  if (!S_ISREG(st.st_mode)) return path + ": is " + kind_text(st.st_mode) + ", not a file";
  return "";
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The pid in a temp file name after `prefix` ("<pid>" or "<pid>.<suffix>"); -1 when none.
long temp_owner_pid(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string rest = name.substr(prefix.size());
  const std::string digits = rest.substr(0, rest.find('.'));
  if (digits.empty() || digits.size() > 9 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return -1;
  if (digits.size() != rest.size() && rest.size() - digits.size() != 7) return -1;  // ".XXXXXX"
  return std::stol(digits);
}

}  // namespace

std::string check_replaceable(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return "";
    return path + ": " + errno_text(errno);
  }
  return refusal(path, st);
}

std::string replace_file(const std::string& path, std::string_view text,
                         const ReplaceOptions& options) {
  struct stat st {};
  bool exists = false;
  if (::lstat(path.c_str(), &st) == 0) {
    if (std::string why = refusal(path, st); !why.empty()) return why;
    exists = true;
  } else if (errno != ENOENT) {
    return path + ": " + errno_text(errno);
  }
  const std::string dir = folder_of(path);
  std::string tmp = (std::filesystem::path(dir) /
                     ("." + name_of(path) + ".tmp." + std::to_string(::getpid()) + ".XXXXXX"))
                        .string();
  // mkostemp: O_CREAT|O_EXCL with a random suffix, mode 0600; an existing file or link at the
  // name is never opened.
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return "create a temp file in " + dir + ": " + errno_text(errno);
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return tmp + ": " + what + ": " + errno_text(err);
  };
  const mode_t mode = exists ? (st.st_mode & 07777) : options.new_file_mode;
  if (::fchmod(fd, mode) != 0) return fail("chmod");
  if (exists && (st.st_uid != ::geteuid() || st.st_gid != ::getegid())) {
    // Keep the owner when this process may (root); otherwise the file becomes this user's.
    if (::fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM) return fail("chown");
    if (::fchmod(fd, mode) != 0) return fail("chmod");  // chown may clear set-id bits
  }
  if (!write_all(fd, text)) return fail("write");
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return tmp + ": close: " + errno_text(err);
  }
  // rename replaces the target's directory entry: were a link planted there since the check
  // above, the link itself is replaced, never the file it points to.
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return "rename " + tmp + " -> " + path + ": " + errno_text(err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // the rename itself survives a crash
    ::close(dfd);
  }
  return "";
}

std::size_t remove_stale_temp_files(const std::string& path) {
  const std::string dir = folder_of(path);
  const std::string name = name_of(path);
  const std::string prefixes[] = {"." + name + ".tmp.", name + ".tmp."};
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string entry = e.path().filename().string();
    long pid = -1;
    for (const auto& prefix : prefixes)
      if (pid < 0) pid = temp_owner_pid(entry, prefix);
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or unknown
    struct stat st {};
    const std::string full = e.path().string();
    if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
      continue;
    if (::unlink(full.c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace luascale::files
