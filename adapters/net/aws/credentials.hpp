// adapters/net/aws/credentials.hpp — the default AWS credential chain, in the SDKs' order:
// environment keys, web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN through STS
// AssumeRoleWithWebIdentity, i.e. EKS IRSA), the shared credentials/config file profile,
// container credentials (ECS / EKS Pod Identity), and EC2 instance metadata with IMDSv2 tokens.
// Temporary credentials are cached and refreshed ahead of their expiry. Secrets (secret keys,
// session tokens, web identity tokens, IMDS tokens) never appear in an error text or log line.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/net/aws/aws_env.hpp"
#include "adapters/net/aws/sigv4.hpp"

namespace boost::asio {
class io_context;
}
namespace luascale::net {
class HttpClient;
}

namespace luascale::aws {

struct ResolvedCredentials {
  Credentials credentials;
  std::optional<Clock::time_point> expiration;  // none for long-term keys
  // Where they came from, safe to print: "environment", "web identity (role arn:...)",
  // "shared credentials file /home/x/.aws/credentials, profile default", "container",
  // "instance metadata (role my-role)".
  std::string source;
};

struct CredentialsOutcome {
  std::optional<ResolvedCredentials> value;
  std::string error;  // set when value is empty; never contains a secret
};
using CredentialsCallback = std::function<void(CredentialsOutcome)>;

struct CredentialChainOptions {
  Environment env;           // null = the process environment
  std::string profile;       // "" = AWS_PROFILE, else "default"
  std::string region;        // for the STS endpoint; "" = resolve_region(env, "")
  std::string sts_endpoint;  // "" = AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / regional STS
  // "" = AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254.
  std::string imds_endpoint;
  std::chrono::milliseconds imds_timeout{
      1000};  // per IMDS request; short so runs off EC2 fail fast
  std::chrono::milliseconds sts_timeout{10000};  // per STS / container request
  std::chrono::seconds imds_token_ttl{21600};    // X-aws-ec2-metadata-token-ttl-seconds
  // Temporary credentials are refreshed once fewer than this many seconds are left, >= 0.
  std::chrono::seconds refresh_margin{300};
  std::function<Clock::time_point()> now;  // null = system clock (tests inject)
};

// Resolves, caches and refreshes credentials. Create with make_shared-like create(); async
// operations keep the chain alive until they finish. Use on the io_context's thread.
class CredentialChain : public std::enable_shared_from_this<CredentialChain> {
 public:
  static std::shared_ptr<CredentialChain> create(boost::asio::io_context& io,
                                                 std::shared_ptr<net::HttpClient> http,
                                                 CredentialChainOptions options);

  // Current credentials. Cached ones are returned while more than refresh_margin remains before
  // their expiry (long-term keys never expire); otherwise the chain is walked again, one refresh
  // at a time, shared by concurrent callers. When a refresh fails but the cached credentials
  // have not expired yet, those are returned. done runs on the io_context, never inside get().
  void get(CredentialsCallback done);
  // Drops the cache (after an ExpiredToken answer); the next get() walks the chain.
  void invalidate();
  // How many times the chain was walked (for tests and /metrics).
  std::uint64_t refreshes() const { return refreshes_; }

  struct Impl;  // the providers; public so the .cpp's helpers can reach it

 private:
  CredentialChain(boost::asio::io_context& io, std::shared_ptr<net::HttpClient> http,
                  CredentialChainOptions options);
  void refresh();
  void finish(CredentialsOutcome outcome);
  Clock::time_point now() const;

  boost::asio::io_context& io_;
  std::shared_ptr<net::HttpClient> http_;
  CredentialChainOptions options_;
  std::optional<ResolvedCredentials> cached_;
  std::vector<CredentialsCallback> waiting_;
  bool refreshing_ = false;
  std::uint64_t refreshes_ = 0;
  // The IMDSv2 session token and when it stops being usable.
  std::string imds_token_;
  Clock::time_point imds_token_expiry_{};
};

// Parses an STS AssumeRoleWithWebIdentity (or AssumeRole) response body; error set otherwise.
CredentialsOutcome parse_sts_credentials(std::string_view body);
// Parses the JSON IMDS / container credentials document {AccessKeyId, SecretAccessKey, Token,
// Expiration}; error set otherwise (never echoing the document).
CredentialsOutcome parse_json_credentials(std::string_view body);

}  // namespace luascale::aws
