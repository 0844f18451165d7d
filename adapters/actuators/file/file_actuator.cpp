// adapters/actuators/file/file_actuator.cpp — the count file: atomic replace on apply, parse on
// read. A reader of the file sees either the old or the new count, never a partial write; only
// the target's own directory entry is ever written (common/files/file_replace), and a target that
// is a symbolic link, a directory or another non-regular file is refused, on read and on write.
#include "adapters/actuators/file/file_actuator.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "adapters/common/options.hpp"
#include "common/files/file_replace.hpp"

namespace luascale::actuators {

namespace {

std::string errno_text(int err = errno) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// The count file's text, at most 64 bytes of it; "" or the error. The final path component is
// never followed (O_NOFOLLOW) and a named pipe cannot block the read (O_NONBLOCK, then fstat).
std::string read_count_text(const std::string& path, std::string& text, bool& missing) {
  missing = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) missing = true;
    if (err == ELOOP) return files::check_replaceable(path);  // names the link and its target
    return "cannot read " + path + ": " + errno_text(err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd);
    if (S_ISDIR(st.st_mode)) return path + ": is a directory, not a count file";
    if (st.st_mode != 0) return path + ": is not a regular file";
    return "cannot read " + path + ": " + errno_text(err);
  }
  char buf[64];
  std::size_t got = 0;
  while (got < sizeof buf) {
    const ssize_t n = ::read(fd, buf + got, sizeof buf - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return "cannot read " + path + ": " + errno_text(err);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.assign(buf, got);
  return "";
}

class FileActuator final : public Actuator {
 public:
  FileActuator(boost::asio::io_context& io, std::string path, std::optional<std::int64_t> initial)
      : io_(io), path_(std::move(path)), initial_(initial) {}

  void read(std::function<void(ReadOutcome)> done) override {
    ReadOutcome out = read_now();
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)] { done(out); });
  }

  void apply(std::int64_t desired, const ActuationInfo&,
             std::function<void(ApplyOutcome)> done) override {
    ApplyOutcome out;
    std::string error = write_count_atomically(path_, desired);
    if (error.empty()) {
      out.ok = true;
      out.applied = desired;
    } else {
      out.error = "file: " + error;
    }
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)] { done(out); });
  }

 private:
  ReadOutcome read_now() const {
    ReadOutcome out;
    std::string text;
    bool missing = false;
    if (std::string error = read_count_text(path_, text, missing); !error.empty()) {
      if (missing && initial_)
        out.state = TargetState{*initial_, *initial_, std::nullopt, std::nullopt};
      else
        out.error = "file: " + error;
      return out;
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    std::size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    text.erase(0, i);
    std::int64_t n = 0;
    bool ok = !text.empty() && text.size() <= 18;
    for (char c : text) ok = ok && c >= '0' && c <= '9';
    if (ok) n = std::stoll(text);
    if (!ok) {
      std::string shown = text.substr(0, 40);
      for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
      out.error = "file: " + path_ + " does not hold a non-negative integer (\"" + shown + "\")";
      return out;
    }
    out.state = TargetState{n, n, std::nullopt, std::nullopt};
    return out;
  }

  boost::asio::io_context& io_;
  std::string path_;
  std::optional<std::int64_t> initial_;
};

std::unique_ptr<Actuator> make_file_actuator(AdapterContext& ctx, const std::string&,
                                             const Value& target) {
  adapters::Options opt(target, "file", ctx.config_dir);
  opt.string("path", true);
  std::string path = *opt.path("path");
  auto initial = opt.integer("replicas");
  if (initial && *initial < 0) opt.fail("replicas", "must be >= 0");
  auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
    opt.fail("path", "folder " + dir.string() + " does not exist");
  if (std::string why = files::check_replaceable(path); !why.empty()) opt.fail("path", why);
  files::remove_stale_temp_files(path);
  return std::make_unique<FileActuator>(ctx.io, path, initial);
}

}  // namespace

std::string write_count_atomically(const std::string& path, std::int64_t count) {
  return files::replace_file(path, std::to_string(count) + "\n");
}

ActuatorFactory file_actuator_factory() {
  return {"file",
          {{"path", "string", true, "file that receives the desired count (\"N\\n\")"}},
          &make_file_actuator};
}

}  // namespace luascale::actuators
