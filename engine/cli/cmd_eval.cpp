// engine/cli/cmd_eval.cpp — `luascale eval`: one evaluation, printed as JSON.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/loop/memory_adapters.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/loop/tick.hpp"
#include "engine/state/state_file.hpp"

namespace luascale::cli {
namespace {

// Queues one signal value on its source: a number, {"history": [[dt, v], ...]} (dt seconds
// relative to now, <= 0), or any other JSON value (a structured signal such as a per-pod list).
void feed_signal(MemorySource& src, const std::string& name, const Value& v, double now) {
  const std::string where = "--signals." + name;
  if (v.is_null()) return;
  if (v.is_number()) {
    if (!std::isfinite(v.as_number())) throw std::runtime_error(where + ": not a finite number");
    src.push(now, v);
    return;
  }
  if (v.is_object()) {
    if (const Value* h = v.find("history"); h && v.as_object().size() == 1) {
      if (!h->is_array())
        throw std::runtime_error(where + ".history: expected an array of [dt, value]");
      std::size_t i = 0;
      for (const Value& e : h->as_array()) {
        std::string at = where + ".history[" + std::to_string(i++) + "]";
        double dt, val;
        if (e.is_array() && e.as_array().size() == 2 && e.as_array()[0].is_number() &&
            e.as_array()[1].is_number()) {
          dt = e.as_array()[0].as_number();
          val = e.as_array()[1].as_number();
        } else if (e.is_object() && e.find("t") && e.find("v") && e.find("t")->is_number() &&
                   e.find("v")->is_number()) {
          dt = e.find("t")->as_number();
          val = e.find("v")->as_number();
        } else {
          throw std::runtime_error(at + ": expected [dt, value] or {\"t\": dt, \"v\": value}");
        }
        if (dt > 0) throw std::runtime_error(at + ": dt must be <= 0 (seconds before now)");
        if (!std::isfinite(val)) throw std::runtime_error(at + ": not a finite number");
        src.push(now + dt, Value(val));
      }
      return;
    }
  }
  if (v.is_bool() || v.is_string())
    throw std::runtime_error(where + ": expected a number, list or object");
  src.push(now, v);
}

// Keeps the record of the one tick `eval` runs.
struct EvalSink final : TickSink {
  void tick_done(TickRecord& r) override { record = r; }
  TickRecord record;
};

}  // namespace

int cmd_eval(const EvalOptions& o) {
  std::vector<PolicyConfig> pcs = load_policies(o.path);
  const PolicyConfig* pc = &pcs.front();
  if (!o.policy_name.empty()) {
    pc = nullptr;
    for (const auto& p : pcs)
      if (p.name == o.policy_name) pc = &p;
    if (!pc) throw std::runtime_error(o.path + ": no policy named \"" + o.policy_name + "\"");
  }
  PolicyConfig cfg = *pc;
  if (!o.params.empty()) {
    Value extra = json_arg(o.params, "--params");
    for (auto& [k, v] : extra.as_object()) cfg.params.set(k, v);
  }
  std::int64_t replicas = cfg.target.replicas.value_or(std::max<std::int64_t>(cfg.guard.min, 1));
  std::int64_t ready = -1;
  if (!o.target.empty()) {
    Value t = json_arg(o.target, "--target");
    for (auto& [k, v] : t.as_object()) {
      if (k != "replicas" && k != "ready" && k != "min" && k != "max")
        throw std::runtime_error("--target." + k + ": unknown key (replicas, ready, min, max)");
      if (!v.is_integer() || v.as_int() < 0 || v.as_int() > kMaxCount)
        throw std::runtime_error("--target." + k + ": expected an integer in [0, 2147483647]");
      if (k == "replicas")
        replicas = v.as_int();
      else if (k == "ready")
        ready = v.as_int();
      // The target's bounds take the place of the config's minReplicas/maxReplicas.
      else if (k == "min")
        cfg.guard.min = v.as_int();
      else
        cfg.guard.max = v.as_int();
    }
    if (cfg.guard.min > cfg.guard.max) throw std::runtime_error("--target: min is above max");
  }
  std::string err;
  auto rt = PolicyRuntime::create(cfg, &err);
  if (!rt) {
    std::cerr << err << "\n";
    return 1;
  }
  double now =
      o.now ? *o.now
            : std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                  .count();
  // The one tick, through the path every command drives: the signals from memory sources, the
  // target a count in memory.
  MemoryTarget target;
  EvalSink sink;
  PolicyTick tick(*rt, target, sink);
  std::vector<std::unique_ptr<MemorySource>> sources;
  if (!o.signals.empty()) {
    Value sig = json_arg(o.signals, "--signals");
    for (auto& [k, v] : sig.as_object()) {
      sources.push_back(std::make_unique<MemorySource>());
      feed_signal(*sources.back(), k, v, now);
      tick.add_source(rt->add_signal(k), *sources.back());
    }
  }
  if (ready < 0) ready = replicas;
  target.state = TargetState{replicas, ready, std::nullopt, std::nullopt};
  if (!o.state.empty()) {
    // A state file as `replay --state-out` and `run` write it; the policy's entry is restored
    // (recommendation history, scale events, ctx.state).
    // Checked as `run` checks it: entries stamped after the evaluation's time are dropped.
    Value policies;
    double saved_at = now;
    if (!load_state_file(o.state, policies, &err, &saved_at)) throw std::runtime_error(err);
    if (const Value* st = policies.find(cfg.name)) {
      std::vector<std::string> warnings;
      if (!rt->restore_state(*st, std::min(now, saved_at), warnings, &err)) {
        std::cerr << o.state << ": policy \"" << cfg.name << "\": " << err << "\n";
        return 1;
      }
      for (const auto& w : warnings)
        std::cerr << o.state << ": policy \"" << cfg.name << "\": " << w << "\n";
    } else {
      throw std::runtime_error(o.state + ": no state for policy \"" + cfg.name + "\"");
    }
  }

  tick.start(now);
  DecisionRecord& rec = sink.record.decision;
  Value out = Value::object();
  out.set("policy", cfg.name);
  out.set("status", status_name(rec.status));
  out.set("current", rec.current);
  out.set("recommended", rec.recommended ? Value(*rec.recommended) : Value());
  out.set("replicas",
          rec.replicas_out ? Value(rec.desired) : (rec.nodes_out ? Value() : Value(rec.desired)));
  out.set("nodes",
          rec.nodes_out ? Value(rec.replicas_out ? *rec.nodes_out : rec.desired) : Value());
  if (!rec.groups.empty()) {  // a node policy's split of its count over node groups
    Value groups = Value::object();
    for (const auto& g : rec.groups) groups.set(g.name, Value(g.count));
    out.set("groups", groups);
  }
  out.set("bound_by", bound_by_name(rec.bound_by));
  if (rec.status == EvalOutcome::Status::Error)
    out.set("error", rec.reason);
  else
    out.set("reason", rec.reason);
  Value logs = Value::array();
  for (auto& l : rec.logs) logs.as_array().push_back(l);
  out.set("logs", logs);
  out.set("state", rt->script().state());
  if (!o.state_out.empty()) {
    Value policies = Value::object();
    if (!o.state.empty()) load_state_file(o.state, policies, nullptr);
    std::string serr;
    Value st = rt->save_state(&serr);
    if (!serr.empty()) throw std::runtime_error(serr);
    policies.set(cfg.name, st);
    if (!save_state_file(o.state_out, policies, now, &serr)) throw std::runtime_error(serr);
  }
  std::cout << to_json(out, 2) << "\n";
  if (rec.status == EvalOutcome::Status::Error) {
    std::cerr << rec.reason << "\n";
    return 1;
  }
  return 0;
}

}  // namespace luascale::cli
