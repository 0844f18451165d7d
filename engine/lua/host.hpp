// engine/lua/host.hpp — internal to engine/lua: the lua_State a policy runs in (LuaHost) and one
// loaded policy's side of it (PolicyScript::Impl), shared by the host's .cpp files.
//
// Debian's Lua is built as C: lua_error longjmps. Every lua_CFunction of the host keeps only
// trivially destructible objects alive when it may raise, and catches C++ exceptions at its edge.
#pragma once

#include <lua.hpp>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/lua/budget.hpp"
#include "engine/lua/capped_alloc.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"

namespace luascale {

inline constexpr std::size_t kMaxReason = 1024;   // bytes of a decision's reason kept
inline constexpr int kMaxPlan = 512;              // steps a decision's plan may carry
inline constexpr std::size_t kMaxGroups = 64;     // node groups a decision may name
inline constexpr std::size_t kMaxLogLine = 2048;  // bytes of one ctx:log line kept
inline constexpr std::size_t kMaxLogLines = 100;  // ctx:log lines kept per evaluation

// One lua_State and the policies loaded into it. Policies that run the same script may share a
// host (LuaStatePool): each keeps its own environment, module instances, ctx and ctx.state; the
// compiled chunks, the sandboxed libraries and the allocator are shared. Every call into the
// state holds `mutex` and names the policy it runs for in `current`.
struct LuaHost {
  lua_State* L = nullptr;
  AllocState alloc;
  PolicyScript::Impl* current = nullptr;
  std::size_t users = 0;
  std::mutex mutex;
  ~LuaHost() {
    if (L) lua_close(L);
  }
};

// The decision read_answer takes from decide's answer, reused every evaluation.
struct RawDecision {
  bool decided = false;  // false: decide returned nil (hold)
  bool has_replicas = false, has_nodes = false;
  std::int64_t replicas = 0, nodes = 0;
  char reason[kMaxReason + 1] = {0};
  std::size_t reason_len = 0;
  int plan_n = 0;
  PlanStep* plan = nullptr;  // kMaxPlan steps, allocated by the first decision with a plan
  std::vector<ForecastPoint> forecast;  // at most kMaxPlan points
  std::vector<GroupCount> groups;       // sorted by name; empty unless the decision had groups
};

struct PolicyScript::Impl {
  std::shared_ptr<LuaHost> host;
  lua_State* L = nullptr;  // host->L
  AllocState& alloc() { return host->alloc; }
  Budget budget;
  LuaLimits limits;
  std::string name;
  std::optional<double> scale_up_tolerance, scale_down_tolerance;  // ctx.target's, set once
  std::string display_path;
  std::string script_dir;
  std::string stdlib_dir;
  // Registry references of this policy's objects.
  int decide_ref = LUA_NOREF, params_ref = LUA_NOREF, ctx_ref = LUA_NOREF;
  int target_ref = LUA_NOREF, env_ref = LUA_NOREF;
  int sigindex_ref = LUA_NOREF;  // signal name -> index in `signals`
  int sigcache_ref = LUA_NOREF;  // structured signals as Lua tables, by index and version
  int keys_ref = LUA_NOREF;      // the decision keys' interned strings (answer.hpp)
  int loaded_ref = LUA_NOREF;    // this policy's require cache (module instances)
  // The decision keys' strings: a key of the answer is valid only if it is the very same string.
  const char* replicas_key = nullptr;
  const char* nodes_key = nullptr;
  const char* reason_key = nullptr;
  const char* plan_key = nullptr;
  const char* forecast_key = nullptr;
  const char* groups_key = nullptr;
  bool joined = false;  // counted in host->users and host->alloc.limit
  bool collect_logs = true;
  SignalTable* signals = nullptr;
  // Names ctx:signal asked for that `signals` does not hold, first-asked first (at most
  // kMaxUnknownSignals): a replay refuses a policy that reads what the trace cannot give.
  std::vector<std::string> unknown_signals;
  std::vector<double> scratch;  // percentile scratch, reused
  std::string file_buf;         // module source being loaded, reused
  std::string chunk_buf;        // its chunk name
  char errbuf[512] = {0};       // C++ helper errors handed to Lua
  // Per-evaluation inputs and outputs.
  double now = 0;
  double eval_interval = 0;
  const TargetView* eval_target = nullptr;
  bool answer_ok = false;  // decide's answer was a valid decision or nil (else why in errbuf)
  const Value* push_arg = nullptr;           // value for a trampoline to push
  const std::string* load_source = nullptr;  // the script's text while loading
  std::vector<std::string>* logs = nullptr;
  RawDecision raw;
  std::unique_ptr<PlanStep[]> plan_buf;  // raw.plan's storage (most policies never plan)

  ~Impl();
};

// The policy the state is running for (set by every entry point before it calls into Lua).
inline PolicyScript::Impl* impl_of(lua_State* L) {
  return (*static_cast<LuaHost**>(lua_getextraspace(L)))->current;
}

}  // namespace luascale
