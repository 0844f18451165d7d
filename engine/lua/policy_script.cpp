// engine/lua/policy_script.cpp — the Lua host: sandboxed state per policy, limits, ctx, decisions.
//
// Debian's Lua is built as C: lua_error longjmps. Every lua_CFunction here keeps only trivially
// destructible objects alive when it may raise, and every C++ exception is caught at the edge.
// All Lua API calls that can raise (allocation!) run inside lua_pcall'd functions; outside one
// run only calls that cannot (pushing an evaluation's arguments, checking its answer).
#include "engine/lua/policy_script.hpp"

#include <lua.hpp>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <chrono>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <ctime>
#include <time.h>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <sstream>

#include "engine/core/units.hpp"
#include "engine/lua/builtin_time.hpp"
#include "engine/lua/eval_watchdog.hpp"
#include "engine/lua/small_blocks.hpp"
#include "engine/signals/history.hpp"

namespace luascale {
namespace {

constexpr int kHookEvery = 1000;  // instructions between budget checks
// Evaluation budgets from this size up are counted once the evaluation has run for about a
// millisecond (eval_watchdog.hpp); smaller ones from the first instruction.
constexpr std::int64_t kWatchedBudgetMin = 4'000'000;
constexpr std::size_t kMaxReason = 1024;
constexpr int kMaxPlan = 512;  // steps a decision's plan may carry
constexpr std::size_t kMaxLogLine = 2048;
constexpr std::size_t kMaxLogLines = 100;
constexpr int kMaxDepth = 64;

const char* const kSafeKey = "luascale.safe";
const char* const kChunksKey = "luascale.chunks";  // compiled chunks by name + source, per state

// The evaluation deadline is checked on a coarse monotonic clock: a vDSO memory read instead of
// a timer read (a few milliseconds of resolution against deadlines of tenths of seconds and up).
struct SteadyClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<SteadyClock, duration>;
  static time_point now() noexcept {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(duration(static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec));
  }
};

struct AllocState {
  SmallBlocks small;
  std::size_t used = 0;
  std::size_t limit = 0;                 // the state's cap (summed over the policies sharing it)
  std::size_t eval_cap = SIZE_MAX;       // during a call into a policy: what it may grow the heap to
  bool limit_hit = false;
};

// Returns a block of `size` bytes to the state's free lists or the C library.
void release_block(AllocState* a, void* p, std::size_t size) {
  if (SmallBlocks::serves(size)) a->small.release(p, size); else std::free(p);
}

// capped_alloc's less common cases: a block resized, a large block, an empty free list, the cap.
[[gnu::noinline]] void* capped_alloc_rest(AllocState* a, void* ptr, std::size_t osize, std::size_t nsize) {
  const std::size_t old = ptr ? osize : 0;
  if (nsize > old && (a->used - old + nsize > a->limit || a->used - old + nsize > a->eval_cap)) {
    a->limit_hit = true;
    return nullptr;
  }
  void* p;
  if (ptr && !SmallBlocks::serves(old) && !SmallBlocks::serves(nsize)) {
    p = std::realloc(ptr, nsize);
  } else if (ptr && SmallBlocks::serves(old) && SmallBlocks::serves(nsize) && SmallBlocks::same_class(old, nsize)) {
    p = ptr;
  } else {
    p = SmallBlocks::serves(nsize) ? a->small.allocate(nsize) : std::malloc(nsize);
    if (p && ptr) {
      std::memcpy(p, ptr, std::min(old, nsize));
      release_block(a, ptr, old);
    } else if (!p && nsize < old) {
      // Lua counts on shrinking never failing: keep the bigger block, which then serves nsize
      // (a C-library one joins the free lists when freed).
      p = ptr;
    }
  }
  if (!p) return nullptr;
  a->used = a->used - old + nsize;
  return p;
}

// Lua's allocator for a policy state: small blocks from the state's free lists, the rest from
// the C library; every size counts against the state's cap. The two calls a policy makes most,
// freeing a small block and taking a new one off a free list, are handled here without a call.
void* capped_alloc(void* ud, void* ptr, std::size_t osize, std::size_t nsize) {
  auto* a = static_cast<AllocState*>(ud);
  if (nsize == 0) {
    if (ptr) {
      a->used -= osize;
      if (SmallBlocks::serves(osize)) a->small.release(ptr, osize);
      else std::free(ptr);
    }
    return nullptr;
  }
  if (!ptr && SmallBlocks::serves(nsize) && a->used + nsize <= a->limit && a->used + nsize <= a->eval_cap) {
    if (void* p = a->small.take(nsize)) {  // osize is the new object's type
      a->used += nsize;
      return p;
    }
  }
  return capped_alloc_rest(a, ptr, osize, nsize);
}

// The last window string ctx:signal parsed (short ones only).
struct WindowCache {
  char text[16];
  std::size_t n = SIZE_MAX;
  double seconds = 0;
};

struct Budget {
  bool active = false;
  bool tripped = false;
  std::int64_t remaining = 0;
  std::int64_t limit = 0;
  SteadyClock::time_point deadline;
  double timeout_seconds = 0;
  bool watched = false;  // the count hook is off until the watchdog arms it
  char why[160] = {0};
};

// The POD read_answer fills in from decide's answer, reused every evaluation.
struct RawDecision {
  int status = 0;  // 0 hold, 1 decision
  bool has_replicas = false, has_nodes = false;
  std::int64_t replicas = 0, nodes = 0;
  char reason[kMaxReason + 1] = {0};
  std::size_t reason_len = 0;
  int plan_n = 0;
  PlanStep* plan = nullptr;  // kMaxPlan steps, allocated by the first decision with a plan
};

}  // namespace

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

struct LuaStatePool::Impl {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<LuaHost>> hosts;
};

LuaStatePool::LuaStatePool() : impl_(std::make_unique<Impl>()) {}
LuaStatePool::~LuaStatePool() = default;

std::size_t LuaStatePool::states() const {
  std::lock_guard<std::mutex> lk(impl_->mutex);
  std::size_t n = 0;
  for (const auto& [k, w] : impl_->hosts) n += w.expired() ? 0 : 1;
  return n;
}

struct PolicyScript::Impl {
  std::shared_ptr<LuaHost> host;
  lua_State* L = nullptr;            // host->L
  AllocState& alloc() { return host->alloc; }
  Budget budget;
  WindowCache window_cache;
  // The signal names ctx:signal resolved last, by the address of their Lua string. The strings
  // are kept alive (in the table at sighits_ref, same position), so while one is cached no other
  // string can take its address: an address match is that very string.
  struct SignalHit {
    const char* text = nullptr;
    std::size_t idx = 0;
  } signal_hits[4];
  unsigned signal_hit_next = 0;
  const char* agg_names[std::size(kAggNames)] = {};  // ctx:signal's interned aggregate names (its upvalues)
  LuaLimits limits;
  std::string name;
  std::string display_path;
  std::string script_dir;
  std::string stdlib_dir;
  int decide_ref = LUA_NOREF, params_ref = LUA_NOREF, ctx_ref = LUA_NOREF;
  int target_ref = LUA_NOREF, env_ref = LUA_NOREF, sigindex_ref = LUA_NOREF;
  int sigcache_ref = LUA_NOREF;
  int sighits_ref = LUA_NOREF;       // the strings of signal_hits (see there)
  int eval_ref = LUA_NOREF;          // the runner: refreshes ctx's per-tick fields, calls decide
  int keys_ref = LUA_NOREF;          // the decision keys' interned strings (AnswerKey order)
  // Those strings: a key of the answer is valid only if it is the very same string.
  const char* replicas_key = nullptr;
  const char* nodes_key = nullptr;
  const char* reason_key = nullptr;
  const char* plan_key = nullptr;
  int loaded_ref = LUA_NOREF;        // this policy's require cache (module instances)
  bool joined = false;               // counted in host->users and host->alloc.limit
  bool collect_logs = true;
  SignalTable* signals = nullptr;
  std::vector<double> scratch;       // percentile scratch, reused
  std::string file_buf;              // module source being loaded, reused
  std::string chunk_buf;             // its chunk name
  char errbuf[512] = {0};            // C++ helper errors handed to Lua
  // Per-evaluation inputs and outputs.
  double now = 0;
  const Value* push_arg = nullptr;   // value for the push trampoline
  const std::string* load_source = nullptr;  // the script's text while loading
  std::vector<std::string>* logs = nullptr;
  RawDecision raw;
  std::unique_ptr<PlanStep[]> plan_buf;  // raw.plan's storage (8 KiB; most policies never plan)

  ~Impl() {
    if (!host) return;
    std::lock_guard<std::mutex> lk(host->mutex);
    if (L)
      for (int ref : {decide_ref, params_ref, ctx_ref, target_ref, env_ref, sigindex_ref, sigcache_ref, sighits_ref,
                      eval_ref, keys_ref, loaded_ref})
        luaL_unref(L, LUA_REGISTRYINDEX, ref);
    if (joined) {
      host->alloc.limit -= limits.memory_bytes;
      --host->users;
    }
    if (host->current == this) host->current = nullptr;
  }
};

namespace {

void budget_hook(lua_State* L, lua_Debug*);

PolicyScript::Impl* impl_of(lua_State* L) {
  return (*static_cast<LuaHost**>(lua_getextraspace(L)))->current;
}

// ---------------------------------------------------------------------------------------------
// Budget: the count hook charges instructions and checks the deadline. Once tripped it fires on
// every line and instruction, so a script's own pcall cannot swallow the abort.

// True once the evaluation's instruction budget or deadline is used up (sets budget.why).
bool budget_exhausted(PolicyScript::Impl* h) {
  if (h->budget.tripped) return true;
  if (h->budget.remaining < 0) {
    std::snprintf(h->budget.why, sizeof h->budget.why,
                  "instruction budget exceeded (%lld instructions)",
                  static_cast<long long>(h->budget.limit));
  } else if (SteadyClock::now() > h->budget.deadline) {
    std::snprintf(h->budget.why, sizeof h->budget.why, "timed out after %gs of wall-clock time",
                  h->budget.timeout_seconds);
  } else {
    return false;
  }
  h->budget.tripped = true;
  return true;
}

// Re-arms the hook on every line and instruction (so pcall cannot swallow the abort) and raises.
int raise_budget(lua_State* L, PolicyScript::Impl* h) {
  lua_sethook(L, budget_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
  if (L != h->L) lua_sethook(h->L, budget_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
  return luaL_error(L, "%s", h->budget.why);
}

void budget_hook(lua_State* L, lua_Debug*) {
  auto* h = impl_of(L);
  if (!h->budget.active) return;
  if (!h->budget.tripped) h->budget.remaining -= lua_gethookcount(L);
  if (!budget_exhausted(h)) return;
  raise_budget(L, h);
}

// Charges `units` of work a C library function does without running Lua instructions (so the
// hook never sees it) to the evaluation budget, and checks the deadline; raises when used up.
void charge_work(lua_State* L, std::int64_t units) {
  auto* h = impl_of(L);
  if (!h->budget.active) return;
  h->budget.remaining -= units;
  if (budget_exhausted(h)) raise_budget(L, h);
}

// Counts instructions on L from here on. Also the watchdog's arm callback, run in a signal handler
// on the evaluating thread.
void set_count_hook(lua_State* L) { lua_sethook(L, budget_hook, LUA_MASKCOUNT, kHookEvery); }

// Starts an evaluation's budget. `watched`: a large budget leaves the count hook off and lets the
// watchdog set it once the evaluation runs long (coroutines count from their start regardless:
// l_coroutine_create).
void arm_budget(PolicyScript::Impl* h, std::int64_t instructions, double timeout, bool watched = false) {
  h->budget.active = true;
  h->budget.tripped = false;
  h->budget.limit = instructions;
  h->budget.remaining = instructions;
  h->budget.timeout_seconds = timeout;
  h->budget.deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                std::chrono::duration<double>(timeout));
  h->budget.why[0] = 0;
  AllocState& a = h->alloc();
  a.eval_cap = a.used + h->limits.memory_bytes;
  if (watched && instructions >= kWatchedBudgetMin) {
    if (lua_gethookmask(h->L)) lua_sethook(h->L, nullptr, 0, 0);
    h->budget.watched = watch_begin(h->L, set_count_hook);
    if (h->budget.watched) return;
  }
  set_count_hook(h->L);
}

void disarm_budget(PolicyScript::Impl* h) {
  h->budget.active = false;
  h->alloc().eval_cap = SIZE_MAX;
  if (h->budget.watched) {
    watch_end();
    h->budget.watched = false;
    if (lua_gethookmask(h->L)) lua_sethook(h->L, nullptr, 0, 0);  // armed or tripped
    return;
  }
  // A tripped budget left the hook firing on every line; otherwise the next arm resets it.
  if (h->budget.tripped) set_count_hook(h->L);
}

// Message handler: keeps string messages, names non-string error objects.
int message_handler(lua_State* L) {
  auto* h = impl_of(L);
  if (h->budget.tripped) {
    lua_pushstring(L, h->budget.why);
    return 1;
  }
  if (lua_type(L, 1) == LUA_TSTRING) return 1;
  lua_pushfstring(L, "error object is a %s value (errors must be strings)", luaL_typename(L, 1));
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Value <-> Lua.

void push_value(lua_State* L, const Value& v, int depth) {
  if (depth > kMaxDepth) luaL_error(L, "value nested deeper than %d levels", kMaxDepth);
  luaL_checkstack(L, 4, "value too deep");
  switch (v.kind()) {
    case Value::Kind::Null: lua_pushnil(L); break;
    case Value::Kind::Bool: lua_pushboolean(L, v.as_bool()); break;
    case Value::Kind::Integer: lua_pushinteger(L, static_cast<lua_Integer>(v.as_int())); break;
    case Value::Kind::Number: lua_pushnumber(L, v.as_number()); break;
    case Value::Kind::String: lua_pushlstring(L, v.as_string().data(), v.as_string().size()); break;
    case Value::Kind::Array: {
      const auto& a = v.as_array();
      lua_createtable(L, static_cast<int>(a.size()), 0);
      for (std::size_t i = 0; i < a.size(); ++i) {
        push_value(L, a[i], depth + 1);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      break;
    }
    case Value::Kind::Object: {
      const auto& o = v.as_object();
      lua_createtable(L, 0, static_cast<int>(o.size()));
      for (const auto& [k, e] : o) {
        if (e.is_null()) continue;
        lua_pushlstring(L, k.data(), k.size());
        push_value(L, e, depth + 1);
        lua_rawset(L, -3);
      }
      break;
    }
  }
}

std::string lua_number_text(lua_State* L, int idx) {
  char buf[64];
  if (lua_isinteger(L, idx))
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(lua_tointeger(L, idx)));
  else
    std::snprintf(buf, sizeof buf, "%.17g", lua_tonumber(L, idx));
  return buf;
}

// Raw, allocation-free reads only: safe outside protected mode.
// At most this many values are converted per call: shared sub-tables are converted each time
// they are reached, so a small DAG could otherwise expand exponentially.
constexpr std::size_t kMaxValues = 100'000;

bool to_value(lua_State* L, int idx, Value& out, const std::string& path, int depth,
              std::vector<const void*>& seen, std::size_t& values, std::string* error) {
  idx = lua_absindex(L, idx);
  if (++values > kMaxValues) {
    if (error) *error = path + ": more than 100000 values (shared sub-tables count each time)";
    return false;
  }
  switch (lua_type(L, idx)) {
    case LUA_TNIL: out = Value(); return true;
    case LUA_TBOOLEAN: out = Value(lua_toboolean(L, idx) != 0); return true;
    case LUA_TNUMBER:
      if (lua_isinteger(L, idx)) {
        out = Value(static_cast<std::int64_t>(lua_tointeger(L, idx)));
      } else {
        double d = lua_tonumber(L, idx);
        if (!std::isfinite(d)) {
          if (error) *error = path + ": cannot persist a non-finite number";
          return false;
        }
        out = Value(d);
      }
      return true;
    case LUA_TSTRING: {
      std::size_t n;
      const char* s = lua_tolstring(L, idx, &n);
      out = Value(std::string(s, n));
      return true;
    }
    case LUA_TTABLE: break;
    default:
      if (error) *error = path + ": cannot persist a " + lua_typename(L, lua_type(L, idx));
      return false;
  }
  if (depth > kMaxDepth) {
    if (error) *error = path + ": nested deeper than 64 levels";
    return false;
  }
  const void* p = lua_topointer(L, idx);
  for (const void* s : seen)
    if (s == p) {
      if (error) *error = path + ": table cycle";
      return false;
    }
  if (!lua_checkstack(L, 4)) {
    if (error) *error = path + ": too deep";
    return false;
  }
  seen.push_back(p);
  // Array when keys are exactly 1..n.
  lua_Integer count = 0;
  bool array = true;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    ++count;
    if (!lua_isinteger(L, -2) || lua_tointeger(L, -2) < 1) array = false;
    lua_pop(L, 1);
  }
  if (array && count > 0 && static_cast<lua_Integer>(lua_rawlen(L, idx)) != count) array = false;
  bool ok = true;
  if (array && count > 0) {
    Value::Array a;
    a.resize(static_cast<std::size_t>(count));
    for (lua_Integer i = 1; i <= count && ok; ++i) {
      lua_rawgeti(L, idx, i);
      ok = to_value(L, -1, a[static_cast<std::size_t>(i - 1)], path + "[" + std::to_string(i) + "]",
                    depth + 1, seen, values, error);
      lua_pop(L, 1);
    }
    out = Value(std::move(a));
  } else {
    Value::Object o;
    lua_pushnil(L);
    while (ok && lua_next(L, idx)) {
      std::string key;
      if (lua_type(L, -2) == LUA_TSTRING) {
        std::size_t n;
        const char* s = lua_tolstring(L, -2, &n);  // a string key: no conversion, safe in lua_next
        key.assign(s, n);
      } else if (lua_type(L, -2) == LUA_TNUMBER) {
        key = lua_number_text(L, -2);
      } else {
        if (error) *error = path + ": keys must be strings or numbers";
        ok = false;
        lua_pop(L, 2);
        break;
      }
      Value e;
      ok = to_value(L, -1, e, path + "." + key, depth + 1, seen, values, error);
      o.emplace_back(std::move(key), std::move(e));
      lua_pop(L, 1);
    }
    // Lua's table order depends on a per-state hash seed: sorted keys make persisted state and
    // every other JSON written from a table the same from run to run.
    std::stable_sort(o.begin(), o.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out = Value(std::move(o));
  }
  seen.pop_back();
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Sandbox.

const char* const kAllowedBase[] = {"assert",   "error",    "ipairs",       "next",
                                    "pairs",    "pcall",    "rawequal",     "rawget",
                                    "rawlen",   "rawset",   "select",       "setmetatable",
                                    "getmetatable", "tonumber", "tostring", "type",
                                    "xpcall",   "_VERSION"};

// Names a policy might reach for that the sandbox deliberately leaves out.
const char* const kRemovedGlobals[] = {"io", "debug", "package", "dofile", "loadfile", "loadstring",
                                       "module", "setfenv", "getfenv", "unpack"};

int l_undeclared_global(lua_State* L) {
  const char* k = lua_tostring(L, 2);
  if (!k) return luaL_error(L, "attempt to read an undeclared global");
  for (const char* r : kRemovedGlobals)
    if (std::strcmp(r, k) == 0)
      return luaL_error(L, "'%s' is not available in the policy sandbox", k);
  return luaL_error(L, "attempt to read undeclared global '%s' (declare it local)", k);
}

int l_readonly_newindex(lua_State* L) {
  const char* what = lua_tostring(L, lua_upvalueindex(1));
  const char* k = lua_tostring(L, 2);
  return luaL_error(L, "attempt to modify read-only table '%s' (field '%s')", what ? what : "?",
                    k ? k : "?");
}

int l_proxy_pairs(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(1));  // next
  lua_pushvalue(L, lua_upvalueindex(2));  // the real table
  lua_pushnil(L);
  return 3;
}

int l_denied(lua_State* L) {
  return luaL_error(L, "%s is not allowed in the policy sandbox",
                    lua_tostring(L, lua_upvalueindex(1)));
}

// Replaces the table at the top of the stack with a read-only proxy of it.
void make_readonly_proxy(lua_State* L, const char* what) {
  int real = lua_gettop(L);
  lua_newtable(L);                       // proxy
  lua_createtable(L, 0, 4);              // its metatable
  lua_pushvalue(L, real);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, what);
  lua_pushcclosure(L, l_readonly_newindex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_getglobal(L, "next");
  lua_pushvalue(L, real);
  lua_pushcclosure(L, l_proxy_pairs, 2);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_replace(L, real);
}

void add_denied(lua_State* L, int table, const char* field, const char* full_name) {
  lua_pushstring(L, full_name);
  lua_pushcclosure(L, l_denied, 1);
  lua_setfield(L, table, field);
}

int l_print(lua_State* L) {
  auto* h = impl_of(L);
  int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) luaL_tolstring(L, i, nullptr);  // may run __tostring; may raise
  if (!h->logs || h->logs->size() >= kMaxLogLines) return 0;
  try {
    std::string line;
    for (int i = 1; i <= n; ++i) {
      std::size_t len;
      const char* s = lua_tolstring(L, n + i, &len);
      if (i > 1) line += '\t';
      line.append(s, len);
    }
    if (line.size() > kMaxLogLine) line.resize(kMaxLogLine);
    h->logs->push_back(std::move(line));
  } catch (...) {
  }
  return 0;
}

int l_collectgarbage(lua_State* L) {
  const char* opt = luaL_optstring(L, 1, "collect");
  if (std::strcmp(opt, "count") == 0) {
    int kb = lua_gc(L, LUA_GCCOUNT);
    int b = lua_gc(L, LUA_GCCOUNTB);
    lua_pushnumber(L, kb + b / 1024.0);
    return 1;
  }
  if (std::strcmp(opt, "collect") == 0 || std::strcmp(opt, "step") == 0) {
    // In a state shared by many policies a full collection would walk all of them: one step.
    if ((*static_cast<LuaHost**>(lua_getextraspace(L)))->users > 1) lua_gc(L, LUA_GCSTEP, 0);
    else lua_gc(L, LUA_GCCOLLECT);
    charge_work(L, kHookEvery);  // a full collection is costly: check the deadline after each
    lua_pushinteger(L, 0);
    return 1;
  }
  if (std::strcmp(opt, "isrunning") == 0) {
    lua_pushboolean(L, lua_gc(L, LUA_GCISRUNNING));
    return 1;
  }
  return luaL_error(L, "collectgarbage(\"%s\") is not allowed in the policy sandbox", opt);
}

// ---------------------------------------------------------------------------------------------
// Guards on library functions that loop in C, where the instruction hook never fires.

// Worst-case number of steps Lua's backtracking matcher may take for `pattern` over a subject
// of n bytes: start positions x pattern items x the ways k variable-length quantifiers (*, +, -,
// %b) can split the subject, C(n+k, k), x 2 per optional item (?). Plain searches cost n x m.
double pattern_cost(const char* p, std::size_t plen, std::size_t n, bool plain) {
  const double nn = static_cast<double>(n) + 1;
  if (plain) return nn * static_cast<double>(plen > 0 ? plen : 1);
  std::size_t i = 0;
  const bool anchored = plen > 0 && p[0] == '^';
  if (anchored) i = 1;
  double items = 1, optional = 1;
  int k = 0;
  bool specials = false;
  while (i < plen) {
    const char c = p[i];
    if (c == '(' || c == ')') { ++i; specials = true; continue; }
    if (c == '$' && i + 1 == plen) { ++i; continue; }
    if (c == '%') {
      specials = true;
      if (i + 1 >= plen) break;
      const char d = p[i + 1];
      if (d == 'b') { i += 4; ++k; items += 1; continue; }
      if (d == 'f') {
        i += 2;
        if (i < plen && p[i] == '[') {
          ++i;
          if (i < plen && p[i] == '^') ++i;
          do {
            if (i >= plen) break;
            if (p[i++] == '%' && i < plen) ++i;
          } while (i < plen && p[i] != ']');
          ++i;
        }
        continue;
      }
      if (d >= '0' && d <= '9') { i += 2; items += nn; continue; }  // back-reference: O(n)
      i += 2;
    } else if (c == '[') {
      specials = true;
      ++i;
      if (i < plen && p[i] == '^') ++i;
      do {
        if (i >= plen) break;
        if (p[i++] == '%' && i < plen) ++i;
      } while (i < plen && p[i] != ']');
      ++i;
    } else {
      if (c == '.' || c == '^' || c == '$') specials = true;
      ++i;
    }
    items += 1;
    if (i < plen) {
      const char q = p[i];
      if (q == '*' || q == '+' || q == '-') { ++k; ++i; specials = true; }
      else if (q == '?') { optional *= 2; ++i; specials = true; }
    }
  }
  if (!specials && !anchored) return nn * static_cast<double>(plen > 0 ? plen : 1);
  double splits = 1;
  for (int j = 1; j <= k && splits < 1e30; ++j) splits *= (static_cast<double>(n) + j) / j;
  return (anchored ? 1.0 : nn) * items * optional * splits;
}

constexpr double kMaxPatternCost = 2e8;  // ~1 s of matching in the worst case

// Calls the wrapped library function (upvalue 1) with this call's arguments and returns its
// results as a lua_CFunction does: `nresults` 1, or LUA_MULTRET for all of them.
int call_original(lua_State* L, int nresults) {
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, nresults);
  return nresults == LUA_MULTRET ? lua_gettop(L) : nresults;
}

// string.find/match/gmatch/gsub: refuses a pattern whose worst-case backtracking over this
// subject is out of bounds (the matcher runs in C, out of the hook's reach), then calls the
// library function (upvalue 1) and checks the deadline.
int l_pattern_guard(lua_State* L) {
  std::size_t n = 0, plen = 0;
  luaL_checklstring(L, 1, &n);
  const char* pat = luaL_checklstring(L, 2, &plen);
  const char* fname = lua_tostring(L, lua_upvalueindex(2));
  const bool plain = std::strcmp(fname, "find") == 0 && lua_toboolean(L, 4);
  const double cost = pattern_cost(pat, plen, n, plain);
  if (cost > kMaxPatternCost)
  {
    char msg[384];
    std::snprintf(msg, sizeof msg,
                  "string.%s: pattern '%.64s' is too costly for a %zu-byte subject (worst-case "
                  "backtracking of %.3g steps exceeds the sandbox limit of %.3g); anchor it "
                  "with ^ or use fewer *, +, - items",
                  fname, pat, n, cost, kMaxPatternCost);
    return luaL_error(L, "%s", msg);
  }
  const int nargs = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, nargs, LUA_MULTRET);
  charge_work(L, static_cast<std::int64_t>(cost / 1e4));
  return lua_gettop(L);
}

// string.format: the common conversions (%d %i %s %f %g %%, with an optional precision for %f
// and %g) are formatted with std::to_chars, which writes the same text as the C library's printf
// several times faster (policies format a reason on every evaluation); anything else (flags,
// widths, %x %q %c %e %a ..., arguments that need a conversion or a __tostring) goes to the
// library's own string.format, which also raises its usual errors.
// "%.<prec>f" of a finite x without the general algorithm, when that is provably exact: x scaled
// by 10^prec is below 2^52, so the tie k + 0.5 between two outputs is itself a double, and the
// rounded product lies on the same side of it as the exact one printf rounds (rounding is
// monotonic). A product exactly on a tie is left to std::to_chars (nullptr).
char* format_fixed_fast(char* out, double x, int prec) {
  static const double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  static const std::uint64_t kPow10i[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                          100000000, 1000000000};
  if (prec < 0 || prec > 9) return nullptr;
  const bool neg = std::signbit(x);
  const double scaled = (neg ? -x : x) * kPow10[prec];
  if (!(scaled < 0x1p52)) return nullptr;
  const double whole = std::floor(scaled);
  const double frac = scaled - whole;  // exact
  if (frac == 0.5) return nullptr;
  const std::uint64_t r = static_cast<std::uint64_t>(whole) + (frac > 0.5 ? 1 : 0);
  if (neg) *out++ = '-';
  out = std::to_chars(out, out + 24, r / kPow10i[prec]).ptr;
  if (prec > 0) {
    *out++ = '.';
    std::uint64_t f = r % kPow10i[prec];
    for (int d = prec - 1; d >= 0; --d) {
      out[d] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    out += prec;
  }
  return out;
}

// string.format's output: a stack buffer, spilled into a Lua buffer when it would overflow.
// No destructor: a Lua error may longjmp over it.
struct FormatOut {
  lua_State* L = nullptr;
  luaL_Buffer b;
  bool spilled = false;
  std::size_t n = 0;
  char buf[1024];
  void add(const char* s, std::size_t len) {
    if (!spilled && len <= sizeof buf - n) {
      std::memcpy(buf + n, s, len);
      n += len;
      return;
    }
    spill(s, len);
  }
  void spill(const char* s, std::size_t len) {
    if (!spilled) {
      luaL_buffinit(L, &b);
      luaL_addlstring(&b, buf, n);
      spilled = true;
    }
    luaL_addlstring(&b, s, len);
  }
  void push() {
    if (spilled) luaL_pushresult(&b);
    else lua_pushlstring(L, buf, n);
  }
};

int l_string_format(lua_State* L) {
  std::size_t flen;
  const char* fmt = luaL_checklstring(L, 1, &flen);
  const int top = lua_gettop(L);
  // Anything this does not format itself goes to the library, with the stack as it came (a
  // spilled output buffer removed).
  auto fallback = [&]() {
    lua_settop(L, top);
    return call_original(L, 1);
  };
  FormatOut out;
  out.L = L;
  char tmp[512];
  int arg = 1;
  std::size_t run = 0;  // start of the literal text not yet added
  for (std::size_t i = 0; i < flen; ++i) {
    if (fmt[i] != '%') continue;
    out.add(fmt + run, i - run);
    if (++i >= flen) return fallback();
    if (fmt[i] == '%') {
      out.add("%", 1);
      run = i + 1;
      continue;
    }
    int prec = -1;
    if (fmt[i] == '.') {
      prec = 0;
      int digits = 0;
      while (++i < flen && fmt[i] >= '0' && fmt[i] <= '9' && digits < 2) {
        prec = prec * 10 + (fmt[i] - '0');
        ++digits;
      }
      if (i >= flen) return fallback();
    }
    run = i + 1;
    if (++arg > top) return fallback();
    const int t = lua_type(L, arg);
    char* end = tmp;
    switch (fmt[i]) {
      case 'd':
      case 'i': {
        int ok = 0;
        if (prec >= 0 || t != LUA_TNUMBER) return fallback();
        const lua_Integer v = lua_tointegerx(L, arg, &ok);
        if (!ok) return fallback();
        end = std::to_chars(tmp, tmp + sizeof tmp, static_cast<long long>(v)).ptr;
        break;
      }
      case 's':
        if (prec >= 0) return fallback();
        if (t == LUA_TSTRING) {
          std::size_t l;
          const char* str = lua_tolstring(L, arg, &l);
          out.add(str, l);
          continue;
        }
        if (t != LUA_TNUMBER) return fallback();
        if (lua_isinteger(L, arg)) {
          end = std::to_chars(tmp, tmp + sizeof tmp, static_cast<long long>(lua_tointeger(L, arg))).ptr;
        } else {  // as tostring: "%.14g", and ".0" when that looks like an integer
          const double v = lua_tonumber(L, arg);
          if (!std::isfinite(v)) return fallback();
          end = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::general, 14).ptr;
          bool integral = true;
          for (char* c = tmp; c < end; ++c) integral = integral && ((*c >= '0' && *c <= '9') || *c == '-');
          if (integral) {
            *end++ = '.';
            *end++ = '0';
          }
        }
        break;
      case 'f': {
        if (t != LUA_TNUMBER) return fallback();
        const double v = lua_tonumber(L, arg);
        if (!std::isfinite(v)) return fallback();
        end = format_fixed_fast(tmp, v, prec < 0 ? 6 : prec);
        if (!end) end = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::fixed, prec < 0 ? 6 : prec).ptr;
        break;
      }
      case 'g': {
        if (t != LUA_TNUMBER) return fallback();
        const double v = lua_tonumber(L, arg);
        if (!std::isfinite(v)) return fallback();
        end = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::general, prec < 0 ? 6 : prec).ptr;
        break;
      }
      default:
        return fallback();
    }
    out.add(tmp, static_cast<std::size_t>(end - tmp));
  }
  out.add(fmt + run, flen - run);
  out.push();
  return 1;
}

// string.rep: the library loops n times even when the result is empty.
int l_string_rep(lua_State* L) {
  std::size_t l = 0, lsep = 0;
  luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || l + lsep == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  return call_original(L, 1);
}

// table.move(a1, f, e, t [, a2]) copies e - f + 1 elements in C: charge them to the budget.
int l_table_move(lua_State* L) {
  lua_Integer f = luaL_checkinteger(L, 2);
  lua_Integer e = luaL_checkinteger(L, 3);
  if (e >= f) {
    const lua_Unsigned count = static_cast<lua_Unsigned>(e) - static_cast<lua_Unsigned>(f);
    charge_work(L, count >= static_cast<lua_Unsigned>(INT64_MAX / 2) ? INT64_MAX / 2
                                                                     : static_cast<std::int64_t>(count) + 1);
  }
  return call_original(L, LUA_MULTRET);
}

// table.insert/remove/sort shift or sort #t elements in C; a __len metamethod could claim any
// length, so the sandbox refuses it there (plain tables are bounded by the memory cap).
int l_table_len_guard(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL)
    return luaL_error(L, "table.%s on a table with a __len metamethod is not allowed in the "
                         "policy sandbox", lua_tostring(L, lua_upvalueindex(2)));
  return call_original(L, LUA_MULTRET);
}

// setmetatable refuses __gc: finalizers run at arbitrary points, including outside any
// evaluation budget (state saving, lua_close), where an endless loop would hang the engine.
int l_setmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL)
      return luaL_error(L, "__gc metamethods are not allowed in the policy sandbox");
    lua_pop(L, 1);
  }
  return call_original(L, 1);
}

// The message handler xpcall installs. When the budget trips, the hook raises from inside
// itself, and Lua runs the error handler with hooks disabled: a looping handler would then run
// forever. So once the budget is spent, the script's handler is skipped.
int l_xpcall_handler(lua_State* L) {
  if (impl_of(L)->budget.tripped) {
    lua_settop(L, 1);
    return 1;
  }
  return call_original(L, 1);
}

// xpcall(f, msgh, ...): msgh wrapped by l_xpcall_handler.
int l_xpcall(lua_State* L) {
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  lua_pushcclosure(L, l_xpcall_handler, 1);
  lua_replace(L, 2);
  return call_original(L, LUA_MULTRET);
}

// coroutine.create and coroutine.wrap: the new thread gets the count hook from its first
// instruction. An evaluation's main thread may run without it until the watchdog arms it
// (arm_budget), and the watchdog arms only the main thread.
int l_coroutine_create(lua_State* L) {
  call_original(L, 1);
  if (lua_State* co = lua_tothread(L, -1)) set_count_hook(co);
  return 1;
}

int l_coroutine_wrap(lua_State* L) {
  call_original(L, 1);
  if (lua_getupvalue(L, -1, 1)) {  // the library's wrapper holds the thread as its upvalue
    if (lua_State* co = lua_tothread(L, -1)) set_count_hook(co);
    lua_pop(L, 1);
  }
  return 1;
}

// Replaces table[field] (table at index t) by `guard` with upvalues (original, field name).
void guard_field(lua_State* L, int t, const char* field, lua_CFunction guard) {
  lua_getfield(L, t, field);
  lua_pushstring(L, field);
  lua_pushcclosure(L, guard, 2);
  lua_setfield(L, t, field);
}

// load(chunk [, name [, mode [, env]]]): text chunks only; default env = the policy's.
int l_load(lua_State* L) {
  auto* h = impl_of(L);
  lua_settop(L, 4);  // fix the argument slots before pushing anything
  const char* mode = luaL_optstring(L, 3, "t");
  if (std::strchr(mode, 'b')) return luaL_error(L, "binary chunks are not allowed in the policy sandbox");
  lua_pushvalue(L, lua_upvalueindex(1));  // the base library's load
  lua_pushvalue(L, 1);
  if (lua_isnoneornil(L, 2)) lua_pushliteral(L, "=(load)"); else lua_pushvalue(L, 2);
  lua_pushliteral(L, "t");
  if (lua_isnoneornil(L, 4)) lua_rawgeti(L, LUA_REGISTRYINDEX, h->env_ref); else lua_pushvalue(L, 4);
  lua_call(L, 4, LUA_MULTRET);
  return lua_gettop(L) - 4;  // everything above the four argument slots
}

int l_os_time(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_pushinteger(L, static_cast<lua_Integer>(std::floor(impl_of(L)->now)));
    return 1;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

int l_os_date(lua_State* L) {
  int n = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  if (n >= 1) lua_pushvalue(L, 1); else lua_pushliteral(L, "%c");
  if (n >= 2 && !lua_isnil(L, 2)) lua_pushvalue(L, 2);
  else lua_pushinteger(L, static_cast<lua_Integer>(std::floor(impl_of(L)->now)));
  lua_call(L, 2, 1);
  return 1;
}

// A fresh environment holding the safe globals (one table lookup for `math`, as in stock Lua,
// not a miss and a metamethod), whose other reads fall through to the safe table's
// undeclared-global error. Writes land in the environment and never reach the shared libraries.
void push_new_env(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kSafeKey);
  lua_createtable(L, 0, 32);
  lua_pushnil(L);
  while (lua_next(L, -3)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, -3);
  lua_remove(L, -4);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
}

// Pushes the compiled chunk for (chunkname, source): compiled once per state, so policies that
// share a state share its prototypes. Raises on syntax errors (file:line) and memory.
void push_compiled_chunk(lua_State* L, const std::string& source, const std::string& chunkname) {
  lua_getfield(L, LUA_REGISTRYINDEX, kChunksKey);
  lua_pushlstring(L, chunkname.data(), chunkname.size());
  lua_pushliteral(L, "\n");
  lua_pushlstring(L, source.data(), source.size());
  lua_concat(L, 3);  // the key: name and text, so an edited file compiles anew
  lua_pushvalue(L, -1);
  if (lua_rawget(L, -3) == LUA_TFUNCTION) {
    lua_replace(L, -3);
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  if (luaL_loadbufferx(L, source.data(), source.size(), chunkname.c_str(), "t") != LUA_OK) lua_error(L);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -2);
  lua_rawset(L, -5);  // chunks[key] = f
  lua_replace(L, -3);
  lua_pop(L, 1);
}

// Gives the chunk at `f` a fresh _ENV upvalue holding the table on top of the stack (popped).
// Closures made by earlier runs of the chunk keep their own _ENV: the upvalue is replaced by a
// new one (taken from an empty chunk), not assigned.
void bind_env(lua_State* L, int f) {
  f = lua_absindex(L, f);
  if (luaL_loadbufferx(L, "", 0, "=env", "t") != LUA_OK) lua_error(L);
  lua_insert(L, -2);
  lua_setupvalue(L, -2, 1);
  lua_upvaluejoin(L, f, 1, -1, 1);
  lua_pop(L, 1);
}

// Reads a module file into h->file_buf; never raises. False + h->errbuf on failure.
bool read_module_file(PolicyScript::Impl* h, const char* name) noexcept {
  try {
    std::string mod = name;
    for (char c : mod)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
        std::snprintf(h->errbuf, sizeof h->errbuf, "require '%s': not allowed (only luascale.* stdlib modules and files in the policy's folder)", name);
        return false;
      }
    if (mod.empty() || mod.front() == '.' || mod.back() == '.' || mod.find("..") != std::string::npos) {
      std::snprintf(h->errbuf, sizeof h->errbuf, "require '%s': not allowed (only luascale.* stdlib modules and files in the policy's folder)", name);
      return false;
    }
    std::filesystem::path file;
    std::string rel = mod;
    for (char& c : rel)
      if (c == '.') c = '/';
    if (mod.rfind("luascale.", 0) == 0)
      file = std::filesystem::path(h->stdlib_dir) / (rel + ".lua");
    else
      file = std::filesystem::path(h->script_dir) / (rel + ".lua");
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::snprintf(h->errbuf, sizeof h->errbuf,
                    "module '%s' not found (only the luascale stdlib and the policy's own folder "
                    "can be required)", name);
      return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    h->file_buf = ss.str();
    std::error_code ec;
    auto shown = std::filesystem::relative(file, std::filesystem::current_path(), ec);
    h->chunk_buf = "@" + ((ec || shown.empty() || shown.string().rfind("..", 0) == 0)
                              ? file.lexically_normal().string()
                              : shown.string());
    return true;
  } catch (...) {
    std::snprintf(h->errbuf, sizeof h->errbuf, "cannot read module '%s'", name);
    return false;
  }
}

int l_require(lua_State* L) {
  auto* h = impl_of(L);
  const char* name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->loaded_ref);  // 2
  lua_pushvalue(L, 1);
  lua_rawget(L, 2);
  if (lua_islightuserdata(L, -1)) return luaL_error(L, "circular require of module '%s'", name);
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  if (std::strcmp(name, "luascale.time") == 0) {
    lua_pushcfunction(L, luascale_open_time);
    lua_call(L, 0, 1);
  } else {
    if (!read_module_file(h, name)) return luaL_error(L, "%s", h->errbuf);
    push_compiled_chunk(L, h->file_buf, h->chunk_buf);
    push_new_env(L);
    bind_env(L, -2);
    lua_pushvalue(L, 1);
    lua_pushlightuserdata(L, h);  // loading sentinel
    lua_rawset(L, 2);
    lua_pushvalue(L, 1);
    int st = lua_pcall(L, 1, 1, 0);
    if (st != LUA_OK) {
      lua_pushvalue(L, 1);
      lua_pushnil(L);
      lua_rawset(L, 2);
      return lua_error(L);
    }
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_pushboolean(L, 1);
    }
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, 2);
  return 1;
}

// Opens the allowed libraries and builds the read-only safe globals table.
int setup_sandbox(lua_State* L) {
  luaL_requiref(L, "_G", luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
  lua_settop(L, 0);

  lua_newtable(L);  // 1: safe
  for (const char* n : kAllowedBase) {
    lua_getglobal(L, n);
    lua_setfield(L, 1, n);
  }
  lua_getglobal(L, "load");
  lua_pushcclosure(L, l_load, 1);
  lua_setfield(L, 1, "load");
  lua_pushcfunction(L, l_print);
  lua_setfield(L, 1, "print");
  lua_pushcfunction(L, l_collectgarbage);
  lua_setfield(L, 1, "collectgarbage");
  lua_pushcfunction(L, l_require);
  lua_setfield(L, 1, "require");
  guard_field(L, 1, "setmetatable", l_setmetatable);
  guard_field(L, 1, "xpcall", l_xpcall);

  // string without dump
  lua_newtable(L);
  lua_getglobal(L, "string");
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -5);
  }
  lua_pop(L, 1);
  add_denied(L, lua_gettop(L), "dump", "string.dump");
  for (const char* f : {"find", "match", "gmatch", "gsub"}) guard_field(L, lua_gettop(L), f, l_pattern_guard);
  guard_field(L, lua_gettop(L), "rep", l_string_rep);
  guard_field(L, lua_gettop(L), "format", l_string_format);
  make_readonly_proxy(L, "string");
  // Strings index the proxy; their metatable is hidden.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  lua_setfield(L, 1, "string");

  lua_getglobal(L, "table");
  guard_field(L, lua_gettop(L), "move", l_table_move);
  for (const char* f : {"insert", "remove", "sort"}) guard_field(L, lua_gettop(L), f, l_table_len_guard);
  lua_pop(L, 1);
  lua_getglobal(L, "coroutine");
  guard_field(L, lua_gettop(L), "create", l_coroutine_create);
  guard_field(L, lua_gettop(L), "wrap", l_coroutine_wrap);
  lua_pop(L, 1);
  for (const char* lib : {"table", "math", "utf8", "coroutine"}) {
    lua_getglobal(L, lib);
    make_readonly_proxy(L, lib);
    lua_setfield(L, 1, lib);
  }

  // os: time/clock/date on the engine clock; the rest denied by name.
  lua_newtable(L);
  int os = lua_gettop(L);
  lua_getglobal(L, "os");
  lua_getfield(L, -1, "time");
  lua_pushcclosure(L, l_os_time, 1);
  lua_setfield(L, os, "time");
  lua_getfield(L, -1, "date");
  lua_pushcclosure(L, l_os_date, 1);
  lua_setfield(L, os, "date");
  lua_getfield(L, -1, "clock");
  lua_setfield(L, os, "clock");
  lua_getfield(L, -1, "difftime");
  lua_setfield(L, os, "difftime");
  lua_pop(L, 1);
  static const char* const denied_os[][2] = {
      {"execute", "os.execute"}, {"exit", "os.exit"},       {"remove", "os.remove"},
      {"rename", "os.rename"},   {"tmpname", "os.tmpname"}, {"getenv", "os.getenv"},
      {"setlocale", "os.setlocale"}};
  for (const auto& d : denied_os) add_denied(L, os, d[0], d[1]);
  make_readonly_proxy(L, "os");
  lua_setfield(L, 1, "os");

  for (const char* f : {"dofile", "loadfile"}) add_denied(L, 1, f, f);

  lua_createtable(L, 0, 3);
  lua_pushcfunction(L, l_undeclared_global);
  lua_setfield(L, -2, "__index");
  lua_pushliteral(L, "globals");
  lua_pushcclosure(L, l_readonly_newindex, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, 1);
  lua_pushvalue(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, kSafeKey);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kChunksKey);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// ctx methods.

void push_number(lua_State* L, double v) {
  if (is_exact_integer(v)) lua_pushinteger(L, static_cast<lua_Integer>(v));
  else lua_pushnumber(L, v);
}

// ctx:signal's upvalues: the option keys and the aggregate names, interned once.
enum SignalKey { kSignalKeyWindow = 1, kSignalKeyAgg, kSignalKeyFirstAgg };
constexpr int kSignalAggCount = static_cast<int>(std::size(kAggNames));
static_assert(sizeof PolicyScript::Impl::agg_names / sizeof(const char*) == kSignalAggCount);

int l_ctx_signal(lua_State* L) {
  auto* h = impl_of(L);
  std::size_t name_len = 0;
  const char* name = luaL_checklstring(L, 2, &name_len);
  if (!h->signals || h->sigindex_ref == LUA_NOREF) {
    lua_pushnil(L);
    return 1;
  }
  std::size_t idx = SIZE_MAX;
  for (const auto& hit : h->signal_hits)
    if (hit.text == name) {
      if (hit.idx < h->signals->size()) idx = hit.idx;
      break;
    }
  if (idx == SIZE_MAX) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->sigindex_ref);
    lua_pushvalue(L, 2);
    lua_rawget(L, -2);
    if (!lua_isinteger(L, -1)) {
      lua_pushnil(L);
      return 1;
    }
    idx = static_cast<std::size_t>(lua_tointeger(L, -1));
    lua_pop(L, 2);
    if (idx >= h->signals->size()) {
      lua_pushnil(L);
      return 1;
    }
    const unsigned slot = h->signal_hit_next++ % std::size(h->signal_hits);
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->sighits_ref);  // sized at load: storing allocates nothing
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, slot + 1);
    lua_pop(L, 1);
    h->signal_hits[slot] = {name, idx};
  }
  const SignalSlot& s = h->signals->at(idx);
  if (lua_isnoneornil(L, 3)) {
    if (!h->signals->fresh(idx, h->now)) {
      lua_pushnil(L);
      return 1;
    }
    if (s.is_number) {
      push_number(L, s.number);
      return 1;
    }
    // Structured: one Lua table per version of the value, cached.
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->sigcache_ref);  // cache
    lua_rawgeti(L, -1, static_cast<lua_Integer>(2 * idx + 1));
    if (lua_isinteger(L, -1) &&
        static_cast<std::uint64_t>(lua_tointeger(L, -1)) == s.version) {
      lua_rawgeti(L, -2, static_cast<lua_Integer>(2 * idx + 2));
      return 1;
    }
    lua_pop(L, 1);
    push_value(L, s.structured, 0);
    lua_pushinteger(L, static_cast<lua_Integer>(s.version));
    lua_rawseti(L, -3, static_cast<lua_Integer>(2 * idx + 1));
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, static_cast<lua_Integer>(2 * idx + 2));
    return 1;
  }
  luaL_checktype(L, 3, LUA_TTABLE);
  double window = 1e18;
  lua_pushvalue(L, lua_upvalueindex(kSignalKeyWindow));
  lua_gettable(L, 3);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    window = lua_tonumber(L, -1);
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    std::size_t n;
    const char* w = lua_tolstring(L, -1, &n);
    // Policies pass the same literal every tick: the last parse is kept, keyed by the text.
    WindowCache& c = h->window_cache;
    if (c.n == n && n <= sizeof c.text && std::memcmp(c.text, w, n) == 0) {
      window = c.seconds;
    } else {
      std::optional<double> d = parse_duration(std::string_view(w, n));
      if (!d) return luaL_error(L, "ctx:signal: bad window '%s' (use e.g. \"30s\", \"5m\", \"1h\")", w);
      window = *d;
      if (n <= sizeof c.text) {
        std::memcpy(c.text, w, n);
        c.n = n;
        c.seconds = window;
      }
    }
  } else if (!lua_isnil(L, -1)) {
    return luaL_error(L, "ctx:signal: window must be a duration string or seconds");
  }
  Agg agg = Agg::Avg;
  lua_pushvalue(L, lua_upvalueindex(kSignalKeyAgg));
  lua_gettable(L, 3);
  if (lua_type(L, -1) == LUA_TSTRING) {
    // The names are interned upvalues: a name is valid when it is one of those very strings.
    const char* a = lua_tostring(L, -1);
    std::optional<Agg> parsed;
    for (int k = 0; k < kSignalAggCount && !parsed; ++k)
      if (h->agg_names[k] == a) parsed = kAggNames[k].agg;
    if (!parsed)
      return luaL_error(L, "ctx:signal: unknown agg '%s' (avg, min, max, sum, last, rate, count, "
                           "p50, p90, p95, p99)", a);
    agg = *parsed;
  } else if (!lua_isnil(L, -1)) {
    return luaL_error(L, "ctx:signal: agg must be a string");
  }
  if (s.has_value && !s.is_number)
    return luaL_error(L, "ctx:signal: signal '%s' is a list; windows aggregate number signals",
                      lua_tostring(L, 2));
  std::optional<double> r;
  bool oom = false;
  try {
    r = s.history.aggregate(agg, h->now, window, h->scratch);
  } catch (...) {
    oom = true;
  }
  if (oom) return luaL_error(L, "ctx:signal: out of memory");
  if (r && std::isfinite(*r)) push_number(L, *r); else lua_pushnil(L);
  return 1;
}

int l_ctx_log(lua_State* L) {
  auto* h = impl_of(L);
  if (!h->collect_logs) return 0;
  int n = lua_gettop(L);
  for (int i = 2; i <= n; ++i) luaL_tolstring(L, i, nullptr);
  if (!h->logs || h->logs->size() >= kMaxLogLines) return 0;
  try {
    std::string line;
    for (int i = 2; i <= n; ++i) {
      std::size_t len;
      const char* s = lua_tolstring(L, n + i - 1, &len);
      if (i > 2) line += ' ';
      line.append(s, len);
    }
    if (line.size() > kMaxLogLine) line.resize(kMaxLogLine);
    h->logs->push_back(std::move(line));
  } catch (...) {
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Loading and evaluation set-up (run under lua_pcall).

// Compiles (or reuses) the script h->load_source, runs it in a new environment, validates the
// policy table, builds params and ctx.
int load_trampoline(lua_State* L) {
  auto* h = impl_of(L);
  lua_newtable(L);
  h->loaded_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  push_compiled_chunk(L, *h->load_source, h->chunk_buf);
  push_new_env(L);
  lua_pushvalue(L, -1);
  h->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  bind_env(L, -2);
  lua_call(L, 0, 1);
  if (!lua_istable(L, -1))
    return luaL_error(L, "%s: the script must return a table {params=..., decide=function(ctx, p)} "
                         "(it returned %s)", h->display_path.c_str(), luaL_typename(L, -1));
  int policy = lua_gettop(L);
  lua_pushliteral(L, "decide");
  lua_rawget(L, policy);
  if (!lua_isfunction(L, -1))
    return luaL_error(L, "%s: the returned table has no decide function (decide is %s)",
                      h->display_path.c_str(), luaL_typename(L, -1));
  h->decide_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  // params = script defaults, then config overrides (shallow).
  lua_newtable(L);
  int params = lua_gettop(L);
  lua_pushliteral(L, "params");
  lua_rawget(L, policy);
  if (lua_istable(L, -1)) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, params);
    }
  } else if (!lua_isnil(L, -1)) {
    return luaL_error(L, "%s: params must be a table (it is %s)", h->display_path.c_str(),
                      luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  if (h->push_arg && h->push_arg->is_object()) {
    for (const auto& [k, v] : h->push_arg->as_object()) {
      lua_pushlstring(L, k.data(), k.size());
      push_value(L, v, 0);
      lua_rawset(L, params);
    }
  }
  lua_pushvalue(L, params);
  h->params_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  // ctx: plain fields (fast reads), a hidden metatable so the script cannot swap it.
  lua_createtable(L, 0, 16);
  int ctx = lua_gettop(L);
  lua_pushvalue(L, params);
  lua_setfield(L, ctx, "params");
  lua_newtable(L);
  lua_setfield(L, ctx, "state");
  lua_createtable(L, 0, 16);
  lua_pushlstring(L, h->name.data(), h->name.size());
  lua_setfield(L, -2, "name");
  lua_pushvalue(L, -1);
  h->target_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_setfield(L, ctx, "target");
  lua_pushstring(L, "window");
  lua_pushstring(L, "agg");
  for (int k = 0; k < kSignalAggCount; ++k) h->agg_names[k] = lua_pushstring(L, kAggNames[k].name);
  lua_pushcclosure(L, l_ctx_signal, kSignalKeyFirstAgg - 1 + kSignalAggCount);
  lua_setfield(L, ctx, "signal");
  lua_pushcfunction(L, l_ctx_log);
  lua_setfield(L, ctx, "log");
  lua_createtable(L, 0, 1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, ctx);
  lua_pushvalue(L, ctx);
  h->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  h->sigcache_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_createtable(L, static_cast<int>(std::size(h->signal_hits)), 0);
  h->sighits_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int attach_trampoline(lua_State* L) {
  auto* h = impl_of(L);
  for (auto& hit : h->signal_hits) hit = {};
  lua_createtable(L, 0, static_cast<int>(h->signals->size()));
  for (std::size_t i = 0; i < h->signals->size(); ++i) {
    const std::string& n = h->signals->at(i).name;
    lua_pushlstring(L, n.data(), n.size());
    lua_pushinteger(L, static_cast<lua_Integer>(i));
    lua_rawset(L, -3);
  }
  if (h->sigindex_ref != LUA_NOREF) luaL_unref(L, LUA_REGISTRYINDEX, h->sigindex_ref);
  h->sigindex_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_newtable(L);
  lua_rawseti(L, LUA_REGISTRYINDEX, h->sigcache_ref);
  return 0;
}

// The evaluation runs this Lua function, built once per policy over its ctx, ctx.target, decide
// and params: it refreshes the per-tick fields and calls decide. Both tables carry a protected
// metatable without __newindex, so these assignments are plain stores, as rawset would make
// them, only without a C API call per field.
const char* const kRunnerSource = R"(local ctx, target, decide, params = ...
return function(now, interval, replicas, ready, min, max)
  ctx.now = now
  ctx.interval = interval
  target.replicas = replicas
  target.ready = ready
  target.min = min
  target.max = max
  return decide(ctx, params)
end)";

const char* const kRunnerKey = "luascale.runner";  // the runner chunk, compiled once per state

// The field names of a decision, interned once and kept in a registry table (their addresses
// identify valid keys, and pushing one from there allocates nothing).
enum AnswerKey { kKeyReplicas = 1, kKeyNodes, kKeyReason, kKeyPlan, kKeyTime, kKeyCapacity,
                 kKeyCount = kKeyCapacity };
const char* const kAnswerKeyNames[] = {nullptr, "replicas", "nodes", "reason", "plan", "time", "capacity"};

// Builds the runner and the key table once per policy (under lua_pcall).
int make_eval_runner(lua_State* L) {
  auto* h = impl_of(L);
  lua_createtable(L, kKeyCount, 0);
  for (int k = 1; k <= kKeyCount; ++k) {
    lua_pushstring(L, kAnswerKeyNames[k]);
    lua_rawseti(L, -2, k);
  }
  lua_rawgeti(L, -1, kKeyReplicas);
  h->replicas_key = lua_tostring(L, -1);
  lua_rawgeti(L, -2, kKeyNodes);
  h->nodes_key = lua_tostring(L, -1);
  lua_rawgeti(L, -3, kKeyReason);
  h->reason_key = lua_tostring(L, -1);
  lua_rawgeti(L, -4, kKeyPlan);
  h->plan_key = lua_tostring(L, -1);
  lua_pop(L, 4);
  h->keys_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  // ctx.target gets ctx's protected metatable: the script cannot give it a __newindex.
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->target_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
  lua_getmetatable(L, -1);
  lua_setmetatable(L, -3);
  lua_pop(L, 2);
  // The chunk is compiled once per state; each policy's runner is a closure of its one prototype.
  if (lua_getfield(L, LUA_REGISTRYINDEX, kRunnerKey) != LUA_TFUNCTION) {
    lua_pop(L, 1);
    if (luaL_loadbuffer(L, kRunnerSource, std::strlen(kRunnerSource), "=luascale") != LUA_OK)
      return lua_error(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, kRunnerKey);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->target_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->decide_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->params_ref);
  lua_call(L, 4, 1);
  h->eval_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

// Checking decide's answer happens after the protected call returns, with calls that cannot
// raise a Lua error (no allocation, no metamethods); a bad answer is reported in `err`.
class AnswerError {
 public:
  explicit AnswerError(std::string& out) : out_(out) {}
  bool operator()(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out_ = buf;
    return false;
  }

 private:
  std::string& out_;
};

// A count as read off the stack: its type and, for a number, its value. An integer, or a float
// with an integral value in the integers' range, converts exactly (and prints the same either way).
struct CountValue {
  int type = LUA_TNIL;
  int exact = 0;
  lua_Integer i = 0;
  double d = 0;
};

inline void take_count(lua_State* L, int idx, CountValue& c) {
  c.type = lua_type(L, idx);
  if (c.type != LUA_TNUMBER) return;
  c.i = lua_tointegerx(L, idx, &c.exact);
  if (!c.exact) c.d = lua_tonumber(L, idx);
}

// Checks a decision count (nil: absent, *has = false): an integer in [0, kMaxCount].
bool check_count(lua_State* L, const CountValue& c, int key, std::int64_t* out, bool* has, AnswerError& fail) {
  const char* field = kAnswerKeyNames[key];
  *has = false;
  if (c.type == LUA_TNIL) return true;
  if (c.type != LUA_TNUMBER)
    return fail("decide returned %s = a %s; counts must be integers", field, lua_typename(L, c.type));
  if (c.exact) {
    const lua_Integer v = c.i;
    if (v < 0) return fail("decide returned %s = %lld; counts must be >= 0", field, static_cast<long long>(v));
    if (v > kMaxCount)
      return fail("decide returned %s = %lld; counts must be <= 2147483647", field, static_cast<long long>(v));
    *out = v;
  } else {
    const double d = c.d;
    if (std::isnan(d)) return fail("decide returned %s = NaN", field);
    if (std::isinf(d)) return fail("decide returned %s = %s", field, d > 0 ? "inf" : "-inf");
    if (d != std::floor(d))
      return fail("decide returned %s = %.14g; counts must be integers (use math.ceil or math.floor)", field, d);
    if (d < 0) return fail("decide returned %s = %.14g; counts must be >= 0", field, d);
    return fail("decide returned %s = %.14g; counts must be <= 2147483647", field, d);
  }
  *has = true;
  return true;
}

// Reads plan = { {time = T, capacity = N}, ... } (increasing times, counts like replicas) from
// the answer at `answer`; `keys` is the key table's stack index.
bool read_plan(PolicyScript::Impl* h, lua_State* L, int answer, int keys, AnswerError& fail) {
  RawDecision& d = h->raw;
  lua_rawgeti(L, keys, kKeyPlan);
  lua_rawget(L, answer);
  if (!lua_istable(L, -1))
    return fail("decide returned plan = a %s; plan must be a list of {time=T, capacity=N}", luaL_typename(L, -1));
  const int plan_idx = lua_gettop(L);
  const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, plan_idx));
  if (n > kMaxPlan) return fail("decide returned a plan of %lld steps; at most %d", static_cast<long long>(n), kMaxPlan);
  if (!d.plan) {
    h->plan_buf.reset(new (std::nothrow) PlanStep[kMaxPlan]);
    if (!h->plan_buf) return fail("not enough memory");
    d.plan = h->plan_buf.get();
  }
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_settop(L, plan_idx);
    lua_rawgeti(L, plan_idx, i);
    const int step = lua_gettop(L);
    if (!lua_istable(L, step))
      return fail("decide returned plan[%lld] = a %s; expected {time=T, capacity=N}", static_cast<long long>(i),
                  luaL_typename(L, step));
    lua_rawgeti(L, keys, kKeyTime);
    lua_rawget(L, step);
    if (lua_type(L, -1) != LUA_TNUMBER || !std::isfinite(lua_tonumber(L, -1)))
      return fail("decide returned plan[%lld].time: expected unix seconds", static_cast<long long>(i));
    const double t = lua_tonumber(L, -1);
    if (d.plan_n > 0 && t <= d.plan[d.plan_n - 1].time)
      return fail("decide returned plan[%lld].time: times must increase", static_cast<long long>(i));
    lua_rawgeti(L, keys, kKeyCapacity);
    lua_rawget(L, step);
    CountValue c;
    take_count(L, -1, c);
    std::int64_t cap = 0;
    bool has = false;
    if (!check_count(L, c, kKeyCapacity, &cap, &has, fail)) return false;
    if (!has) return fail("decide returned plan[%lld] without capacity", static_cast<long long>(i));
    d.plan[d.plan_n].time = t;
    d.plan[d.plan_n].capacity = cap;
    ++d.plan_n;
  }
  return true;
}

// Checks decide's answer, on the top of the stack, and fills h->raw; false with `err` set when
// the answer is not a valid decision.
bool read_answer(PolicyScript::Impl* h, lua_State* L, std::string& err) {
  const int answer = lua_gettop(L);
  AnswerError fail(err);
  RawDecision& d = h->raw;
  int type = lua_type(L, answer);
  if (type == LUA_TNIL) {
    d.status = 0;
    return true;
  }
  if (type != LUA_TTABLE)
    return fail("decide must return a table like {replicas=N} or nil to hold (it returned a %s)",
                lua_typename(L, type));
  // Short strings are interned: a valid key is the very string the key table holds. One pass
  // over the answer checks its keys and takes the values of replicas, nodes and reason, which
  // are then checked in that order (a reason string stays alive in the answer on the stack).
  // Stack room: evaluate() starts from an empty stack and the answer is its second slot, so of
  // the LUA_MINSTACK slots the host level has, more than the dozen used here are free.
  CountValue replicas, nodes;
  int reason_type = LUA_TNIL;
  const char* reason = nullptr;
  std::size_t reason_len = 0;
  bool has_plan = false;
  lua_pushnil(L);
  while (lua_next(L, answer)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      return fail("decide returned a table with a %s key; expected fields replicas, nodes, reason",
                  luaL_typename(L, -2));
    const char* k = lua_tostring(L, -2);
    if (k == h->replicas_key) {
      take_count(L, -1, replicas);
    } else if (k == h->nodes_key) {
      take_count(L, -1, nodes);
    } else if (k == h->reason_key) {
      reason_type = lua_type(L, -1);
      if (reason_type == LUA_TSTRING) reason = lua_tolstring(L, -1, &reason_len);
    } else if (k == h->plan_key) {
      has_plan = true;
    } else {
      return fail("decide returned unknown field '%s' (expected replicas, nodes, reason, plan)", k);
    }
    lua_pop(L, 1);
  }
  d.plan_n = 0;
  if (has_plan) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->keys_ref);
    if (!read_plan(h, L, answer, lua_gettop(L), fail)) return false;
    lua_settop(L, answer);
  }
  if (!check_count(L, replicas, kKeyReplicas, &d.replicas, &d.has_replicas, fail)) return false;
  if (!check_count(L, nodes, kKeyNodes, &d.nodes, &d.has_nodes, fail)) return false;
  if (!d.has_replicas && !d.has_nodes)
    return fail("decide returned a table without replicas or nodes (return nil to hold)");
  if (reason_type != LUA_TNIL) {
    if (reason_type != LUA_TSTRING)
      return fail("decide returned reason = a %s; reason must be a string", lua_typename(L, reason_type));
    const std::size_t n = std::min(reason_len, kMaxReason);
    std::memcpy(d.reason, reason, n);
    d.reason[n] = 0;
    d.reason_len = n;
  }
  d.status = 1;
  return true;
}

inline void push_count(lua_State* L, const std::optional<std::int64_t>& v) {
  if (v) lua_pushinteger(L, static_cast<lua_Integer>(*v)); else lua_pushnil(L);
}

std::string pcall_error(PolicyScript::Impl* h, int status) {
  const char* msg = lua_type(h->L, -1) == LUA_TSTRING ? lua_tostring(h->L, -1) : "";
  if (status == LUA_ERRMEM || (h->alloc().limit_hit && std::strstr(msg, "not enough memory"))) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "memory limit exceeded (%zu MiB per policy)",
                  h->limits.memory_bytes >> 20);
    return buf;
  }
  if (h->budget.tripped) return h->budget.why;
  if (lua_type(h->L, -1) == LUA_TSTRING) return lua_tostring(h->L, -1);
  return "error object is not a string";
}

std::string policy_prefix(const std::string& name) { return "policy \"" + name + "\": "; }

}  // namespace

PolicyScript::PolicyScript() : impl_(std::make_unique<Impl>()) {}
PolicyScript::~PolicyScript() = default;

namespace {

std::shared_ptr<LuaHost> acquire_host(const PolicyLoadOptions& opts) {
  if (!opts.pool) return std::make_shared<LuaHost>();
  std::error_code ec;
  std::string key = std::filesystem::weakly_canonical(opts.script_path, ec).string();
  if (ec) key = opts.script_path;
  key += '\n';
  key += opts.stdlib_dir;
  auto& pool = *opts.pool->impl_;
  std::lock_guard<std::mutex> lk(pool.mutex);
  for (auto it = pool.hosts.begin(); it != pool.hosts.end();)  // forget states nobody uses
    it = it->second.expired() ? pool.hosts.erase(it) : std::next(it);
  std::shared_ptr<LuaHost> host = pool.hosts[key].lock();
  if (!host) {
    host = std::make_shared<LuaHost>();
    pool.hosts[key] = host;
  }
  return host;
}

}  // namespace

std::unique_ptr<PolicyScript> PolicyScript::load(const PolicyLoadOptions& opts, std::string* error) {
  std::unique_ptr<PolicyScript> ps(new PolicyScript());
  Impl* h = ps->impl_.get();
  h->name = opts.name;
  h->display_path = opts.display_path.empty() ? opts.script_path : opts.display_path;
  h->limits = opts.limits;
  h->stdlib_dir = opts.stdlib_dir;
  h->script_dir = std::filesystem::path(opts.script_path).parent_path().string();
  if (h->script_dir.empty()) h->script_dir = ".";
  h->now = static_cast<double>(std::time(nullptr));
  const std::string prefix = policy_prefix(opts.name);

  std::ifstream in(opts.script_path, std::ios::binary);
  if (!in) {
    *error = prefix + "cannot read " + h->display_path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string source = ss.str();

  h->host = acquire_host(opts);
  LuaHost& host = *h->host;
  std::lock_guard<std::mutex> lk(host.mutex);
  host.current = h;
  host.alloc.limit += opts.limits.memory_bytes;
  ++host.users;
  h->joined = true;
  if (!host.L) {
    lua_State* fresh = lua_newstate(capped_alloc, &host.alloc);
    if (!fresh) {
      *error = prefix + "cannot create a Lua state";
      return nullptr;
    }
    *static_cast<LuaHost**>(lua_getextraspace(fresh)) = &host;
    h->L = fresh;
    arm_budget(h, opts.limits.instructions * 4, opts.limits.load_timeout_seconds);
    lua_pushcfunction(fresh, message_handler);
    lua_pushcfunction(fresh, setup_sandbox);
    int st = lua_pcall(fresh, 0, 0, 1);
    disarm_budget(h);
    if (st != LUA_OK) {
      *error = prefix + "sandbox setup failed: " + pcall_error(h, st);
      lua_close(fresh);
      h->L = nullptr;
      return nullptr;
    }
    lua_settop(fresh, 0);
    // Collect a little more eagerly than Lua's default (a cycle when the heap reaches 1.5x the
    // live data, not 2x), which keeps thousands of policies small at a modest CPU cost (replays
    // go back to 2x: set_gc_pause).
    lua_gc(fresh, LUA_GCINC, 150, 0, 0);
    host.L = fresh;
  }
  h->L = host.L;
  lua_State* L = h->L;
  lua_settop(L, 0);
  arm_budget(h, opts.limits.instructions * 4, opts.limits.load_timeout_seconds);
  h->chunk_buf = "@" + h->display_path;
  h->load_source = &source;
  h->push_arg = &opts.params;
  lua_pushcfunction(L, message_handler);
  lua_pushcfunction(L, load_trampoline);
  int st = lua_pcall(L, 0, 0, 1);
  h->push_arg = nullptr;
  h->load_source = nullptr;
  disarm_budget(h);
  if (st != LUA_OK) {
    *error = prefix + pcall_error(h, st);
    lua_settop(L, 0);
    return nullptr;
  }
  lua_settop(L, 0);
  lua_pushcfunction(L, make_eval_runner);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    *error = prefix + "cannot set up the evaluation: out of memory";
    lua_settop(L, 0);
    return nullptr;
  }
  // The module text buffers are only needed while loading (a later require refills them).
  std::string().swap(h->file_buf);
  std::string().swap(h->chunk_buf);
  // Loading leaves garbage (chunk text, require machinery): a private state drops it now; a
  // shared one (where a full collection would walk every policy) lets the collector catch up.
  if (host.users == 1) lua_gc(L, LUA_GCCOLLECT);
  return ps;
}

void PolicyScript::attach_signals(SignalTable* signals) {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  h->signals = signals;
  lua_settop(h->L, 0);
  lua_pushcfunction(h->L, attach_trampoline);
  if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) h->sigindex_ref = LUA_NOREF;
  lua_settop(h->L, 0);
}

EvalOutcome PolicyScript::evaluate(double now, double interval, const TargetView& target) {
  EvalOutcome out;
  evaluate(now, interval, target, out);
  return out;
}

void PolicyScript::evaluate(double now, double interval, const TargetView& target, EvalOutcome& out) {
  Impl* h = impl_.get();
  out.status = EvalOutcome::Status::Hold;
  out.replicas.reset();
  out.nodes.reset();
  out.reason.clear();
  out.plan.clear();
  out.error.clear();
  out.logs.clear();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_State* L = h->L;
  h->now = now;
  h->logs = h->collect_logs ? &out.logs : nullptr;
  // Reset field by field: the struct carries a plan buffer not worth clearing every tick.
  h->raw.status = 0;
  h->raw.has_replicas = h->raw.has_nodes = false;
  h->raw.replicas = h->raw.nodes = 0;
  h->raw.reason[0] = 0;
  h->raw.reason_len = 0;
  h->raw.plan_n = 0;
  h->alloc().limit_hit = false;
  if (lua_gettop(L) != 0) lua_settop(L, 0);
  arm_budget(h, h->limits.instructions, h->limits.timeout_seconds, /*watched=*/true);
  lua_pushcfunction(L, message_handler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->eval_ref);
  push_number(L, now);
  push_number(L, interval);
  lua_pushinteger(L, static_cast<lua_Integer>(target.replicas));
  lua_pushinteger(L, static_cast<lua_Integer>(target.ready));
  push_count(L, target.min);
  push_count(L, target.max);
  int st = lua_pcall(L, 6, 1, 1);
  disarm_budget(h);
  h->logs = nullptr;
  if (st != LUA_OK) {
    out.status = EvalOutcome::Status::Error;
    out.error = policy_prefix(h->name) + pcall_error(h, st);
    lua_settop(L, 0);
    if (h->alloc().limit_hit) lua_gc(L, LUA_GCCOLLECT);
    return;
  }
  std::string bad;
  const bool ok = read_answer(h, L, bad);
  lua_settop(L, 0);
  if (!ok) {
    out.status = EvalOutcome::Status::Error;
    out.error = policy_prefix(h->name) + bad;
    return;
  }
  if (h->raw.status == 0) {
    out.status = EvalOutcome::Status::Hold;
    return;
  }
  out.status = EvalOutcome::Status::Decision;
  if (h->raw.has_replicas) out.replicas = h->raw.replicas;
  if (h->raw.has_nodes) out.nodes = h->raw.nodes;
  out.reason.assign(h->raw.reason, h->raw.reason_len);
  if (h->raw.plan_n > 0) out.plan.assign(h->raw.plan, h->raw.plan + h->raw.plan_n);
}

Value PolicyScript::state(std::string* error) const {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_State* L = h->L;
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
  lua_pushliteral(L, "state");  // interned at load, no allocation
  lua_rawget(L, 1);
  Value out;
  std::vector<const void*> seen;
  std::string err;
  std::size_t values = 0;
  if (!to_value(L, 2, out, "ctx.state", 0, seen, values, &err)) {
    if (error) *error = policy_prefix(h->name) + err;
    out = Value();
  }
  lua_settop(L, 0);
  if (out.is_array() && out.as_array().empty()) out = Value::object();
  if (out.is_null()) out = Value::object();
  return out;
}

namespace {
int set_state_trampoline(lua_State* L) {
  auto* h = impl_of(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
  push_value(L, *h->push_arg, 0);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
  }
  lua_setfield(L, -2, "state");
  return 0;
}
int params_trampoline(lua_State* L) {
  auto* h = impl_of(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->params_ref);
  return 1;
}
}  // namespace

bool PolicyScript::set_state(const Value& state, std::string* error) {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_settop(h->L, 0);
  h->push_arg = &state;
  lua_pushcfunction(h->L, message_handler);
  lua_pushcfunction(h->L, set_state_trampoline);
  int st = lua_pcall(h->L, 0, 0, 1);
  h->push_arg = nullptr;
  if (st != LUA_OK) {
    if (error) *error = policy_prefix(h->name) + "cannot restore ctx.state: " + pcall_error(h, st);
    lua_settop(h->L, 0);
    return false;
  }
  lua_settop(h->L, 0);
  return true;
}

Value PolicyScript::params() const {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_settop(h->L, 0);
  lua_pushcfunction(h->L, params_trampoline);
  if (lua_pcall(h->L, 0, 1, 0) != LUA_OK) return Value();
  Value out;
  std::vector<const void*> seen;
  std::string err;
  std::size_t values = 0;
  to_value(h->L, 1, out, "params", 0, seen, values, &err);
  lua_settop(h->L, 0);
  return out;
}

void PolicyScript::set_collect_logs(bool on) { impl_->collect_logs = on; }

void PolicyScript::set_gc_pause(int percent) {
  std::lock_guard<std::mutex> lk(impl_->host->mutex);
  lua_gc(impl_->L, LUA_GCINC, percent, 0, 0);
}

std::size_t PolicyScript::memory_used() const {
  std::lock_guard<std::mutex> lk(impl_->host->mutex);
  return impl_->host->users ? impl_->host->alloc.used / impl_->host->users : impl_->host->alloc.used;
}

std::size_t PolicyScript::state_users() const {
  std::lock_guard<std::mutex> lk(impl_->host->mutex);
  return impl_->host->users;
}
const std::string& PolicyScript::name() const { return impl_->name; }

}  // namespace luascale
