// adapters/actuators/file/file_actuator.cpp — the count file: atomic replace on apply, parse on
// read. A reader of the file sees either the old or the new count, never a partial write.
#include "adapters/actuators/file/file_actuator.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "adapters/common/options.hpp"

namespace luascale::actuators {

namespace {

std::string errno_text() {
  std::string s = std::strerror(errno);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
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
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      if (errno == ENOENT && initial_) {
        out.state = TargetState{*initial_, *initial_, std::nullopt, std::nullopt};
      } else {
        out.error = "file: cannot read " + path_ + ": " + errno_text();
      }
      return out;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
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

// Removes "<path>.tmp.<pid>" files a killed process left mid-write (write_count_atomically):
// only those of processes that no longer exist, so a live writer's file is never touched.
void remove_stale_temp_files(const std::string& path) {
  const std::filesystem::path p(path);
  const std::filesystem::path dir = p.parent_path().empty() ? "." : p.parent_path();
  const std::string prefix = p.filename().string() + ".tmp.";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::error_code rm;
    std::filesystem::remove(e.path(), rm);
  }
}

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
  remove_stale_temp_files(path);
  return std::make_unique<FileActuator>(ctx.io, path, initial);
}

}  // namespace

std::string write_count_atomically(const std::string& path, std::int64_t count) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const std::string text = std::to_string(count) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "create " + tmp + ": " + errno_text();
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string e = "write " + tmp + ": " + errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string e = "fsync " + tmp + ": " + errno_text();
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = "rename " + tmp + " -> " + path + ": " + errno_text();
    ::unlink(tmp.c_str());
    return e;
  }
  // Make the rename itself durable.
  auto dir = std::filesystem::path(path).parent_path();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return "";
}

ActuatorFactory file_actuator_factory() {
  return {"file",
          {{"path", "string", true, "file that receives the desired count (\"N\\n\")"}},
          &make_file_actuator};
}

}  // namespace luascale::actuators
