// engine/cli/cmd_eval.cpp — `luascale eval`: one evaluation, printed as JSON.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/loop/memory_adapters.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/loop/tick.hpp"
#include "engine/state/state_file.hpp"
#include "engine/testing/signal_form.hpp"

namespace luascale::cli {
namespace {

// Queues one --signals entry on its source: a number or a list (a structured value such as a
// per-pod list) sampled now, null for none, or the table form test files use too
// ({"history": ...}, {"value": ..., "age": ...}, {"error": ...}; engine/testing/signal_form).
void feed_signal(MemorySource& src, SignalSlot& slot, const std::string& name, const Value& v,
                 double now) {
  const std::string where = "--signals." + name;
  if (v.is_null()) return;
  if (v.is_number()) {
    if (!std::isfinite(v.as_number())) throw std::runtime_error(where + ": not a finite number");
    src.push(now, v);
    return;
  }
  if (v.is_array()) {
    src.push(now, v);
    return;
  }
  if (!v.is_object()) throw std::runtime_error(where + ": expected a number, a list or an object");
  std::optional<double> stale_after;
  if (std::string p = testing::push_signal_form(src, v, now, where, &stale_after); !p.empty())
    throw std::runtime_error(p);
  if (stale_after) slot.stale_after = *stale_after;
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
    if (std::string p =
            testing::unknown_key_problem(t, {"replicas", "ready", "min", "max"}, "--target");
        !p.empty())
      throw std::runtime_error(p);
    for (auto& [k, v] : t.as_object()) {
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
      const std::size_t slot = rt->add_signal(k);
      feed_signal(*sources.back(), rt->signals().at(slot), k, v, now);
      tick.add_source(slot, *sources.back());
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
  // A signal the policy asked for that --signals does not give read as nil: say so.
  for (const auto& name : rt->script().unknown_signals())
    std::cerr << "note: policy \"" << cfg.name << "\" read signal \"" << name
              << "\", which --signals does not give (it read nil)\n";
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
