// engine/lua/policy_script.hpp — one loaded policy script in its own sandboxed lua_State:
// loading (text chunks only, strict globals, restricted require), one evaluation of
// decide(ctx, p) under an instruction budget, a wall-clock deadline and a memory cap, and the
// conversion of its answer into a checked decision. All Lua/C pain is contained in the .cpp.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/value.hpp"

namespace luascale {

class SignalTable;

struct LuaLimits {
  std::int64_t instructions = 10'000'000;  // per evaluation, > 0
  std::size_t memory_bytes = 32u << 20;    // per lua_State
  double timeout_seconds = 1.0;            // wall clock per evaluation
  double load_timeout_seconds = 2.0;       // wall clock for loading the script and its requires
  bool shared_state = true;                // `run` may share one state among policies of a script
};

class LuaStatePool;

struct PolicyLoadOptions {
  std::string name;          // policy name, used in every error
  std::string script_path;   // file to read
  std::string display_path;  // how errors name the file (chunk name), e.g. "policies/hpa.lua"
  std::string stdlib_dir;    // folder holding luascale/<module>.lua
  Value params;              // config overrides, shallow-merged over the script's params
  // behavior.scaleUp / scaleDown.tolerance from the config: ctx.target.scale_up_tolerance and
  // scale_down_tolerance (absent when unset), set once like ctx.target.name.
  std::optional<double> scale_up_tolerance, scale_down_tolerance;
  LuaLimits limits;
  // When set, the policy joins the pool's state for its script (created on first use) instead of
  // getting a private one: it keeps its own environment, module instances, ctx and ctx.state;
  // the compiled chunks and libraries are shared, and so is the memory cap (the sum of the
  // members' caps; one evaluation may still grow the heap by at most its own cap).
  LuaStatePool* pool = nullptr;
};

// The shared Lua states of `luascale run`, keyed by script. Thread-safe; states live as long as
// a policy uses them, so the pool may be destroyed before its policies.
class LuaStatePool {
 public:
  LuaStatePool();
  ~LuaStatePool();
  LuaStatePool(const LuaStatePool&) = delete;
  LuaStatePool& operator=(const LuaStatePool&) = delete;
  std::size_t states() const;  // states in use

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the engine tells the script about its target.
struct TargetView {
  std::string name;
  std::int64_t replicas = 0;
  std::int64_t ready = 0;
  std::optional<std::int64_t> min, max;
};

// One step of a planned capacity a decision may carry (for scheduled-action actuators).
struct PlanStep {
  double time = 0;            // unix seconds
  std::int64_t capacity = 0;  // count from that time on
};

// One point of the forecast a decision may carry: the value the policy expects its demand signal
// to have at `time`, with an optional interval (NaN when not given). Replays backtest it.
struct ForecastPoint {
  double time = 0;   // unix seconds
  double value = 0;  // in the signal's units
  double lo = std::numeric_limits<double>::quiet_NaN();
  double hi = std::numeric_limits<double>::quiet_NaN();
};

// One node group's count in a decision ({groups = {spot = 3, ["on-demand"] = 2}}).
struct GroupCount {
  std::string name;        // 1..64 bytes
  std::int64_t count = 0;  // like a decision's counts
  bool operator==(const GroupCount& o) const { return name == o.name && count == o.count; }
  bool operator<(const GroupCount& o) const { return name < o.name; }
};

struct EvalOutcome {
  enum class Status { Decision, Hold, Error };
  Status status = Status::Hold;
  std::optional<std::int64_t> replicas;
  std::optional<std::int64_t> nodes;
  std::string reason;
  std::vector<PlanStep> plan;  // optional {plan = {{time=T, capacity=N}, ...}}, times increasing
  // optional {forecast = {{time=T, value=V, lo=L, hi=H}, ...}}, times increasing
  std::vector<ForecastPoint> forecast;
  // optional {groups = {name = count, ...}}: per node group counts, sorted by name; `nodes` is
  // their sum
  std::vector<GroupCount> groups;
  std::string error;              // "policy \"api\": policies/x.lua:12: ..." when status == Error
  std::vector<std::string> logs;  // ctx:log / print lines of this evaluation
};

// "decision", "hold" or "error": how decisions, logs and metrics name a status.
const char* status_name(EvalOutcome::Status s);

// Largest count a decision may carry.
inline constexpr std::int64_t kMaxCount = 2147483647;

class PolicyScript {
 public:
  // Loads and validates a script. On failure returns nullptr and sets *error (file:line).
  static std::unique_ptr<PolicyScript> load(const PolicyLoadOptions& opts, std::string* error);
  ~PolicyScript();
  PolicyScript(const PolicyScript&) = delete;
  PolicyScript& operator=(const PolicyScript&) = delete;

  // Signals ctx:signal reads; must outlive evaluations. May be set once before the first tick.
  void attach_signals(SignalTable* signals);

  // Whether ctx:log and print lines are kept in EvalOutcome::logs (default on). Replays that
  // never show them turn it off: ctx:log then costs a function call and nothing else.
  void set_collect_logs(bool on);

  // Runs decide(ctx, p) once. `now` is unix seconds; `interval` the evaluation interval.
  EvalOutcome evaluate(double now, double interval, const TargetView& target);
  // The same into `out`, whose string and vector capacity is reused (replays call this every
  // tick, so a reason longer than the small-string buffer costs no allocation).
  void evaluate(double now, double interval, const TargetView& target, EvalOutcome& out);

  // ctx.state, as a JSON-shaped value (for persistence); *error set when it holds
  // something that cannot be persisted (functions, cycles...).
  Value state(std::string* error = nullptr) const;
  // Replaces ctx.state (restoring persisted state). False + *error on failure.
  bool set_state(const Value& state, std::string* error);
  // The merged params as a value (what `p` holds at load time).
  Value params() const;
  // The Lua memory this policy accounts for: its state's, divided among the policies sharing it.
  std::size_t memory_used() const;
  // Policies in this policy's Lua state (1 unless it came from a LuaStatePool).
  std::size_t state_users() const;
  const std::string& name() const;
  // Signal names ctx:signal asked for that the attached table did not hold when asked (each once,
  // in the order first asked, at most kMaxUnknownSignals). ctx:signal returns nil for them.
  const std::vector<std::string>& unknown_signals() const;
  static constexpr std::size_t kMaxUnknownSignals = 16;

  // Implementation detail, public so the Lua C callbacks in the .cpp can name it.
  struct Impl;

 private:
  PolicyScript();
  std::unique_ptr<Impl> impl_;
};

// Lua -> Value conversion rules used for ctx.state and params: arrays for tables with keys 1..n,
// objects for string keys; functions, userdata, threads, cycles and nesting deeper than 64 fail.

}  // namespace luascale
