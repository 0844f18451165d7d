// engine/loop/policy_runtime.cpp — script + signals + guardrails for one policy.
#include "engine/loop/policy_runtime.hpp"

#include <cmath>
#include <filesystem>

#include "engine/core/units.hpp"
#include "engine/lua/lua_value.hpp"

namespace luascale {

std::string display_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) return path;
  fs::path rel = abs.lexically_normal().lexically_relative(fs::current_path(ec));
  if (ec || rel.empty() || rel.string().rfind("..", 0) == 0) return abs.lexically_normal().string();
  return rel.string();
}

PolicyRuntime::PolicyRuntime(const PolicyConfig& cfg, std::unique_ptr<PolicyScript> script)
    : cfg_(cfg), script_(std::move(script)), guard_(cfg.guard) {
  view_.name = cfg_.name;
}

std::unique_ptr<PolicyRuntime> PolicyRuntime::create(const PolicyConfig& cfg, std::string* error,
                                                     LuaStatePool* pool) {
  PolicyLoadOptions opts;
  opts.name = cfg.name;
  opts.script_path = cfg.script_path;
  opts.display_path = display_path(cfg.script_path);
  opts.stdlib_dir = stdlib_dir();
  opts.params = cfg.params;
  opts.scale_up_tolerance = cfg.guard.scale_up.tolerance;
  opts.scale_down_tolerance = cfg.guard.scale_down.tolerance;
  opts.limits = cfg.limits;
  if (cfg.limits.shared_state) opts.pool = pool;
  auto script = PolicyScript::load(opts, error);
  if (!script) return nullptr;
  std::unique_ptr<PolicyRuntime> rt(new PolicyRuntime(cfg, std::move(script)));
  for (const auto& s : cfg.signals) rt->add_signal(s.name);
  return rt;
}

std::size_t PolicyRuntime::add_signal(const std::string& name) {
  double stale = stale_after_default();
  for (const auto& s : cfg_.signals)
    if (s.name == name && s.stale_after) stale = *s.stale_after;
  std::size_t capacity =
      static_cast<std::size_t>(std::ceil(cfg_.history_seconds / cfg_.interval_seconds)) + 2;
  if (capacity > (1u << 20)) capacity = 1u << 20;
  // Without an explicit "history", a short interval keeps the last 512 samples (8 KiB), not an
  // hour.
  if (!cfg_.history_set && capacity > 512) capacity = 512;
  return signals_.add(name, stale, capacity);
}

DecisionRecord PolicyRuntime::tick(double now, std::int64_t current, std::int64_t ready,
                                   bool signal_failed) {
  DecisionRecord rec;
  tick(now, TargetState{current, ready, std::nullopt, std::nullopt}, rec, signal_failed);
  return rec;
}

void PolicyRuntime::tick(double now, const TargetState& target, DecisionRecord& rec,
                         bool signal_failed) {
  if (attached_count_ != signals_.size()) {
    script_->attach_signals(&signals_);
    attached_count_ = signals_.size();
  }
  const GuardrailConfig& g = cfg_.guard;
  view_.replicas = target.replicas;
  view_.ready = target.ready;
  if (g.enabled) {
    view_.min = g.min;
    if (g.max < kMaxCount)
      view_.max = g.max;
    else
      view_.max.reset();
  } else {
    view_.min = target.min;
    view_.max = target.max;
  }

  const std::int64_t current = target.replicas;
  rec.time = now;
  rec.current = current;
  rec.recommended.reset();
  rec.replicas_out.reset();
  rec.nodes_out.reset();
  rec.reason.clear();
  rec.plan.clear();
  rec.forecast.clear();
  rec.groups.clear();
  rec.logs.clear();
  EvalOutcome& out = out_;
  script_->evaluate(now, cfg_.interval_seconds, view_, out);
  rec.status = out.status;
  rec.logs.swap(out.logs);
  switch (out.status) {
    case EvalOutcome::Status::Error:
      rec.reason.swap(out.error);
      break;
    case EvalOutcome::Status::Hold:
      break;
    case EvalOutcome::Status::Decision:
      rec.replicas_out = out.replicas;
      rec.nodes_out = out.nodes;
      rec.recommended = out.replicas ? out.replicas : out.nodes;
      rec.reason.swap(out.reason);
      rec.plan.swap(out.plan);
      rec.forecast.swap(out.forecast);
      rec.groups.swap(out.groups);
      break;
  }
  if (!g.enabled) {  // the recommendation as it is
    rec.desired = rec.recommended.value_or(current);
    rec.bound_by = rec.recommended ? BoundBy::None
                                   : (out.status == EvalOutcome::Status::Error ? BoundBy::Error
                                                                               : BoundBy::Hold);
    return;
  }
  // A script error leaves nothing to go on; a failed signal leaves the script's decision from
  // the signals that did not fail, which the guardrails weigh against the fallback.
  const bool script_failed = out.status == EvalOutcome::Status::Error;
  const bool failed = signal_failed || script_failed;
  GuardResult r =
      guard_.decide(now, current, script_failed ? std::nullopt : rec.recommended, failed);
  rec.desired = r.desired;
  rec.bound_by = r.bound_by;
}

void PolicyRuntime::observe_shadow(double now, std::int64_t observed) {
  const GuardrailConfig& g = cfg_.guard;
  // A pause (0 with minReplicas above 0) and its end are not scale events, as for a live policy.
  auto paused = [&](std::int64_t n) { return g.enabled && n == 0 && g.min != 0; };
  if (observed_ && *observed_ != observed && !paused(*observed_) && !paused(observed))
    guard_.record_scale(now, *observed_, observed);
  observed_ = observed;
}

namespace {

// The persisted "shadow" entry: {"observed": N}, or {"observed": null} before the first tick.
Value shadow_entry(const std::optional<std::int64_t>& count) {
  Value s = Value::object();
  s.set("observed", count ? Value(*count) : Value());
  return s;
}

}  // namespace

Value PolicyRuntime::save_state(std::string* error) const {
  Value v = Value::object();
  v.set("guardrails", guard_.state().to_value());
  v.set("ctx_state", script_->state(error));
  if (shadow_) v.set("shadow", shadow_entry(observed_));
  return v;
}

std::string PolicyRuntime::persisted_json(std::string* ctx_error) {
  std::string err;
  Value st = script_->state(&err);
  if (err.empty()) last_ctx_json_ = to_json(st);
  if (ctx_error) *ctx_error = err;
  std::string out = "{\"guardrails\":";
  out += to_json(guard_.state().to_value());
  out += ",\"ctx_state\":";
  out += last_ctx_json_.empty() ? "{}" : last_ctx_json_;
  if (shadow_) {
    out += ",\"shadow\":";
    out += to_json(shadow_entry(observed_));
  }
  out += '}';
  return out;
}

bool PolicyRuntime::restore_state(const Value& v, double latest, std::vector<std::string>& warnings,
                                  std::string* error, bool guardrails) {
  if (!v.is_object()) {
    if (error) *error = std::string("expected an object, not ") + v.kind_name();
    return false;
  }
  // The last observed count of a state saved by a shadow policy.
  std::optional<std::int64_t> observed;
  const Value* sv = v.find("shadow");
  if (sv && !sv->is_null()) {
    const Value* n = sv->is_object() ? sv->find("observed") : nullptr;
    if (!sv->is_object()) {
      if (error) *error = std::string("shadow: expected an object, not ") + sv->kind_name();
      return false;
    }
    if (n && !n->is_null()) {
      if (!n->is_number() || !is_exact_integer(n->as_number()) || n->as_number() < 0 ||
          n->as_number() > static_cast<double>(kMaxCount)) {
        if (error) *error = "shadow.observed: not an integer in 0..2147483647";
        return false;
      }
      observed = static_cast<std::int64_t>(n->as_number());
    }
  }
  GuardrailState g;
  std::vector<std::string> notes;
  const bool saved_shadow = sv && !sv->is_null();
  if (guardrails && saved_shadow != shadow_) {
    notes.push_back(saved_shadow
                        ? "saved by the policy in shadow mode; it now actuates: its guardrail "
                          "history starts fresh (ctx.state is kept)"
                        : "saved by the policy while it actuated; in shadow mode its guardrail "
                          "history starts fresh (ctx.state is kept)");
    guardrails = false;
  }
  if (guardrails)
    if (const Value* gv = v.find("guardrails"); gv && !gv->is_null())
      if (!GuardrailState::restore(*gv, latest, g, notes, error)) return false;
  const Value* s = v.find("ctx_state");
  if (s && !s->is_null()) {
    if (!s->is_object() && !s->is_array()) {
      if (error) *error = std::string("ctx_state: expected a table, not ") + s->kind_name();
      return false;
    }
    if (!value_within_limits(*s, "ctx_state", error)) {
      if (error) *error += " (a save could never convert it back)";
      return false;
    }
    if (!script_->set_state(*s, error)) return false;
    last_ctx_json_ = to_json(*s);
  }
  if (guardrails) {
    guard_.state() = std::move(g);
    observed_ = observed;
  } else {
    observed_.reset();
  }
  warnings.insert(warnings.end(), notes.begin(), notes.end());
  return true;
}

}  // namespace luascale
