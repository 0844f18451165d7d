// adapters/common/aws_options.cpp — see aws_options.hpp.
#include "adapters/common/aws_options.hpp"

#include <cmath>

#include <boost/asio/post.hpp>

namespace luascale::adapters {

const std::vector<ConfigKey>& aws_source_keys() {
  static const std::vector<ConfigKey> keys = concat_keys(
      {
          {"region", "string", false, "AWS region; default AWS_REGION / AWS_DEFAULT_REGION"},
          {"profile", "string", false, "shared config profile; default AWS_PROFILE / default"},
          {"max_attempts", "number", false, "attempts per call for throttling/5xx (default 3)"},
          {"retry_backoff", "duration", false, "backoff base after throttling (default 1s)"},
      },
      Options::tls_keys());
  return keys;
}

aws::ServiceSettings aws_settings(const Options& options, double timeout_seconds) {
  aws::ServiceSettings s;
  s.region = options.string("region").value_or("");
  s.endpoint = options.string("endpoint").value_or("");
  s.profile = options.string("profile").value_or("");
  s.timeout =
      std::chrono::milliseconds(std::max<long long>(1, std::llround(timeout_seconds * 1000)));
  if (auto n = options.integer("max_attempts")) {
    if (*n < 1 || *n > 10) options.fail("max_attempts", "must be between 1 and 10");
    s.max_attempts = static_cast<int>(*n);
  }
  if (auto d = options.duration("retry_backoff")) {
    if (*d <= 0) options.fail("retry_backoff", "must be > 0");
    s.retry_backoff = std::chrono::milliseconds(std::llround(*d * 1000));
  }
  return s;
}

void post_setup_error(boost::asio::io_context& io, std::string error,
                      std::function<void(SampleOutcome)> done) {
  SampleOutcome out;
  out.error = std::move(error);
  boost::asio::post(
      io, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
}

}  // namespace luascale::adapters
