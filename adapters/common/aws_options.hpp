// adapters/common/aws_options.hpp — the keys every AWS source shares (region, endpoint, profile,
// max_attempts, retry_backoff) as data, and their reading into ServiceSettings.
#pragma once

#include <vector>

#include "adapters/common/options.hpp"
#include "adapters/net/aws/service_client.hpp"

namespace luascale::adapters {

// region, profile, max_attempts, retry_backoff and the TLS keys (for a private CA); each source
// adds its own "endpoint" key, whose help names its AWS_ENDPOINT_URL_<SERVICE> variable.
const std::vector<ConfigKey>& aws_source_keys();

// The settings from a signal's options; `timeout_seconds` is the signal's timeout (per attempt).
aws::ServiceSettings aws_settings(const Options& options, double timeout_seconds);

}  // namespace luascale::adapters
