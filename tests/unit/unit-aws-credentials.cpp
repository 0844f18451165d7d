// tests/unit/unit-aws-credentials.cpp — the AWS credential chain: environment, shared files and
// profiles, web identity through a fake STS, IMDSv2 through a fake metadata service (both on
// loopback, tests/aws_asg_server), refresh ahead of expiry, precedence, and errors that never
// carry a secret. Also region and endpoint resolution.
#include <doctest/doctest.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>

#include "adapters/net/aws/aws_env.hpp"
#include "adapters/net/aws/credentials.hpp"
#include "adapters/net/http_client.hpp"
#include "aws_test_server.hpp"
#include "common/time/timestamp_text.hpp"
#include "fixtures.hpp"

namespace {

using namespace luascale::aws;
using luascale::test::AwsTestServer;
using luascale::test::TempDir;

// A chain over a private io_context whose clock the test moves forward.
struct ChainHarness {
  boost::asio::io_context io;
  std::shared_ptr<luascale::net::HttpClient> http = std::make_shared<luascale::net::HttpClient>(io);
  std::shared_ptr<std::chrono::seconds> offset = std::make_shared<std::chrono::seconds>(0);
  std::shared_ptr<CredentialChain> chain;

  ChainHarness(std::initializer_list<std::pair<const std::string, std::string>> env) {
    CredentialChainOptions o;
    o.env = map_environment(std::map<std::string, std::string>(env));
    o.now = [off = offset] { return Clock::now() + *off; };
    chain = CredentialChain::create(io, http, std::move(o));
  }

  CredentialsOutcome get() {
    std::optional<CredentialsOutcome> result;
    chain->get([&](CredentialsOutcome o) { result = std::move(o); });
    io.restart();
    while (!result && io.run_one()) {
    }
    REQUIRE(result);
    return *result;
  }
};

std::string jwt(const char* subject) {
  return std::string("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ") + subject + "In0.c2lnbmF0dXJl";
}

}  // namespace

TEST_CASE("aws credentials: environment keys, with a session token") {
  ChainHarness h({{"AWS_ACCESS_KEY_ID", "AKIAENVEXAMPLE"},
                  {"AWS_SECRET_ACCESS_KEY", "envsecret/abc"},
                  {"AWS_SESSION_TOKEN", "envtoken"}});
  const auto out = h.get();
  REQUIRE(out.value);
  CHECK(out.value->source == "environment");
  CHECK(out.value->credentials.access_key_id == "AKIAENVEXAMPLE");
  CHECK(out.value->credentials.session_token == "envtoken");
  CHECK_FALSE(out.value->expiration);
  h.get();
  CHECK(h.chain->refreshes() == 1);  // long-term keys are cached for good
}

TEST_CASE("aws credentials: half-set environment is an error that names the missing variable") {
  ChainHarness h({{"AWS_SECRET_ACCESS_KEY", "only-the-secret"}});
  const auto out = h.get();
  CHECK_FALSE(out.value);
  CHECK(out.error.find("AWS_ACCESS_KEY_ID") != std::string::npos);
  CHECK(out.error.find("only-the-secret") == std::string::npos);
}

TEST_CASE("aws credentials: shared credentials file profile, config file profile and region") {
  TempDir dir;
  const auto creds = dir.write("credentials",
                               "[default]\naws_access_key_id = AKIADEFAULT\n"
                               "aws_secret_access_key = defsecret\n\n"
                               "# team profile\n[dev]\naws_access_key_id=AKIADEV ; inline note\n"
                               "aws_secret_access_key=devsecret\naws_session_token = devtoken\n");
  const auto config =
      dir.write("config",
                "[default]\nregion = eu-west-1\n[profile dev]\nregion = ap-south-1\n"
                "s3 =\n  max_concurrent_requests = 20\n"
                "[profile cfgonly]\naws_access_key_id = AKIACFG\n"
                "aws_secret_access_key = cfgsecret\n");
  {
    ChainHarness h({{"AWS_SHARED_CREDENTIALS_FILE", creds.string()},
                    {"AWS_CONFIG_FILE", config.string()},
                    {"AWS_PROFILE", "dev"}});
    const auto out = h.get();
    REQUIRE(out.value);
    CHECK(out.value->credentials.access_key_id == "AKIADEV");
    CHECK(out.value->credentials.session_token == "devtoken");
    CHECK(out.value->source.find("profile dev") != std::string::npos);
  }
  {
    ChainHarness h({{"AWS_SHARED_CREDENTIALS_FILE", creds.string()},
                    {"AWS_CONFIG_FILE", config.string()},
                    {"AWS_PROFILE", "cfgonly"}});
    const auto out = h.get();
    REQUIRE(out.value);
    CHECK(out.value->credentials.access_key_id == "AKIACFG");
    CHECK(out.value->source.find("shared config file") == 0);
  }
  {
    ChainHarness h({{"AWS_SHARED_CREDENTIALS_FILE", creds.string()},
                    {"AWS_CONFIG_FILE", config.string()},
                    {"AWS_PROFILE", "missing"}});
    const auto out = h.get();
    CHECK_FALSE(out.value);
    CHECK(out.error.find("profile missing") != std::string::npos);
  }
  auto env = map_environment({{"AWS_CONFIG_FILE", config.string()}, {"AWS_PROFILE", "dev"}});
  CHECK(resolve_region(env, "") == "ap-south-1");
  CHECK(resolve_region(env, "us-west-2") == "us-west-2");
  CHECK(resolve_region(map_environment({{"AWS_CONFIG_FILE", config.string()}}), "") == "eu-west-1");
  CHECK(resolve_region(map_environment({{"AWS_DEFAULT_REGION", "sa-east-1"},
                                        {"AWS_CONFIG_FILE", config.string()}}),
                       "") == "sa-east-1");
  CHECK(resolve_region(
            map_environment({{"AWS_REGION", "us-east-2"}, {"AWS_DEFAULT_REGION", "sa-east-1"}}),
            "") == "us-east-2");
}

TEST_CASE("aws endpoints: option, service variable, generic variable, regional default") {
  const auto none = map_environment({});
  CHECK(resolve_endpoint(none, "", "Auto Scaling", "autoscaling", "us-east-1") ==
        "https://autoscaling.us-east-1.amazonaws.com");
  CHECK(resolve_endpoint(none, "", "Auto Scaling", "autoscaling", "cn-north-1") ==
        "https://autoscaling.cn-north-1.amazonaws.com.cn");
  const auto both = map_environment({{"AWS_ENDPOINT_URL_AUTO_SCALING", "http://127.0.0.1:1"},
                                     {"AWS_ENDPOINT_URL", "http://127.0.0.1:2"}});
  CHECK(resolve_endpoint(both, "", "Auto Scaling", "autoscaling", "us-east-1") ==
        "http://127.0.0.1:1");
  CHECK(resolve_endpoint(both, "", "STS", "sts", "us-east-1") == "http://127.0.0.1:2");
  CHECK(resolve_endpoint(both, "http://x:3", "Auto Scaling", "autoscaling", "us-east-1") ==
        "http://x:3");
  const auto ignored = map_environment({{"AWS_ENDPOINT_URL", "http://127.0.0.1:2"},
                                        {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  CHECK(resolve_endpoint(ignored, "", "STS", "sts", "eu-west-1") ==
        "https://sts.eu-west-1.amazonaws.com");
}

TEST_CASE("aws credentials: web identity through STS, token file re-read, refresh before expiry") {
  AwsTestServer server;
  TempDir dir;
  const auto token_file = dir.write("token", jwt("first") + "\n");
  const std::string role = "arn:aws:iam::123456789012:role/luascale";
  server.control("sts", "{\"token\": \"" + jwt("first") + "\", \"role_arn\": \"" + role +
                            "\", \"duration_seconds\": 3600}");
  ChainHarness h({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file.string()},
                  {"AWS_ROLE_ARN", role},
                  {"AWS_ROLE_SESSION_NAME", "luascale-test"},
                  {"AWS_REGION", "us-east-1"},
                  {"AWS_ENDPOINT_URL_STS", server.url()},
                  {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}});
  const auto first = h.get();
  REQUIRE_MESSAGE(first.value, first.error);
  CHECK(first.value->source == "web identity (role " + role + ")");
  CHECK(first.value->credentials.access_key_id.rfind("ASIASTS", 0) == 0);
  CHECK_FALSE(first.value->credentials.session_token.empty());
  REQUIRE(first.value->expiration);
  CHECK(server.state().find("sts_calls")->as_int() == 1);

  // Cached while more than the 5-minute margin remains.
  *h.offset = std::chrono::seconds(3000);
  CHECK(h.get().value->credentials.access_key_id == first.value->credentials.access_key_id);
  CHECK(server.state().find("sts_calls")->as_int() == 1);

  // The kubelet rotated the projected token; inside the margin the chain re-reads it.
  dir.write("token", jwt("second"));
  server.control("sts", "{\"token\": \"" + jwt("second") + "\"}");
  *h.offset = std::chrono::seconds(3400);
  const auto second = h.get();
  REQUIRE_MESSAGE(second.value, second.error);
  CHECK(second.value->credentials.access_key_id != first.value->credentials.access_key_id);
  CHECK(server.state().find("sts_calls")->as_int() == 2);

  // STS refuses, but the cached credentials have not expired: they keep being used.
  server.control("sts", "{\"token\": \"something-else\"}");
  *h.offset = std::chrono::seconds(3500);  // inside the margin, not expired
  const auto kept = h.get();
  REQUIRE(kept.value);
  CHECK(kept.value->credentials.access_key_id == second.value->credentials.access_key_id);
  CHECK(server.state().find("sts_calls")->as_int() == 3);

  // Past their expiry the refusal is the answer, without the token in it.
  *h.offset = std::chrono::seconds(3700);
  const auto refused = h.get();
  CHECK_FALSE(refused.value);
  CHECK(refused.error.find("InvalidIdentityToken") != std::string::npos);
  CHECK(refused.error.find(role) != std::string::npos);
  CHECK(refused.error.find(jwt("second")) == std::string::npos);
}

TEST_CASE("aws credentials: environment keys win over web identity and IMDS") {
  AwsTestServer server;
  TempDir dir;
  const auto token_file = dir.write("token", jwt("x"));
  ChainHarness h({{"AWS_ACCESS_KEY_ID", "AKIAENV"},
                  {"AWS_SECRET_ACCESS_KEY", "s"},
                  {"AWS_WEB_IDENTITY_TOKEN_FILE", token_file.string()},
                  {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"},
                  {"AWS_ENDPOINT_URL_STS", server.url()},
                  {"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()}});
  const auto out = h.get();
  REQUIRE(out.value);
  CHECK(out.value->source == "environment");
  const auto st = server.state();
  CHECK(st.find("sts_calls")->as_int() == 0);
  CHECK(st.find("imds_token_calls")->as_int() == 0);
}

TEST_CASE("aws credentials: IMDSv2 session token, role credentials, refresh, expired token") {
  AwsTestServer server;
  server.control("imds", "{\"duration_seconds\": 3600}");
  ChainHarness h({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url()}});
  const auto first = h.get();
  REQUIRE_MESSAGE(first.value, first.error);
  CHECK(first.value->source == "instance metadata (role luascale-node-role)");
  CHECK(first.value->credentials.access_key_id.rfind("ASIAIMDS", 0) == 0);
  REQUIRE(first.value->expiration);
  auto st = server.state();
  CHECK(st.find("imds_token_calls")->as_int() == 1);
  CHECK(st.find("imds_credential_calls")->as_int() == 1);

  // Inside the refresh margin: new credentials with the same session token.
  *h.offset = std::chrono::seconds(3400);
  const auto second = h.get();
  REQUIRE(second.value);
  CHECK(second.value->credentials.access_key_id != first.value->credentials.access_key_id);
  st = server.state();
  CHECK(st.find("imds_token_calls")->as_int() == 1);
  CHECK(st.find("imds_credential_calls")->as_int() == 2);

  // The metadata service forgot the token: a 401 makes the chain fetch a new one.
  server.control("imds", "{\"expire_tokens\": true}");
  h.chain->invalidate();
  const auto third = h.get();
  REQUIRE_MESSAGE(third.value, third.error);
  st = server.state();
  CHECK(st.find("imds_token_calls")->as_int() == 2);
  CHECK(st.find("imds_credential_calls")->as_int() == 3);
}

TEST_CASE("aws credentials: nothing configured gives one error listing every provider") {
  SUBCASE("metadata service unreachable") {
    ChainHarness h({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}});
    const auto out = h.get();
    CHECK_FALSE(out.value);
    CHECK(out.error.find("no AWS credentials found") == 0);
    CHECK(out.error.find("AWS_ACCESS_KEY_ID not set") != std::string::npos);
    CHECK(out.error.find("web identity") != std::string::npos);
    CHECK(out.error.find("instance metadata: token request") != std::string::npos);
  }
  SUBCASE("metadata service disabled") {
    ChainHarness h({{"AWS_EC2_METADATA_DISABLED", "true"}});
    const auto out = h.get();
    CHECK_FALSE(out.value);
    CHECK(out.error.find("AWS_EC2_METADATA_DISABLED") != std::string::npos);
  }
}

TEST_CASE("aws credentials: STS and IMDS documents are parsed, bad ones refused without echo") {
  const auto sts = parse_sts_credentials(
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
      "<AssumeRoleWithWebIdentityResult><Credentials><SessionToken>tok</SessionToken>"
      "<SecretAccessKey>sec</SecretAccessKey><Expiration>2026-11-23T10:00:00Z</Expiration>"
      "<AccessKeyId>ASIAX</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
      "</AssumeRoleWithWebIdentityResponse>");
  REQUIRE(sts.value);
  CHECK(sts.value->credentials.session_token == "tok");
  CHECK(luascale::format_timestamp_text(luascale::from_system_clock(*sts.value->expiration)) ==
        "2026-11-23T10:00:00Z");
  const auto imds = parse_json_credentials(
      R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAY","SecretAccessKey":"s3cr3t",)"
      R"("Token":"t0k","Expiration":"2026-11-23T16:00:00Z"})");
  REQUIRE(imds.value);
  CHECK(imds.value->credentials.access_key_id == "ASIAY");
  const auto bad = parse_json_credentials(R"({"AccessKeyId":"ASIAY","Token":"t0k-secret"})");
  CHECK_FALSE(bad.value);
  CHECK(bad.error.find("t0k-secret") == std::string::npos);
  CHECK_FALSE(parse_json_credentials("not json").value);
}
