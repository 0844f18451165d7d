// adapters/net/aws/service_client.cpp — see service_client.hpp.
#include "adapters/net/aws/service_client.hpp"

#include <algorithm>

#include "adapters/net/aws/credentials.hpp"

namespace luascale::aws {

std::shared_ptr<QueryClient> make_service_client(boost::asio::io_context& io,
                                                 std::shared_ptr<net::HttpClient> http,
                                                 const ServiceId& service, ServiceSettings settings,
                                                 std::string* error) {
  if (!settings.env) settings.env = process_environment();
  const std::string region = resolve_region(settings.env, settings.region);
  if (region.empty()) {
    *error = "no region (set region, AWS_REGION or AWS_DEFAULT_REGION)";
    return nullptr;
  }
  CredentialChainOptions cred_opts;
  cred_opts.env = settings.env;
  cred_opts.profile = settings.profile;
  cred_opts.region = region;
  cred_opts.now = settings.now;
  auto chain = CredentialChain::create(io, http, std::move(cred_opts));
  QueryClientOptions q;
  q.endpoint = resolve_endpoint(settings.env, settings.endpoint, service.id,
                                service.endpoint_prefix, region);
  q.region = region;
  q.signing_name = service.signing_name;
  q.version = service.version;
  q.json_target_prefix = service.json_target_prefix;
  q.timeout = settings.timeout;
  q.max_attempts = settings.max_attempts;
  q.throttle_base = settings.retry_backoff;
  q.transient_base = std::max(std::chrono::milliseconds(1), settings.retry_backoff / 20);
  q.seed = settings.jitter_seed;
  q.now = settings.now;
  return QueryClient::create(io, std::move(http), std::move(chain), std::move(q));
}

}  // namespace luascale::aws
