// engine/lua/policy_script.cpp — loading a policy into its Lua state, evaluating decide under
// the limits, and reading and restoring its ctx.state (see policy_script.hpp).
//
// Every Lua API call that can raise (allocation!) runs inside a protected call.
#include "engine/lua/policy_script.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine/core/units.hpp"
#include "engine/lua/answer.hpp"
#include "engine/lua/budget.hpp"
#include "engine/lua/ctx_api.hpp"
#include "engine/lua/host.hpp"
#include "engine/lua/lua_value.hpp"
#include "engine/lua/sandbox.hpp"

namespace luascale {

PolicyScript::Impl::~Impl() {
  if (!host) return;
  std::lock_guard<std::mutex> lk(host->mutex);
  if (L)
    for (int ref : {decide_ref, params_ref, ctx_ref, target_ref, env_ref, sigindex_ref,
                    sigcache_ref, keys_ref, loaded_ref})
      luaL_unref(L, LUA_REGISTRYINDEX, ref);
  if (joined) {
    host->alloc.limit -= limits.memory_bytes;
    --host->users;
  }
  if (host->current == this) host->current = nullptr;
}

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

namespace {

// Compiles the script h->load_source in a new environment, runs it, validates the policy table
// and builds params and ctx (under lua_pcall).
int load_trampoline(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  lua_newtable(L);
  h->loaded_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  push_compiled_chunk(L, *h->load_source, h->chunk_buf);
  push_new_env(L);
  lua_pushvalue(L, -1);
  h->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  bind_env(L, -2);
  lua_call(L, 0, 1);
  if (!lua_istable(L, -1))
    return luaL_error(L,
                      "%s: the script must return a table {params=..., decide=function(ctx, p)} "
                      "(it returned %s)",
                      h->display_path.c_str(), luaL_typename(L, -1));
  const int policy = lua_gettop(L);
  lua_pushliteral(L, "decide");
  lua_rawget(L, policy);
  if (!lua_isfunction(L, -1))
    return luaL_error(L, "%s: the returned table has no decide function (decide is %s)",
                      h->display_path.c_str(), luaL_typename(L, -1));
  h->decide_ref = luaL_ref(L, LUA_REGISTRYINDEX);

  // params = the script's defaults, then the config's overrides (shallow).
  lua_newtable(L);
  const int params = lua_gettop(L);
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
      push_value(L, v);
      lua_rawset(L, params);
    }
  }
  lua_pushvalue(L, params);
  h->params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  build_ctx(L, params);
  intern_answer_keys(L);

  return 0;
}

int set_state_trampoline(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
  push_value(L, *h->push_arg);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    lua_newtable(L);
  }
  lua_setfield(L, -2, "state");
  return 0;
}

void push_count(lua_State* L, const std::optional<std::int64_t>& v) {
  if (v)
    lua_pushinteger(L, static_cast<lua_Integer>(*v));
  else
    lua_pushnil(L);
}

// One evaluation (under lua_pcall): refreshes ctx.now, ctx.interval and ctx.target's counts,
// calls decide(ctx, params) and checks its answer into h->raw (h->answer_ok; the reason why not
// in h->errbuf). ctx and ctx.target carry a protected metatable without __newindex, so the
// refreshes are plain stores.
int evaluate_protected(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  const TargetView& t = *h->eval_target;
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);  // 1
  push_number(L, h->now);
  lua_setfield(L, 1, "now");
  push_number(L, h->eval_interval);
  lua_setfield(L, 1, "interval");
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->target_ref);  // 2
  lua_pushinteger(L, static_cast<lua_Integer>(t.replicas));
  lua_setfield(L, 2, "replicas");
  lua_pushinteger(L, static_cast<lua_Integer>(t.ready));
  lua_setfield(L, 2, "ready");
  push_count(L, t.min);
  lua_setfield(L, 2, "min");
  push_count(L, t.max);
  lua_setfield(L, 2, "max");
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->decide_ref);
  lua_pushvalue(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->params_ref);
  lua_call(L, 2, 1);
  h->answer_ok = read_answer(L);
  return 0;
}

// The message of a failed protected call (its error object on the top of the stack).
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

std::string policy_prefix(const std::string& name) {
  return "policy \"" + name + "\": ";
}

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

// Runs `f` protected with the budget of a load; false + *error on failure.
bool run_loading(PolicyScript::Impl* h, lua_CFunction f, std::string* error) {
  lua_State* L = h->L;
  lua_settop(L, 0);
  arm_budget(L, h->limits.instructions * 4, h->limits.load_timeout_seconds);
  lua_pushcfunction(L, message_handler);
  lua_pushcfunction(L, f);
  const int st = lua_pcall(L, 0, 0, 1);
  disarm_budget(L);
  if (st != LUA_OK) *error = pcall_error(h, st);
  lua_settop(L, 0);
  return st == LUA_OK;
}

}  // namespace

const char* status_name(EvalOutcome::Status s) {
  switch (s) {
    case EvalOutcome::Status::Decision:
      return "decision";
    case EvalOutcome::Status::Hold:
      return "hold";
    case EvalOutcome::Status::Error:
      return "error";
  }
  return "?";
}

PolicyScript::PolicyScript() : impl_(std::make_unique<Impl>()) {}
PolicyScript::~PolicyScript() = default;

std::unique_ptr<PolicyScript> PolicyScript::load(const PolicyLoadOptions& opts,
                                                 std::string* error) {
  std::unique_ptr<PolicyScript> ps(new PolicyScript());
  Impl* h = ps->impl_.get();
  h->name = opts.name;
  h->scale_up_tolerance = opts.scale_up_tolerance;
  h->scale_down_tolerance = opts.scale_down_tolerance;
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
  std::string err;
  if (!host.L) {
    lua_State* fresh = lua_newstate(capped_alloc, &host.alloc);
    if (!fresh) {
      *error = prefix + "cannot create a Lua state";
      return nullptr;
    }
    *static_cast<LuaHost**>(lua_getextraspace(fresh)) = &host;
    h->L = fresh;
    if (!run_loading(h, setup_sandbox, &err)) {
      *error = prefix + "sandbox setup failed: " + err;
      lua_close(fresh);
      h->L = nullptr;
      return nullptr;
    }
    // Collect a little more eagerly than Lua's default (a cycle when the heap reaches 1.5x the
    // live data, not 2x), which keeps thousands of policies small at a modest CPU cost.
    lua_gc(fresh, LUA_GCINC, 150, 0, 0);
    host.L = fresh;
  }
  h->L = host.L;
  h->chunk_buf = "@" + h->display_path;
  h->load_source = &source;
  h->push_arg = &opts.params;
  const bool ok = run_loading(h, load_trampoline, &err);
  h->push_arg = nullptr;
  h->load_source = nullptr;
  if (!ok) {
    *error = prefix + err;
    return nullptr;
  }
  // The module text buffers are only needed while loading (a later require refills them).
  std::string().swap(h->file_buf);
  std::string().swap(h->chunk_buf);
  // Loading leaves garbage (chunk text, require machinery): a private state drops it now; a
  // shared one (where a full collection would walk every policy) lets the collector catch up.
  if (host.users == 1) lua_gc(h->L, LUA_GCCOLLECT);
  return ps;
}

void PolicyScript::attach_signals(SignalTable* signals) {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  h->signals = signals;
  lua_settop(h->L, 0);
  lua_pushcfunction(h->L, index_signals);
  if (lua_pcall(h->L, 0, 0, 0) != LUA_OK) h->sigindex_ref = LUA_NOREF;
  lua_settop(h->L, 0);
}

EvalOutcome PolicyScript::evaluate(double now, double interval, const TargetView& target) {
  EvalOutcome out;
  evaluate(now, interval, target, out);
  return out;
}

void PolicyScript::evaluate(double now, double interval, const TargetView& target,
                            EvalOutcome& out) {
  Impl* h = impl_.get();
  out.status = EvalOutcome::Status::Hold;
  out.replicas.reset();
  out.nodes.reset();
  out.reason.clear();
  out.plan.clear();
  out.forecast.clear();
  out.groups.clear();
  out.error.clear();
  out.logs.clear();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_State* L = h->L;
  h->now = now;
  h->logs = h->collect_logs ? &out.logs : nullptr;
  h->alloc().limit_hit = false;
  lua_settop(L, 0);
  arm_budget(L, h->limits.instructions, h->limits.timeout_seconds);
  h->eval_interval = interval;
  h->eval_target = &target;
  lua_pushcfunction(L, message_handler);
  lua_pushcfunction(L, evaluate_protected);
  const int st = lua_pcall(L, 0, 0, 1);
  disarm_budget(L);
  h->eval_target = nullptr;
  h->logs = nullptr;
  if (st != LUA_OK) {
    out.status = EvalOutcome::Status::Error;
    out.error = policy_prefix(h->name) + pcall_error(h, st);
    lua_settop(L, 0);
    if (h->alloc().limit_hit) lua_gc(L, LUA_GCCOLLECT);
    return;
  }
  lua_settop(L, 0);
  if (!h->answer_ok) {
    out.status = EvalOutcome::Status::Error;
    out.error = policy_prefix(h->name) + h->errbuf;
    return;
  }
  if (!h->raw.decided) return;
  out.status = EvalOutcome::Status::Decision;
  if (h->raw.has_replicas) out.replicas = h->raw.replicas;
  if (h->raw.has_nodes) out.nodes = h->raw.nodes;
  out.reason.assign(h->raw.reason, h->raw.reason_len);
  if (h->raw.plan_n > 0) out.plan.assign(h->raw.plan, h->raw.plan + h->raw.plan_n);
  if (!h->raw.forecast.empty()) out.forecast.swap(h->raw.forecast);
  if (!h->raw.groups.empty()) out.groups = h->raw.groups;
}

Value PolicyScript::state(std::string* error) const {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_State* L = h->L;
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->ctx_ref);
  lua_pushliteral(L, "state");  // interned at load: no allocation
  lua_rawget(L, 1);
  Value out;
  std::string err;
  if (!lua_to_value(L, 2, out, "ctx.state", &err)) {
    if (error) *error = policy_prefix(h->name) + err;
    out = Value();
  }
  lua_settop(L, 0);
  if (out.is_null()) out = Value::object();
  return out;
}

bool PolicyScript::set_state(const Value& state, std::string* error) {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_settop(h->L, 0);
  h->push_arg = &state;
  lua_pushcfunction(h->L, message_handler);
  lua_pushcfunction(h->L, set_state_trampoline);
  const int st = lua_pcall(h->L, 0, 0, 1);
  h->push_arg = nullptr;
  if (st != LUA_OK && error)
    *error = policy_prefix(h->name) + "cannot restore ctx.state: " + pcall_error(h, st);
  lua_settop(h->L, 0);
  return st == LUA_OK;
}

Value PolicyScript::params() const {
  Impl* h = impl_.get();
  std::lock_guard<std::mutex> lk(h->host->mutex);
  h->host->current = h;
  lua_settop(h->L, 0);
  lua_rawgeti(h->L, LUA_REGISTRYINDEX, h->params_ref);
  Value out;
  std::string err;
  lua_to_value(h->L, 1, out, "params", &err);
  lua_settop(h->L, 0);
  return out;
}

void PolicyScript::set_collect_logs(bool on) {
  impl_->collect_logs = on;
}

std::size_t PolicyScript::memory_used() const {
  std::lock_guard<std::mutex> lk(impl_->host->mutex);
  const LuaHost& host = *impl_->host;
  return host.users ? host.alloc.used / host.users : host.alloc.used;
}

std::size_t PolicyScript::state_users() const {
  std::lock_guard<std::mutex> lk(impl_->host->mutex);
  return impl_->host->users;
}

const std::string& PolicyScript::name() const {
  return impl_->name;
}

const std::vector<std::string>& PolicyScript::unknown_signals() const {
  return impl_->unknown_signals;
}

}  // namespace luascale
