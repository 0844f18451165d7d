// engine/testing/case_runner.cpp — see case_runner.hpp.
#include "engine/testing/case_runner.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/loop/memory_adapters.hpp"
#include "engine/loop/policy_runtime.hpp"
#include "engine/loop/tick.hpp"
#include "engine/testing/signal_form.hpp"
#include "engine/testing/test_values.hpp"

namespace fs = std::filesystem;

namespace luascale::testing {
namespace {

constexpr double kDefaultNow = 1700000000;

// The keys a case and a tick of a sequence may hold.
constexpr std::initializer_list<const char*> kCaseKeys = {
    "name",  "policy",  "params",     "target", "now",  "interval",
    "state", "signals", "guardrails", "expect", "ticks"};
constexpr std::initializer_list<const char*> kTickKeys = {"now", "dt", "signals", "target",
                                                          "expect"};
constexpr double kHistorySamples = 8192;  // samples each signal keeps

std::string describe(const DecisionRecord& r) {
  switch (r.status) {
    case EvalOutcome::Status::Hold:
      return "hold";
    case EvalOutcome::Status::Error:
      return "error: " + r.reason;
    case EvalOutcome::Status::Decision:
      break;
  }
  std::string s;
  if (r.replicas_out) s += "replicas " + std::to_string(*r.replicas_out);
  if (r.nodes_out)
    s += (s.empty() ? "" : ", ") + std::string("nodes ") + std::to_string(*r.nodes_out);
  if (!r.reason.empty()) s += " (" + r.reason + ")";
  return s;
}

class CaseRunner final : public TickSink {
 public:
  explicit CaseRunner(const CaseRun& run) : run_(run) {}

  std::string run() {
    const Value& c = run_.c;
    const Value& root = run_.root;
    // Every key at every level is one the format knows: a misspelled one is a mistake, not a
    // default silently taken.
    if (std::string p = unknown_key_problem(c, kCaseKeys, "case"); !p.empty()) return p;
    const Value* policy = pick(c, root, "policy");
    if (!policy || !policy->is_string())
      return "no policy: set policy = \"file.lua\" in the file or the case";
    const std::string script =
        (fs::path(run_.test_dir) / policy->as_string()).lexically_normal().string();

    PolicyConfig pc;
    pc.name = fs::path(script).stem().string();
    pc.script_path = script;
    pc.script_display = policy->as_string();
    for (const Value* src : {get(root, "params"), get(c, "params")}) {
      if (!src) continue;
      if (!src->is_object() && !(src->is_array() && src->as_array().empty()))
        return "params must be a table of named values";
      if (src->is_object())
        for (const auto& [k, v] : src->as_object()) pc.params.set(k, v);
    }
    if (const Value* iv = pick(c, root, "interval")) {
      auto s = seconds_of(iv);
      if (!s || *s <= 0) return "interval must be seconds > 0 or a duration like \"15s\"";
      pc.interval_seconds = *s;
    }
    pc.history_set = true;
    pc.history_seconds = kHistorySamples * pc.interval_seconds;
    pc.guard.enabled = false;
    // Guardrails, parsed by the config loader so keys and errors match the config file.
    const Value* g = pick(c, root, "guardrails");
    if (g && g->is_bool() && !g->as_bool()) g = nullptr;  // guardrails = false: none for this case
    if (g) {
      if (!g->is_object())
        return "guardrails must be a table (config keys: maxReplicas, behavior...)";
      Value pol = *g;
      pol.set("name", "test");
      pol.set("script", script);
      Value doc = Value::object();
      doc.set("policies", Value(Value::Array{pol}));
      try {
        Config cfg = parse_config(to_json(doc), run_.test_path);
        pc.guard = cfg.policies.at(0).guard;
      } catch (const std::exception& e) {
        std::string msg = e.what();
        auto p = msg.find("policies[0].");
        if (p != std::string::npos) msg = msg.substr(p + 12);
        return "guardrails: " + msg;
      }
    }

    // Ticks: the case itself, or its `ticks` list.
    std::vector<const Value*> ticks;
    const Value* tick_list = get(c, "ticks");
    if (tick_list && get(c, "expect"))
      return "expect belongs in each tick when ticks are given (the case-level expect would be "
             "ignored)";
    if (tick_list) {
      if (!tick_list->is_array() || tick_list->as_array().empty())
        return "ticks must be a non-empty list";
      for (const auto& t : tick_list->as_array()) ticks.push_back(&t);
    } else {
      ticks.push_back(&c);
    }
    // A case says what it expects (a sequence on one tick at least, its warm-up ticks need not):
    // a case that only checks "no error" passes whatever the policy decides.
    bool expects = false;
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      if (!ticks[i]->is_object()) continue;
      if (tick_list)
        if (std::string p =
                unknown_key_problem(*ticks[i], kTickKeys, "tick " + std::to_string(i + 1));
            !p.empty())
          return p;
      expects = expects || get(*ticks[i], "expect");
    }
    if (!expects)
      return std::string(tick_list ? "no tick has an expect" : "no expect") +
             " (say what it should decide: expect = {replicas = N}, expect = \"hold\" or "
             "expect = {error = \"...\"})";

    if (const Value* t = pick(c, root, "target"); t && t->is_object())
      if (const Value* n = get(*t, "name"); n && n->is_string()) pc.name = n->as_string();
    std::string load_error;
    runtime_ = PolicyRuntime::create(pc, &load_error);
    if (!runtime_) {
      // A load failure can be the expected outcome of the first tick.
      const Value* e = get(*ticks.front(), "expect");
      const Value* want = e && e->is_object() ? get(*e, "error") : nullptr;
      if (want && want->is_string() && load_error.find(want->as_string()) != std::string::npos)
        return "";
      return "policy failed to load: " + load_error;
    }
    if (const Value* st = get(c, "state")) {
      std::string err;
      if (!runtime_->script().set_state(*st, &err)) return err;
    }
    tick_ = std::make_unique<PolicyTick>(*runtime_, target_, *this);
    guarded_ = pc.guard.enabled;
    if (guarded_) {
      target_.state.min = pc.guard.min;
      if (pc.guard.max < kMaxCount) target_.state.max = pc.guard.max;
    }
    if (std::string err = apply_target(pick(c, root, "target"), true); !err.empty()) return err;

    double now = kDefaultNow;
    if (const Value* n = pick(c, root, "now")) {
      if (!n->is_number()) return "now must be unix seconds";
      now = n->as_number();
    }
    for (std::size_t i = 0; i < ticks.size(); ++i) {
      const Value& t = *ticks[i];
      const std::string where = ticks.size() > 1 ? "tick " + std::to_string(i + 1) + ": " : "";
      if (tick_list) {
        if (!t.is_object()) return where + "a tick must be a table";
        if (const Value* n = get(t, "now")) {
          if (!n->is_number()) return where + "now must be unix seconds";
          now = n->as_number();
        } else if (const Value* dt = get(t, "dt")) {
          auto s = seconds_of(dt);
          if (!s) return where + "dt must be seconds";
          now += *s;
        } else if (i > 0) {
          now += pc.interval_seconds;
        }
        if (i == 0)
          if (std::string err = apply_signals(get(c, "signals"), now); !err.empty())
            return where + err;
        if (std::string err = apply_target(get(t, "target"), false); !err.empty())
          return where + err;
      }
      if (std::string err = apply_signals(get(t, "signals"), now); !err.empty()) return where + err;
      if (std::string err = tick(now, get(t, "expect")); !err.empty()) return where + err;
    }
    return "";
  }

  void tick_done(TickRecord& record) override { record_ = &record; }

 private:
  std::string apply_target(const Value* t, bool initial) {
    if (initial) target_.state.replicas = target_.state.ready = 1;
    if (!t) return "";
    if (!t->is_object())
      return "target must be a table {replicas=..., ready=..., min=..., max=...}";
    if (std::string p =
            unknown_key_problem(*t, {"replicas", "ready", "min", "max", "name"}, "target");
        !p.empty())
      return p;
    bool ready_set = false;
    for (const auto& [k, v] : t->as_object()) {
      if (k == "name") continue;
      if (!v.is_number()) return "target." + k + " must be a number";
      const auto n = static_cast<std::int64_t>(v.as_number());
      if (k == "replicas") {
        target_.state.replicas = n;
      } else if (k == "ready") {
        target_.state.ready = n;
        ready_set = true;
      } else if (k == "min") {
        target_.state.min = n;
      } else if (k == "max") {
        target_.state.max = n;
      }
    }
    if (!ready_set) target_.state.ready = target_.state.replicas;
    return "";
  }

  // The signal's slot, with a memory source feeding it (made on first use).
  std::size_t slot(const std::string& name) {
    auto it = sources_.find(name);
    if (it != sources_.end()) return it->second.slot;
    Feed& f = sources_[name];
    f.slot = runtime_->add_signal(name);
    f.source = std::make_unique<MemorySource>();
    tick_->add_source(f.slot, *f.source);
    return f.slot;
  }
  MemorySource& source(const std::string& name) {
    slot(name);
    return *sources_[name].source;
  }

  std::string apply_signals(const Value* sigs, double now) {
    // Carried values are re-sampled at the tick's time first; this tick's values override.
    for (const auto& [name, v] : carried_) {
      if (sigs && sigs->find(name)) continue;
      source(name).push(now, v);
    }
    if (!sigs) return "";
    if (!sigs->is_object()) {
      if (sigs->is_array() && sigs->as_array().empty()) return "";
      return "signals must be a table of name = value";
    }
    for (const auto& [name, v] : sigs->as_object()) {
      const std::size_t i = slot(name);
      SignalSlot& table_slot = runtime_->signals().at(i);
      if (v.is_bool() && !v.as_bool()) {
        carried_.erase(name);
        table_slot.has_value = false;
        continue;
      }
      if (v.is_number() || v.is_array()) {
        carried_[name] = v;
        source(name).push(now, v);
        continue;
      }
      if (!v.is_object()) return "signals." + name + ": expected a number, a list or a table";
      carried_.erase(name);
      std::optional<double> stale_after;
      if (std::string p = push_signal_form(source(name), v, now, "signals." + name, &stale_after);
          !p.empty())
        return p;
      if (stale_after) table_slot.stale_after = *stale_after;
    }
    return "";
  }

  std::string tick(double now, const Value* expect) {
    record_ = nullptr;
    tick_->start(now);
    if (!record_) return "internal error: the tick did not finish";
    const DecisionRecord& rec = record_->decision;
    std::string diff = check(rec, expect);
    // Between ticks the target follows the decision (the guarded count with guardrails, else the
    // script's count); ready catches up with it.
    if (rec.status == EvalOutcome::Status::Decision || guarded_)
      target_.state.ready = target_.state.replicas;
    return diff;
  }

  std::string check(const DecisionRecord& rec, const Value* expect) {
    using S = EvalOutcome::Status;
    if (!expect) {
      if (rec.status == S::Error) return "evaluation failed: " + rec.reason;
      return "";
    }
    Value want;
    if (expect->is_array() && expect->as_array().empty())  // {} reads as an empty list
      return "expect is empty (give replicas, hold = true, error = \"...\" or another key)";
    if (expect->is_string()) {
      if (expect->as_string() == "hold")
        want.set("hold", true);
      else if (expect->as_string() == "error")
        want.set("error", "");
      else
        return "expect must be a table, \"hold\" or \"error\"";
    } else if (expect->is_object()) {
      if (std::string p =
              unknown_key_problem(*expect,
                                  {"replicas", "nodes", "recommended", "desired", "bound_by",
                                   "reason", "log", "state", "hold", "error"},
                                  "expect");
          !p.empty())
        return p;
      if (expect->as_object().empty())
        return "expect is empty (give replicas, hold = true, error = \"...\" or another key)";
      want = *expect;
    } else {
      return "expect must be a table, \"hold\" or \"error\"";
    }
    std::vector<std::string> diffs;
    if (const Value* err = get(want, "error")) {
      if (rec.status != S::Error) return "expected an error, got " + describe(rec);
      const std::string sub = err->is_string() ? err->as_string() : "";
      if (rec.reason.find(sub) == std::string::npos)
        return "expected an error containing \"" + sub + "\", got: " + rec.reason;
    } else if (rec.status == S::Error) {
      return "evaluation failed: " + rec.reason;
    }
    const std::string bound = bound_by_name(rec.bound_by);
    const bool actuated_is_replicas = !rec.nodes_out || rec.replicas_out;
    for (const auto& [k, w] : want.as_object()) {
      if (w.is_null() || k == "error") continue;
      if (k == "hold") {
        const bool want_hold = w.is_bool() && w.as_bool();
        if (want_hold != (rec.status == S::Hold))
          diffs.push_back(want_hold ? "expected hold, got " + describe(rec)
                                    : "expected a decision, got hold");
      } else if (k == "replicas" || k == "nodes") {
        std::optional<std::int64_t> got = k == "replicas" ? rec.replicas_out : rec.nodes_out;
        if (guarded_ && ((k == "replicas") == actuated_is_replicas) && (got || k == "replicas"))
          got = rec.desired;
        if (w.is_bool() && !w.as_bool()) {
          if (got) diffs.push_back(k + ": expected none, got " + std::to_string(*got));
        } else if (!w.is_number()) {
          diffs.push_back(k + ": expected value must be a number or false");
        } else if (!got) {
          diffs.push_back(k + ": expected " + show(w) + ", got " + describe(rec));
        } else if (static_cast<double>(*got) != w.as_number()) {
          diffs.push_back(k + ": expected " + show(w) + ", got " + std::to_string(*got) +
                          (rec.reason.empty() ? "" : " (" + rec.reason + ")"));
        }
      } else if (k == "recommended") {
        if (!w.is_number() || !rec.recommended ||
            static_cast<double>(*rec.recommended) != w.as_number())
          diffs.push_back("recommended: expected " + show(w) + ", got " +
                          (rec.recommended ? std::to_string(*rec.recommended) : describe(rec)));
      } else if (k == "desired") {
        if (!w.is_number() || static_cast<double>(rec.desired) != w.as_number())
          diffs.push_back("desired: expected " + show(w) + ", got " + std::to_string(rec.desired) +
                          " (bound by " + bound + ")");
      } else if (k == "bound_by") {
        if (!w.is_string() || w.as_string() != bound)
          diffs.push_back("bound_by: expected " + show(w) + ", got \"" + bound + "\"");
      } else if (k == "reason") {
        if (!w.is_string() || rec.reason.find(w.as_string()) == std::string::npos)
          diffs.push_back("reason: expected to contain " + show(w) + ", got \"" + rec.reason +
                          "\"");
      } else if (k == "log") {
        bool found = false;
        for (const auto& l : rec.logs)
          found = found || (w.is_string() && l.find(w.as_string()) != std::string::npos);
        if (!found) diffs.push_back("log: no line contains " + show(w));
      } else if (k == "state") {
        std::string serr;
        Value st = runtime_->script().state(&serr);
        if (!serr.empty()) {
          diffs.push_back("state: " + serr);
        } else {
          std::string d;
          if (!subset(w, &st, "state", &d)) diffs.push_back(d);
        }
      }
    }
    std::string s;
    for (const auto& d : diffs) s += (s.empty() ? "" : "; ") + d;
    return s;
  }

  const CaseRun& run_;
  std::unique_ptr<PolicyRuntime> runtime_;
  MemoryTarget target_;
  std::unique_ptr<PolicyTick> tick_;
  struct Feed {
    std::size_t slot = 0;
    std::unique_ptr<MemorySource> source;
  };
  std::map<std::string, Feed> sources_;
  std::map<std::string, Value> carried_;
  bool guarded_ = false;
  TickRecord* record_ = nullptr;
};

}  // namespace

std::string run_case(const CaseRun& run) {
  CaseRunner runner(run);
  return runner.run();
}

}  // namespace luascale::testing
