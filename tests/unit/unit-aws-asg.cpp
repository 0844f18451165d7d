// tests/unit/unit-aws-asg.cpp — the aws-asg and aws-asg-scheduled actuators against the test
// Auto Scaling endpoint (tests/aws_asg_server, which checks every signature with npm aws4):
// read, set, clamp, HonorCooldown, Throttling / 500 / slow-response retries, held
// ScalingActivityInProgress, ValidationError, signature errors, session credentials from IMDS,
// scheduled-action publishing and replacement. Also the parsers on the reference responses.
#include <doctest/doctest.h>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>

#include "adapters/actuators/aws_asg/asg_actuator.hpp"
#include "adapters/actuators/aws_asg/asg_api.hpp"
#include "adapters/net/aws/aws_xml.hpp"
#include "aws_test_server.hpp"
#include "common/time/timestamp_text.hpp"
#include "engine/adapter.hpp"
#include "fixtures.hpp"

namespace {

using namespace luascale;
using luascale::test::AwsTestServer;

constexpr const char* kKeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

// A server with one group "nodes" (min 1, max 10, desired 2) and the test keys registered.
struct AsgHarness {
  AwsTestServer server;
  boost::asio::io_context io;
  AdapterContext ctx{io, "."};

  AsgHarness() {
    server.control("groups", R"([{"name": "nodes", "min": 1, "max": 10, "desired": 2}])");
    server.control("credentials", std::string(R"([{"access_key_id": ")") + kKeyId +
                                      R"(", "secret_access_key": ")" + kSecret + R"("}])");
  }

  std::map<std::string, std::string> env() const {
    return {{"AWS_ACCESS_KEY_ID", kKeyId},
            {"AWS_SECRET_ACCESS_KEY", kSecret},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ENDPOINT_URL_AUTO_SCALING", server.url()}};
  }

  // An actuator from a target block (JSON text), with the given environment.
  std::unique_ptr<Actuator> make(const std::string& target_json,
                                 std::optional<std::map<std::string, std::string>> env_vars = {},
                                 bool scheduled = false) {
    aws::AsgTargetConfig cfg;
    const std::string problems = aws::parse_asg_target(parse_json(target_json), &cfg);
    REQUIRE_MESSAGE(problems.empty(), problems);
    cfg.service.env = aws::map_environment(env_vars ? *env_vars : env());
    cfg.service.jitter_seed = 7;
    return aws::make_asg_actuator(ctx, "nodes-policy", std::move(cfg), scheduled);
  }

  template <typename T, typename Start>
  T wait(Start start) {
    std::optional<T> result;
    start([&](T v) { result = std::move(v); });
    io.restart();
    while (!result && io.run_one()) {
    }
    REQUIRE(result);
    return std::move(*result);
  }

  ReadOutcome read(Actuator& a) {
    return wait<ReadOutcome>([&](auto done) { a.read(done); });
  }
  ApplyOutcome apply(Actuator& a, std::int64_t n, std::vector<PlannedCapacity> plan = {}) {
    ActuationInfo info;
    info.policy = "nodes-policy";
    info.plan = std::move(plan);
    return wait<ApplyOutcome>([&](auto done) { a.apply(n, info, done); });
  }
  ApplyOutcome publish(Actuator& a, std::vector<PlannedCapacity> plan) {
    auto* p = dynamic_cast<aws::PlanPublisher*>(&a);
    REQUIRE(p);
    return wait<ApplyOutcome>([&](auto done) { p->publish(std::move(plan), done); });
  }

  std::int64_t desired() const {
    return server.state().find("groups")->find("nodes")->find("desired")->as_int();
  }
  // How many requests of an action the server saw.
  int count(const std::string& action) const {
    int n = 0;
    const Value st = server.state();
    for (const auto& r : st.find("requests")->as_array()) {
      if (r.find("action")->as_string() == action) ++n;
    }
    return n;
  }
  void check_all_signatures_verified() const {
    const Value st = server.state();
    CHECK(st.find("signature_failures")->as_int() == 0);
    for (const auto& r : st.find("requests")->as_array()) CHECK(r.find("verified")->as_bool());
  }
};

const char* kTarget = R"({"kind": "aws-asg", "group": "nodes", "retry_backoff": "20ms"})";

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("aws asg: the reference responses parse (documented sample, moto, error body)") {
  const auto dir = luascale::test::shared_dir() / "reference/aws/responses";
  std::string error, token;
  const auto groups = aws::parse_describe_groups(
      luascale::test::read_file(dir / "describe_auto_scaling_groups.xml"), &token, &error);
  CHECK(error.empty());
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].name == "my-asg");
  CHECK(groups[0].min_size == 2);
  CHECK(groups[0].max_size == 10);
  CHECK(groups[0].desired == 2);
  CHECK(groups[0].ready() == 1);
  CHECK(groups[0].status.empty());
  CHECK(token.empty());
  const auto e = aws::parse_error_response(
      luascale::test::read_file(dir / "error_throttling_query_protocol.xml"));
  REQUIRE(e);
  CHECK(e->code == "Throttling");
  CHECK(e->type == "Sender");
  CHECK(e->message == "Rate exceeded");
  CHECK(e->request_id == "2ab5db0d-5bca-11e4-9592-272cff50ba2d");
  CHECK(aws::is_throttling_code(e->code));
  CHECK_FALSE(
      aws::parse_error_response(luascale::test::read_file(dir / "set_desired_capacity.xml")));
  CHECK(aws::is_retryable(503, ""));
  CHECK_FALSE(aws::is_retryable(400, "ValidationError"));
  CHECK_FALSE(aws::is_retryable(400, "ScalingActivityInProgress"));
}

TEST_CASE("aws asg: read and set the desired capacity, every request signed and verified") {
  AsgHarness h;
  auto a = h.make(kTarget);
  const auto r = h.read(*a);
  REQUIRE_MESSAGE(r.state, r.error);
  CHECK(r.state->replicas == 2);
  CHECK(r.state->ready == 2);
  CHECK(r.state->min == 1);
  CHECK(r.state->max == 10);

  const auto out = h.apply(*a, 5);
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(out.applied == 5);
  CHECK(out.note.empty());
  CHECK(h.desired() == 5);
  const Value st = h.server.state();
  CHECK(st.find("groups")->find("nodes")->find("last_honor_cooldown")->as_string() == "false");

  // Already at the count: nothing to set.
  const int sets = h.count("SetDesiredCapacity");
  CHECK(h.apply(*a, 5).ok);
  CHECK(h.count("SetDesiredCapacity") == sets);
  h.check_all_signatures_verified();
}

TEST_CASE("aws asg: HonorCooldown is sent as configured") {
  AsgHarness h;
  auto a = h.make(R"({"kind": "aws-asg", "group": "nodes", "honor_cooldown": true})");
  CHECK(h.apply(*a, 3).ok);
  CHECK(h.server.state().find("groups")->find("nodes")->find("last_honor_cooldown")->as_string() ==
        "true");
}

TEST_CASE("aws asg: a decision outside the group's bounds is clamped and the clamp recorded") {
  AsgHarness h;
  auto a = h.make(kTarget);
  auto out = h.apply(*a, 25);
  CHECK(out.ok);
  CHECK(out.applied == 10);
  CHECK(out.note == "clamped 25 to group max 10");
  CHECK(h.desired() == 10);
  out = h.apply(*a, 0);
  CHECK(out.ok);
  CHECK(out.applied == 1);
  CHECK(out.note == "clamped 0 to group min 1");
  CHECK(h.desired() == 1);
  // Never a rejected call: the server saw no ValidationError.
  const Value st = h.server.state();
  for (const auto& r : st.find("requests")->as_array()) {
    CHECK(r.find("error")->is_null());
  }
}

TEST_CASE("aws asg: Throttling and HTTP 500 are retried with backoff, then succeed") {
  AsgHarness h;
  auto a = h.make(kTarget);
  h.server.control("faults",
                   R"([{"action": "SetDesiredCapacity", "kind": "throttle", "count": 2}])");
  auto out = h.apply(*a, 4);
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(h.count("SetDesiredCapacity") == 3);
  CHECK(h.desired() == 4);

  h.server.control("faults", R"([{"action": "DescribeAutoScalingGroups", "kind": "500"}])");
  out = h.apply(*a, 6);
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(h.desired() == 6);
  CHECK(h.count("DescribeAutoScalingGroups") == 3);  // one per apply + the retried one
  h.check_all_signatures_verified();
}

TEST_CASE("aws asg: persistent throttling gives up after the attempt limit, count unchanged") {
  AsgHarness h;
  auto a = h.make(kTarget);
  h.server.control("faults",
                   R"([{"action": "SetDesiredCapacity", "kind": "throttle", "count": 5}])");
  const auto out = h.apply(*a, 7);
  CHECK_FALSE(out.ok);
  CHECK(out.error.find("Throttling: Rate exceeded") != std::string::npos);
  CHECK(out.error.find("after 3 attempts") != std::string::npos);
  CHECK(h.count("SetDesiredCapacity") == 3);
  CHECK(h.desired() == 2);
}

TEST_CASE("aws asg: ScalingActivityInProgress holds the count and the next tick applies it") {
  AsgHarness h;
  auto a = h.make(kTarget);
  h.server.control("faults", R"([{"action": "SetDesiredCapacity", "kind": "activity"}])");
  auto out = h.apply(*a, 8);
  CHECK_FALSE(out.ok);
  CHECK(out.applied == 2);
  CHECK(out.error.find("scaling activity in progress; holding at 2, 8 is retried next tick") !=
        std::string::npos);
  CHECK(h.count("SetDesiredCapacity") == 1);  // not retried within the tick
  CHECK(h.desired() == 2);
  out = h.apply(*a, 8);  // the next tick
  CHECK(out.ok);
  CHECK(h.desired() == 8);
}

TEST_CASE("aws asg: ValidationError is reported with AWS's message and not retried") {
  AsgHarness h;
  auto a = h.make(kTarget);
  h.server.control("faults", R"([{"action": "SetDesiredCapacity", "kind": "validation",
                                  "message": "Desired capacity:9 must be between the specified min size:1 and max size:4"}])");
  const auto out = h.apply(*a, 9);
  CHECK_FALSE(out.ok);
  CHECK(out.error.find("SetDesiredCapacity 9 rejected: ValidationError: Desired capacity:9 must be "
                       "between") != std::string::npos);
  CHECK(h.count("SetDesiredCapacity") == 1);
}

TEST_CASE("aws asg: a slow response times out and the call is retried") {
  AsgHarness h;
  auto a = h.make(R"({"kind": "aws-asg", "group": "nodes", "timeout": "300ms",
                      "retry_backoff": "20ms"})");
  h.server.control("faults",
                   R"([{"action": "SetDesiredCapacity", "kind": "slow", "delay_ms": 2000}])");
  const auto out = h.apply(*a, 3);
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(h.count("SetDesiredCapacity") == 2);
  CHECK(h.desired() == 3);
}

TEST_CASE("aws asg: a missing group and wrong keys are clear errors without secrets") {
  AsgHarness h;
  SUBCASE("missing group") {
    auto a = h.make(R"({"kind": "aws-asg", "group": "other"})");
    const auto r = h.read(*a);
    CHECK_FALSE(r.state);
    CHECK(r.error == "auto scaling group \"other\": auto scaling group \"other\" not found");
    const auto out = h.apply(*a, 3);
    CHECK_FALSE(out.ok);
  }
  SUBCASE("wrong secret") {
    auto env = h.env();
    env["AWS_SECRET_ACCESS_KEY"] = "not-the-right-secret";
    auto a = h.make(kTarget, env);
    const auto r = h.read(*a);
    CHECK_FALSE(r.state);
    CHECK(r.error.find("SignatureDoesNotMatch") != std::string::npos);
    CHECK(r.error.find("not-the-right-secret") == std::string::npos);
    CHECK(h.count("DescribeAutoScalingGroups") == 1);  // a configuration error is not retried
  }
  SUBCASE("no region") {
    auto env = h.env();
    env.erase("AWS_REGION");
    auto a = h.make(kTarget, env);
    const auto r = h.read(*a);
    CHECK(r.error.find("no region") != std::string::npos);
  }
  SUBCASE("bad target block") {
    aws::AsgTargetConfig cfg;
    const std::string problems = aws::parse_asg_target(
        parse_json(R"({"kind": "aws-asg", "honor_cooldown": "yes", "max_attempts": 0})"), &cfg);
    CHECK(problems.find("target.group") != std::string::npos);
    CHECK(problems.find("target.honor_cooldown") != std::string::npos);
    CHECK(problems.find("target.max_attempts") != std::string::npos);
    auto a = aws::make_asg_actuator(h.ctx, "p", cfg, false);
    const auto out = h.apply(*a, 1);
    CHECK(out.error.find("target.honor_cooldown") != std::string::npos);
  }
}

TEST_CASE("aws asg: session credentials from IMDS sign the calls, AWS_ENDPOINT_URL as endpoint") {
  AsgHarness h;
  auto a = h.make(kTarget, std::map<std::string, std::string>{
                               {"AWS_REGION", "us-east-1"},
                               {"AWS_ENDPOINT_URL", h.server.url()},
                               {"AWS_EC2_METADATA_SERVICE_ENDPOINT", h.server.url()}});
  const auto out = h.apply(*a, 4);
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(h.desired() == 4);
  const Value st = h.server.state();
  CHECK(st.find("imds_credential_calls")->as_int() == 1);
  for (const auto& r : st.find("requests")->as_array()) {
    CHECK(r.find("access_key_id")->as_string().rfind("ASIAIMDS", 0) == 0);
  }
  h.check_all_signatures_verified();
}

TEST_CASE("aws asg: ExpiredToken fetches fresh credentials and resends once") {
  AsgHarness h;
  auto a = h.make(kTarget, std::map<std::string, std::string>{
                               {"AWS_REGION", "us-east-1"},
                               {"AWS_ENDPOINT_URL", h.server.url()},
                               {"AWS_EC2_METADATA_SERVICE_ENDPOINT", h.server.url()}});
  h.server.control("faults", R"([{"action": "SetDesiredCapacity", "kind": "expired"}])");
  const auto out = h.apply(*a, 6);
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(h.desired() == 6);
  CHECK(h.server.state().find("imds_credential_calls")->as_int() == 2);
  CHECK(h.count("SetDesiredCapacity") == 2);
}

TEST_CASE("aws asg scheduled: a plan becomes scheduled actions, republishing replaces them") {
  AsgHarness h;
  h.server.control("page_size", R"({"n": 2})");  // DescribeScheduledActions pages
  auto a = h.make(R"({"kind": "aws-asg-scheduled", "group": "nodes", "time_zone": "Europe/Paris"})",
                  {}, true);
  auto other = h.make(R"({"kind": "aws-asg-scheduled", "group": "nodes",
                          "action_prefix": "manual-"})",
                      {}, true);
  const double t0 = std::floor(unix_now() / 3600) * 3600 + 3600;  // the next full hour
  CHECK(h.publish(*other, {{t0 + 86400, 3}}).ok);

  std::vector<PlannedCapacity> plan = {{t0 - 7200, 9},  // already due: not published
                                       {t0, 4},
                                       {t0 + 3600, 4},  // no change: not published
                                       {t0 + 7200, 6},
                                       {t0 + 10800, 25}};  // above max: clamped to 10
  auto out = h.publish(*a, plan);
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(out.note ==
        "published 3 scheduled action(s) (3 put, 0 unchanged, 0 removed); 1 step(s) clamped to "
        "group bounds [1, 10]");
  Value actions = *h.server.state().find("scheduled")->find("nodes");
  CHECK(actions.as_object().size() == 4);
  const std::string first = aws::scheduled_action_name(
      "luascale-nodes-policy-",
      aws::Clock::time_point(std::chrono::seconds(static_cast<long long>(t0))));
  REQUIRE(actions.find(first));
  CHECK(actions.find(first)->find("desired")->as_int() == 4);
  CHECK(actions.find(first)->find("time_zone")->as_string() == "Europe/Paris");
  CHECK(actions.find(first)->find("start")->as_string() ==
        format_timestamp_text(UnixTime{static_cast<std::int64_t>(t0), 0}));

  // Same plan again: nothing to put or delete.
  out = h.publish(*a, plan);
  CHECK(out.note.find("(0 put, 3 unchanged, 0 removed)") != std::string::npos);

  // A new forecast: one step changed, one gone, one new; the manual action is left alone.
  out = h.publish(*a, {{t0, 4}, {t0 + 7200, 7}, {t0 + 14400, 2}});
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(out.note == "published 3 scheduled action(s) (2 put, 1 unchanged, 1 removed)");
  actions = *h.server.state().find("scheduled")->find("nodes");
  CHECK(actions.as_object().size() == 4);
  int manual = 0;
  for (const auto& [name, v] : actions.as_object()) {
    if (name.rfind("manual-", 0) == 0) ++manual;
  }
  CHECK(manual == 1);

  // An empty plan withdraws everything luascale published.
  out = h.publish(*a, {});
  CHECK(out.note == "published 0 scheduled action(s) (0 put, 0 unchanged, 3 removed)");
  CHECK(h.server.state().find("scheduled")->find("nodes")->as_object().size() == 1);
  h.check_all_signatures_verified();
}

TEST_CASE("aws asg scheduled: apply sets the current count and publishes the decision's plan") {
  AsgHarness h;
  auto a =
      h.make(R"({"kind": "aws-asg-scheduled", "group": "nodes", "plan_field": "min"})", {}, true);
  const double t0 = std::floor(unix_now() / 3600) * 3600 + 3600;
  const auto out = h.apply(*a, 3, {{t0, 5}, {t0 + 3600, 2}});
  CHECK_MESSAGE(out.ok, out.error);
  CHECK(out.applied == 3);
  CHECK(out.note.find("published 2 scheduled action(s)") != std::string::npos);
  CHECK(h.desired() == 3);
  const Value actions = *h.server.state().find("scheduled")->find("nodes");
  REQUIRE(actions.as_object().size() == 2);
  for (const auto& [name, v] : actions.as_object()) {
    CHECK(v.find("min"));
    CHECK_FALSE(v.find("desired"));
    CHECK(v.find("time_zone")->as_string() == "UTC");
  }
}

TEST_CASE("aws asg: node groups, one Auto Scaling Group each, set from a decision's groups") {
  AsgHarness h;
  h.server.control("groups", R"([{"name": "media-spot", "min": 0, "max": 10, "desired": 1},
                                 {"name": "media-od", "min": 0, "max": 10, "desired": 0}])");
  auto a = h.make(R"({"kind": "aws-asg", "retry_backoff": "20ms",
                      "groups": {"spot": "media-spot", "on-demand": "media-od"}})");
  auto r = h.read(*a);
  REQUIRE_MESSAGE(r.state, r.error);
  CHECK(r.state->replicas == 1);
  CHECK(r.state->max == 20);
  auto group_desired = [&](const char* name) {
    return h.server.state().find("groups")->find(name)->find("desired")->as_int();
  };
  ActuationInfo info;
  info.policy = "nodes-policy";
  info.groups = {{"on-demand", 4}, {"spot", 6}};
  auto out = h.wait<ApplyOutcome>([&](auto done) { a->apply(10, info, done); });
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(out.applied == 10);
  CHECK(group_desired("media-spot") == 6);
  CHECK(group_desired("media-od") == 4);
  // A count without a split moves the first group by the difference.
  info.groups.clear();
  out = h.wait<ApplyOutcome>([&](auto done) { a->apply(12, info, done); });
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(out.applied == 12);
  CHECK(group_desired("media-spot") == 8);
  CHECK(group_desired("media-od") == 4);
  // A group the target does not know is an error; a clamp names its group.
  info.groups = {{"gpu", 1}};
  out = h.wait<ApplyOutcome>([&](auto done) { a->apply(13, info, done); });
  CHECK(out.error.find("names group \"gpu\", not in target.groups") != std::string::npos);
  info.groups = {{"on-demand", 15}, {"spot", 8}};
  out = h.wait<ApplyOutcome>([&](auto done) { a->apply(23, info, done); });
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(out.applied == 18);
  CHECK(out.note == "on-demand: clamped 15 to group max 10");
  h.check_all_signatures_verified();
  aws::AsgTargetConfig both;
  CHECK(aws::parse_asg_target(parse_json(R"({"group": "a", "groups": {"x": "b"}})"), &both)
            .find("give group or groups, not both") != std::string::npos);
}
