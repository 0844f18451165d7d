// adapters/kubernetes/adapter_support.cpp — see adapter_support.hpp.
#include "adapters/kubernetes/adapter_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <stdexcept>
#include <utility>

#include "engine/core/units.hpp"

namespace luascale::kube {

std::string string_option(const Value& options, const char* key, const std::string& def) {
  const Value* v = options.find(key);
  if (!v || v->is_null()) return def;
  if (!v->is_string()) throw std::runtime_error(std::string("\"") + key + "\" must be a string");
  return v->as_string();
}

std::chrono::milliseconds duration_option(const Value& options, const char* key,
                                          std::chrono::milliseconds def) {
  const Value* v = options.find(key);
  if (!v || v->is_null()) return def;
  std::optional<double> seconds;
  if (v->is_number()) seconds = v->as_number();
  if (v->is_string()) seconds = parse_duration(v->as_string());
  if (!seconds || *seconds <= 0)
    throw std::runtime_error(std::string("\"") + key + "\" must be a duration > 0 (e.g. \"10s\")");
  return std::chrono::milliseconds(static_cast<long long>(*seconds * 1000));
}

std::shared_ptr<KubeClient> make_kube_client(AdapterContext& ctx, const Value& options) {
  KubeConfigOptions o;
  o.kubeconfig = string_option(options, "kubeconfig", "");
  o.context = string_option(options, "context", "");
  o.config_dir = ctx.config_dir;
  std::string error;
  auto conn = load_kube_connection(o, &error);
  if (!conn) throw std::runtime_error(error);
  return std::make_shared<KubeClient>(ctx.io, std::move(*conn));
}

namespace {

struct RetryLoop : std::enable_shared_from_this<RetryLoop> {
  RetryLoop(boost::asio::io_context& io_, Attempt a, Clock::time_point d,
            std::function<void(KubeResponse, int)> done_)
      : io(io_), timer(io_), attempt(std::move(a)), deadline(d), done(std::move(done_)) {}
  boost::asio::io_context& io;
  boost::asio::steady_timer timer;
  Attempt attempt;
  Clock::time_point deadline;
  std::function<void(KubeResponse, int)> done;
  Backoff backoff;
  int tries = 0;

  void run() {
    ++tries;
    attempt([self = shared_from_this()](KubeResponse r) { self->on_result(std::move(r)); });
  }
  void on_result(KubeResponse r) {
    if (r.ok() || !r.retryable()) return done(std::move(r), tries);
    auto delay = backoff.next(r.retry_after);
    if (Clock::now() + delay >= deadline) return done(std::move(r), tries);
    timer.expires_after(delay);
    timer.async_wait(
        [self = shared_from_this()](const boost::system::error_code&) { self->run(); });
  }
};

}  // namespace

void retry_until(boost::asio::io_context& io, Attempt attempt, Clock::time_point deadline,
                 std::function<void(KubeResponse, int)> done) {
  std::make_shared<RetryLoop>(io, std::move(attempt), deadline, std::move(done))->run();
}

}  // namespace luascale::kube
