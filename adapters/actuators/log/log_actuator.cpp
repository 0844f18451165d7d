// adapters/actuators/log/log_actuator.cpp — JSON Lines decisions; each line is one write(2) on an
// O_APPEND descriptor, so concurrent writers never interleave within a line and log rotation
// (rename + new file) is picked up at the next decision. A symbolic link at the path is refused.
#include "adapters/actuators/log/log_actuator.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

#include "adapters/common/options.hpp"

namespace luascale::actuators {

namespace {

std::string errno_text() {
  std::string s = std::strerror(errno);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

// Writes all of data to fd; "" or the reason.
std::string write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_text();
    }
    done += static_cast<std::size_t>(n);
  }
  return "";
}

class LogActuator final : public Actuator {
 public:
  LogActuator(boost::asio::io_context& io, std::string policy, std::string path,
              std::int64_t replicas)
      : io_(io), policy_(std::move(policy)), path_(std::move(path)), replicas_(replicas) {}

  void read(std::function<void(ReadOutcome)> done) override {
    ReadOutcome out;
    out.state = TargetState{replicas_, replicas_, std::nullopt, std::nullopt};
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)] { done(out); });
  }

  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override {
    Value line = Value::object();
    line.set("time", adapters::unix_now());
    line.set("policy", info.policy.empty() ? policy_ : info.policy);
    line.set("from", replicas_);
    line.set("desired", desired);
    line.set("recommended", info.recommended);
    if (!info.bound_by.empty()) line.set("bound_by", info.bound_by);
    line.set("reason", info.reason);
    std::string text = to_json(line) + "\n";

    ApplyOutcome out;
    std::string error;
    if (path_.empty()) {
      error = write_all(STDOUT_FILENO, text);
    } else {
      // Never through a link planted at the path (O_NOFOLLOW), never blocking on a named pipe
      // without a reader (O_NONBLOCK); anything but a regular file or a device is refused.
      int fd = ::open(path_.c_str(),
                      O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
      struct stat st {};
      if (fd < 0) {
        error = errno == ELOOP ? "is a symbolic link; decisions are appended only to the file "
                                 "itself (\"-\" for stdout)"
                               : errno_text();
      } else if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
        error = "not a regular file";
        ::close(fd);
      } else {
        error = write_all(fd, text);
        ::close(fd);
      }
    }
    if (error.empty()) {
      replicas_ = desired;
      out.ok = true;
      out.applied = desired;
    } else {
      out.error = "log " + (path_.empty() ? std::string("stdout") : path_) + ": " + error;
    }
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)] { done(out); });
  }

 private:
  boost::asio::io_context& io_;
  std::string policy_;
  std::string path_;  // "" = stdout
  std::int64_t replicas_;
};

std::unique_ptr<Actuator> make_log_actuator(AdapterContext& ctx, const std::string& policy,
                                            const Value& target) {
  adapters::Options opt(target, "log", ctx.config_dir);
  std::string path;
  if (auto p = opt.string("path"); p && *p != "-" && !p->empty()) path = *opt.path("path");
  auto replicas = opt.integer("replicas").value_or(0);
  if (replicas < 0) opt.fail("replicas", "must be >= 0");
  return std::make_unique<LogActuator>(ctx.io, policy, path, replicas);
}

}  // namespace

ActuatorFactory log_actuator_factory() {
  return {
      "log",
      {{"path", "string", false, "JSON Lines file to append decisions to; \"-\" or none = stdout"}},
      &make_log_actuator};
}

}  // namespace luascale::actuators
