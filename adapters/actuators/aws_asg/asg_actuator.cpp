// adapters/actuators/aws_asg/asg_actuator.cpp — aws-asg and aws-asg-scheduled: config parsing,
// read/apply against the group, and plan publishing as scheduled actions.
#include "adapters/actuators/aws_asg/asg_actuator.hpp"

#include <utility>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cmath>
#include <map>

#include "adapters/actuators/aws_asg/asg_api.hpp"
#include "adapters/actuators/aws_asg/asg_node_groups.hpp"
#include "adapters/net/aws/credentials.hpp"
#include "adapters/net/aws/query_client.hpp"
#include "adapters/net/aws/service_client.hpp"
#include "adapters/net/http_client.hpp"
#include "common/time/timestamp_text.hpp"
#include "engine/core/units.hpp"

namespace luascale::aws {

std::vector<ConfigKey> asg_target_keys(bool scheduled) {
  std::vector<ConfigKey> keys = {
      {"group", "string", scheduled, "Auto Scaling Group name"},
      {"region", "string", false, "AWS region; default AWS_REGION / AWS_DEFAULT_REGION / profile"},
      {"endpoint", "string", false,
       "endpoint URL; default AWS_ENDPOINT_URL_AUTO_SCALING / AWS_ENDPOINT_URL / regional"},
      {"profile", "string", false, "shared config profile; default AWS_PROFILE / default"},
      {"honor_cooldown", "boolean", false, "SetDesiredCapacity HonorCooldown (default false)"},
      {"timeout", "duration", false, "per request attempt (default 10s)"},
      {"max_attempts", "number", false, "attempts per call for throttling/5xx (default 3)"},
      {"retry_backoff", "duration", false, "backoff base after throttling (default 1s)"},
  };
  if (!scheduled) {
    keys.push_back({"groups", "object", false,
                    "node groups: {\"<decision group name>\": \"<Auto Scaling Group name>\"}, "
                    "instead of group"});
  }
  if (scheduled) {
    keys.push_back(
        {"time_zone", "string", false, "IANA TimeZone of the scheduled actions (default UTC)"});
    keys.push_back({"action_prefix", "string", false,
                    "name prefix of the actions luascale owns (default luascale-<policy>-)"});
    keys.push_back({"plan_field", "string", false, "size a step sets: desired (default) or min"});
    keys.push_back({"max_actions", "number", false, "steps published at most (default 100)"});
    keys.push_back(
        {"set_desired", "boolean", false, "also set the current desired capacity (default true)"});
  }
  return keys;
}

std::string parse_asg_target(const Value& target, AsgTargetConfig* out) {
  std::vector<std::string> problems;
  auto str = [&](const char* key, std::string* dst) {
    if (const Value* v = target.find(key)) {
      if (v->is_string()) {
        *dst = v->as_string();
      } else {
        problems.push_back(std::string("target.") + key + ": expected a string");
      }
    }
  };
  auto duration = [&](const char* key, std::chrono::milliseconds* dst) {
    const Value* v = target.find(key);
    if (!v) return;
    std::optional<double> secs;
    if (v->is_number()) secs = v->as_number();
    if (v->is_string()) secs = parse_duration(v->as_string());
    if (!secs || *secs <= 0) {
      problems.push_back(std::string("target.") + key + ": expected a positive duration");
      return;
    }
    *dst = std::chrono::milliseconds(static_cast<long long>(std::llround(*secs * 1000)));
  };
  auto integer = [&](const char* key, int* dst, int lo, int hi) {
    const Value* v = target.find(key);
    if (!v) return;
    if (!v->is_number() || v->as_number() != std::floor(v->as_number()) || v->as_number() < lo ||
        v->as_number() > hi) {
      problems.push_back(std::string("target.") + key + ": expected an integer in [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]");
      return;
    }
    *dst = static_cast<int>(v->as_int());
  };
  auto boolean = [&](const char* key, bool* dst) {
    const Value* v = target.find(key);
    if (!v) return;
    if (!v->is_bool()) {
      problems.push_back(std::string("target.") + key + ": expected true or false");
      return;
    }
    *dst = v->as_bool();
  };
  str("group", &out->group);
  str("region", &out->service.region);
  str("endpoint", &out->service.endpoint);
  str("profile", &out->service.profile);
  boolean("honor_cooldown", &out->honor_cooldown);
  duration("timeout", &out->service.timeout);
  integer("max_attempts", &out->service.max_attempts, 1, 10);
  duration("retry_backoff", &out->service.retry_backoff);
  str("time_zone", &out->time_zone);
  str("action_prefix", &out->action_prefix);
  str("plan_field", &out->plan_field);
  integer("max_actions", &out->max_actions, 1, 125);
  boolean("set_desired", &out->set_desired);
  if (const Value* g = target.find("groups"); g && !g->is_null()) {
    if (!g->is_object() || g->as_object().empty()) {
      problems.push_back("target.groups: expected {\"<group name>\": \"<Auto Scaling Group>\"}");
    } else {
      for (const auto& [name, asg] : g->as_object()) {
        if (!asg.is_string() || asg.as_string().empty())
          problems.push_back("target.groups." + name + ": expected an Auto Scaling Group name");
        else
          out->node_groups.emplace_back(name, asg.as_string());
      }
    }
    if (!out->group.empty()) problems.push_back("target: give group or groups, not both");
  } else if (out->group.empty()) {
    problems.push_back("target.group: the Auto Scaling Group name is required");
  }
  if (out->plan_field != "desired" && out->plan_field != "min") {
    problems.push_back("target.plan_field: expected \"desired\" or \"min\"");
  }
  std::string text;
  for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
  out->config_error = text;
  return text;
}

std::string scheduled_action_name(const std::string& prefix, Clock::time_point t) {
  return prefix + format_timestamp_text(from_system_clock(t), TimestampSyntax::Iso8601Basic);
}

namespace {

ApplyOutcome apply_error(std::string error) {
  ApplyOutcome out;
  out.error = std::move(error);
  return out;
}

// Everything one group's calls share; kept alive by every pending callback.
struct AsgCore : std::enable_shared_from_this<AsgCore> {
  boost::asio::io_context& io;
  AsgTargetConfig config;
  std::string policy;
  std::string setup_error;  // config or environment problem reported by every call
  std::shared_ptr<QueryClient> client;
  std::unique_ptr<AsgApi> api;

  AsgCore(boost::asio::io_context& io_, AsgTargetConfig cfg, std::string policy_)
      : io(io_), config(std::move(cfg)), policy(std::move(policy_)) {}

  std::string where() const { return "auto scaling group \"" + config.group + "\""; }

  void read(std::function<void(ReadOutcome)> done) {
    auto self = shared_from_this();
    api->describe_group(config.group, [self, done = std::move(done)](GroupOutcome g) {
      ReadOutcome out;
      if (!g.query.ok()) {
        out.error = self->where() + ": " + g.query.error;
      } else if (!g.group->status.empty()) {
        out.error = self->where() + " is unusable: status \"" + g.group->status + "\"";
      } else {
        TargetState s;
        s.replicas = g.group->desired;
        s.ready = g.group->ready();
        s.min = g.group->min_size;
        s.max = g.group->max_size;
        out.state = s;
      }
      done(std::move(out));
    });
  }

  // Describe, clamp, set. `note_prefix` carries notes of earlier steps.
  void set_capacity(std::int64_t desired, std::function<void(ApplyOutcome)> done) {
    auto self = shared_from_this();
    api->describe_group(config.group, [self, desired, done = std::move(done)](GroupOutcome g) {
      if (!g.query.ok()) return done(apply_error(self->where() + ": " + g.query.error));
      const AsgGroup& group = *g.group;
      if (!group.status.empty()) {
        return done(apply_error(self->where() + " is unusable: status \"" + group.status + "\""));
      }
      ApplyOutcome out;
      std::int64_t target = desired;
      if (target > group.max_size) {
        target = group.max_size;
        out.note = "clamped " + std::to_string(desired) + " to group max " +
                   std::to_string(group.max_size);
      } else if (target < group.min_size) {
        target = group.min_size;
        out.note = "clamped " + std::to_string(desired) + " to group min " +
                   std::to_string(group.min_size);
      }
      if (target == group.desired) {
        out.ok = true;
        out.applied = target;
        return done(std::move(out));
      }
      self->api->set_desired_capacity(
          self->config.group, target, self->config.honor_cooldown,
          [self, target, group_desired = group.desired, out, done](QueryOutcome q) mutable {
            if (q.ok()) {
              out.ok = true;
              out.applied = target;
              return done(std::move(out));
            }
            out.applied = group_desired;
            if (q.code == "ScalingActivityInProgress") {
              out.error = self->where() + ": scaling activity in progress; holding at " +
                          std::to_string(group_desired) + ", " + std::to_string(target) +
                          " is retried next tick";
            } else if (q.code == "ValidationError") {
              out.error = self->where() + ": SetDesiredCapacity " + std::to_string(target) +
                          " rejected: " + q.error;
            } else {
              out.error =
                  self->where() + ": SetDesiredCapacity " + std::to_string(target) + ": " + q.error;
            }
            done(std::move(out));
          });
    });
  }
};

// One publish of a plan: read the owned actions, put the new ones, delete the stale ones.
struct PlanPublish : std::enable_shared_from_this<PlanPublish> {
  std::shared_ptr<AsgCore> core;
  std::vector<ScheduledAction> wanted;
  std::vector<std::string> to_delete;
  std::vector<ScheduledAction> to_put;
  int unchanged = 0;
  std::string clamp_note;
  std::function<void(ApplyOutcome)> done;

  void start(std::vector<PlannedCapacity> plan) {
    const auto& cfg = core->config;
    const Clock::time_point now = cfg.service.now ? cfg.service.now() : Clock::now();
    std::sort(plan.begin(), plan.end(),
              [](const auto& a, const auto& b) { return a.time < b.time; });
    std::optional<std::int64_t> previous;
    std::string prefix =
        cfg.action_prefix.empty() ? "luascale-" + core->policy + "-" : cfg.action_prefix;
    prefix_ = prefix;
    for (const auto& step : plan) {
      if (step.capacity < 0 || !std::isfinite(step.time)) {
        return finish(apply_error("plan: a step has a negative capacity or no time"));
      }
      const auto t = Clock::time_point(std::chrono::seconds(static_cast<std::int64_t>(step.time)));
      // Only changes are published; steps already due are the regular actuator's job (AWS
      // refuses start times in the past).
      const bool changes = !previous || *previous != step.capacity;
      previous = step.capacity;
      if (!changes || t <= now) continue;
      if (!wanted.empty() && wanted.back().start_time == t) {
        wanted.pop_back();
      }
      if (static_cast<int>(wanted.size()) >= cfg.max_actions) break;
      ScheduledAction a;
      a.name = scheduled_action_name(prefix, t);
      a.start_time = t;
      a.time_zone = cfg.time_zone;
      if (cfg.plan_field == "min") {
        a.min_size = step.capacity;
      } else {
        a.desired = step.capacity;
      }
      wanted.push_back(std::move(a));
    }
    // Clamp to the group's bounds (a scheduled desired outside them fails when it fires).
    auto self = shared_from_this();
    core->api->describe_group(cfg.group, [self](GroupOutcome g) {
      if (!g.query.ok())
        return self->finish(apply_error(self->core->where() + ": " + g.query.error));
      int clamped = 0;
      for (auto& a : self->wanted) {
        // A desired count must lie in [min, max]; a floor (MinSize) only must not exceed max.
        auto& v = a.desired ? a.desired : a.min_size;
        const auto c = a.desired ? std::clamp(*v, g.group->min_size, g.group->max_size)
                                 : std::min(*v, g.group->max_size);
        if (c != *v) ++clamped;
        *v = c;
      }
      if (clamped) {
        self->clamp_note = std::to_string(clamped) + " step(s) clamped to group bounds [" +
                           std::to_string(g.group->min_size) + ", " +
                           std::to_string(g.group->max_size) + "]";
      }
      self->describe_existing();
    });
  }

  void describe_existing() {
    auto self = shared_from_this();
    core->api->describe_scheduled_actions(core->config.group, [self](ScheduledActionsOutcome s) {
      if (!s.query.ok()) {
        return self->finish(
            apply_error(self->core->where() + ": DescribeScheduledActions: " + s.query.error));
      }
      std::map<std::string, const ScheduledAction*> existing;
      for (const auto& a : s.actions) {
        if (a.name.rfind(self->prefix_, 0) == 0) existing[a.name] = &a;
      }
      std::map<std::string, bool> keep;
      for (const auto& w : self->wanted) {
        keep[w.name] = true;
        auto it = existing.find(w.name);
        if (it != existing.end() && it->second->start_time == w.start_time &&
            it->second->desired == w.desired && it->second->min_size == w.min_size &&
            it->second->max_size == w.max_size && it->second->recurrence.empty() &&
            (it->second->time_zone.empty() ? std::string("UTC") : it->second->time_zone) ==
                (w.time_zone.empty() ? std::string("UTC") : w.time_zone)) {
          ++self->unchanged;
        } else {
          self->to_put.push_back(w);
        }
      }
      for (const auto& [name, a] : existing) {
        if (!keep.count(name)) self->to_delete.push_back(name);
      }
      self->next_put(0);
    });
  }

  // Puts first, deletes after, so there is never a window without the new actions.
  void next_put(std::size_t i) {
    if (i == to_put.size()) return next_delete(0);
    auto self = shared_from_this();
    core->api->put_scheduled_action(core->config.group, to_put[i], [self, i](QueryOutcome q) {
      if (!q.ok()) {
        return self->finish(apply_error(self->core->where() + ": PutScheduledUpdateGroupAction " +
                                        self->to_put[i].name + ": " + q.error));
      }
      self->next_put(i + 1);
    });
  }

  void next_delete(std::size_t i) {
    if (i == to_delete.size()) {
      ApplyOutcome out;
      out.ok = true;
      out.note = "published " + std::to_string(wanted.size()) + " scheduled action(s) (" +
                 std::to_string(to_put.size()) + " put, " + std::to_string(unchanged) +
                 " unchanged, " + std::to_string(to_delete.size()) + " removed)";
      if (!clamp_note.empty()) out.note += "; " + clamp_note;
      return finish(std::move(out));
    }
    auto self = shared_from_this();
    core->api->delete_scheduled_action(core->config.group, to_delete[i], [self, i](QueryOutcome q) {
      // Already gone (fired or removed by someone else) counts as deleted.
      if (!q.ok() && q.code != "ValidationError") {
        return self->finish(apply_error(self->core->where() + ": DeleteScheduledAction " +
                                        self->to_delete[i] + ": " + q.error));
      }
      self->next_delete(i + 1);
    });
  }

  void finish(ApplyOutcome out) { done(std::move(out)); }

  std::string prefix_;
};

class AsgActuator final : public Actuator, public PlanPublisher {
 public:
  AsgActuator(std::shared_ptr<AsgCore> core, bool scheduled)
      : core_(std::move(core)), scheduled_(scheduled) {}

  void read(std::function<void(ReadOutcome)> done) override {
    if (!core_->setup_error.empty()) {
      ReadOutcome out;
      out.error = core_->setup_error;
      return post(std::move(done), std::move(out));
    }
    core_->read(std::move(done));
  }

  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override {
    if (!core_->setup_error.empty()) return post(std::move(done), apply_error(core_->setup_error));
    if (!scheduled_) return core_->set_capacity(desired, std::move(done));
    auto plan = info.plan;
    auto publish_step = [core = core_, plan = std::move(plan), desired](
                            ApplyOutcome first, std::function<void(ApplyOutcome)> done) mutable {
      if (plan.empty()) return done(std::move(first));
      run_publish(core, std::move(plan), [first, done = std::move(done)](ApplyOutcome p) mutable {
        if (!p.ok) {
          first.ok = false;
          first.error = first.error.empty() ? p.error : first.error + "; " + p.error;
        }
        if (!p.note.empty()) first.note = first.note.empty() ? p.note : first.note + "; " + p.note;
        done(std::move(first));
      });
      (void)desired;
    };
    if (core_->config.set_desired) {
      core_->set_capacity(desired, [publish_step, done](ApplyOutcome first) mutable {
        publish_step(std::move(first), std::move(done));
      });
    } else {
      ApplyOutcome first;
      first.ok = true;
      first.applied = desired;
      publish_step(std::move(first), std::move(done));
    }
  }

  void publish(std::vector<PlannedCapacity> plan, std::function<void(ApplyOutcome)> done) override {
    if (!core_->setup_error.empty()) return post(std::move(done), apply_error(core_->setup_error));
    run_publish(core_, std::move(plan), std::move(done));
  }

 private:
  static void run_publish(std::shared_ptr<AsgCore> core, std::vector<PlannedCapacity> plan,
                          std::function<void(ApplyOutcome)> done) {
    auto op = std::make_shared<PlanPublish>();
    op->core = std::move(core);
    op->done = std::move(done);
    op->start(std::move(plan));
  }

  template <typename Fn, typename Arg>
  void post(Fn done, Arg arg) {
    boost::asio::post(core_->io, [done = std::move(done), arg = std::move(arg)]() mutable {
      done(std::move(arg));
    });
  }

  std::shared_ptr<AsgCore> core_;
  bool scheduled_;
};

}  // namespace

std::unique_ptr<Actuator> make_asg_actuator(AdapterContext& ctx, const std::string& policy,
                                            AsgTargetConfig config, bool scheduled) {
  if (!config.service.env) config.service.env = process_environment();
  if (!scheduled && config.config_error.empty() && !config.node_groups.empty()) {
    // One actuator per node group's Auto Scaling Group, summed (asg_node_groups.hpp).
    std::vector<std::pair<std::string, std::unique_ptr<Actuator>>> members;
    for (const auto& [name, asg] : config.node_groups) {
      AsgTargetConfig one = config;
      one.group = asg;
      one.node_groups.clear();
      members.emplace_back(name, make_asg_actuator(ctx, policy, std::move(one), false));
    }
    return make_node_groups_actuator(std::move(members));
  }
  auto core = std::make_shared<AsgCore>(ctx.io, config, policy);
  const std::string kind = scheduled ? "aws-asg-scheduled" : "aws-asg";
  if (!config.config_error.empty() || config.group.empty()) {
    core->setup_error =
        kind + ": " +
        (config.config_error.empty() ? "target.group is required" : config.config_error);
    return std::make_unique<AsgActuator>(core, scheduled);
  }
  std::string error;
  core->client = make_service_client(
      ctx.io, std::make_shared<net::HttpClient>(ctx.io),
      {"Auto Scaling", "autoscaling", "autoscaling", "2011-01-01", ""}, config.service, &error);
  if (!core->client) {
    core->setup_error = kind + " \"" + config.group + "\": " +
                        (error.rfind("no region", 0) == 0
                             ? std::string("no region (set target.region, AWS_REGION or "
                                           "AWS_DEFAULT_REGION)")
                             : error);
    return std::make_unique<AsgActuator>(core, scheduled);
  }
  core->api = std::make_unique<AsgApi>(core->client);
  return std::make_unique<AsgActuator>(core, scheduled);
}

namespace {

template <bool Scheduled>
std::unique_ptr<Actuator> make_from_target(AdapterContext& ctx, const std::string& policy,
                                           const Value& target) {
  AsgTargetConfig config;
  parse_asg_target(target, &config);
  return make_asg_actuator(ctx, policy, std::move(config), Scheduled);
}

}  // namespace

ActuatorFactory asg_actuator_factory() {
  return {"aws-asg", asg_target_keys(false), &make_from_target<false>};
}

ActuatorFactory asg_scheduled_actuator_factory() {
  return {"aws-asg-scheduled", asg_target_keys(true), &make_from_target<true>};
}

}  // namespace luascale::aws
