// adapters/common/aws_options.hpp — the keys every AWS source shares (region, endpoint, profile,
// max_attempts, retry_backoff) as data, their reading into ServiceSettings, and how a source that
// could not be set up answers its fetches.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "adapters/common/options.hpp"
#include "adapters/net/aws/service_client.hpp"
#include "engine/adapter.hpp"

namespace luascale::adapters {

// region, profile, max_attempts, retry_backoff and the TLS keys (for a private CA); each source
// adds its own "endpoint" key, whose help names its AWS_ENDPOINT_URL_<SERVICE> variable.
const std::vector<ConfigKey>& aws_source_keys();

// The settings from a signal's options; `timeout_seconds` is the signal's timeout (per attempt).
aws::ServiceSettings aws_settings(const Options& options, double timeout_seconds);

// Answers a fetch of a source that could not be set up (no region, ...): `error`, from the
// io_context, never from inside fetch.
void post_setup_error(boost::asio::io_context& io, std::string error,
                      std::function<void(SampleOutcome)> done);

}  // namespace luascale::adapters
