// engine/lua/answer.cpp — see answer.hpp.
#include "engine/lua/answer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <vector>

#include "engine/lua/host.hpp"

namespace luascale {
namespace {

// The field names of a decision, interned once per policy and kept in a registry table (their
// addresses identify valid keys; pushing one from there allocates nothing).
enum AnswerKey {
  kKeyReplicas = 1,
  kKeyNodes,
  kKeyReason,
  kKeyPlan,
  kKeyForecast,
  kKeyTime,
  kKeyCapacity,
  kKeyValue,
  kKeyLo,
  kKeyHi,
  kKeyGroups,
  kKeyCount = kKeyGroups
};
const char* const kAnswerKeyNames[] = {nullptr, "replicas", "nodes", "reason", "plan", "forecast",
                                       "time",  "capacity", "value", "lo",     "hi",   "groups"};

// Formats a bad answer's message into the policy's errbuf; always false.
class AnswerError {
 public:
  explicit AnswerError(PolicyScript::Impl* h) : h_(h) {}
  bool operator()(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(h_->errbuf, sizeof h_->errbuf, fmt, ap);
    va_end(ap);
    return false;
  }

 private:
  PolicyScript::Impl* h_;
};

// A count as read off the stack: its type and, for a number, its value. An integer, or a float
// with an integral value in the integers' range, converts exactly.
struct CountValue {
  int type = LUA_TNIL;
  int exact = 0;
  lua_Integer i = 0;
  double d = 0;
};

void take_count(lua_State* L, int idx, CountValue& c) {
  c.type = lua_type(L, idx);
  if (c.type != LUA_TNUMBER) return;
  c.i = lua_tointegerx(L, idx, &c.exact);
  if (!c.exact) c.d = lua_tonumber(L, idx);
}

// Checks a decision count (nil: absent, *has = false): an integer in [0, kMaxCount].
bool check_count(lua_State* L, const CountValue& c, int key, std::int64_t* out, bool* has,
                 AnswerError& fail) {
  const char* field = kAnswerKeyNames[key];
  *has = false;
  if (c.type == LUA_TNIL) return true;
  if (c.type != LUA_TNUMBER)
    return fail("decide returned %s = a %s; counts must be integers", field,
                lua_typename(L, c.type));
  if (c.exact) {
    const lua_Integer v = c.i;
    if (v < 0)
      return fail("decide returned %s = %lld; counts must be >= 0", field,
                  static_cast<long long>(v));
    if (v > kMaxCount)
      return fail("decide returned %s = %lld; counts must be <= 2147483647", field,
                  static_cast<long long>(v));
    *out = v;
    *has = true;
    return true;
  }
  const double d = c.d;
  if (std::isnan(d)) return fail("decide returned %s = NaN", field);
  if (std::isinf(d)) return fail("decide returned %s = %s", field, d > 0 ? "inf" : "-inf");
  if (d != std::floor(d))
    return fail("decide returned %s = %.14g; counts must be integers (use math.ceil or math.floor)",
                field, d);
  if (d < 0) return fail("decide returned %s = %.14g; counts must be >= 0", field, d);
  return fail("decide returned %s = %.14g; counts must be <= 2147483647", field, d);
}

// Reads plan = { {time = T, capacity = N}, ... } (increasing times, counts like replicas) from
// the answer at `answer`; `keys` is the key table's stack index.
bool read_plan(PolicyScript::Impl* h, lua_State* L, int answer, int keys, AnswerError& fail) {
  RawDecision& d = h->raw;
  lua_rawgeti(L, keys, kKeyPlan);
  lua_rawget(L, answer);
  if (!lua_istable(L, -1))
    return fail("decide returned plan = a %s; plan must be a list of {time=T, capacity=N}",
                luaL_typename(L, -1));
  const int plan_idx = lua_gettop(L);
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, plan_idx));
  if (n > kMaxPlan)
    return fail("decide returned a plan of %lld steps; at most %d", static_cast<long long>(n),
                kMaxPlan);
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
      return fail("decide returned plan[%lld] = a %s; expected {time=T, capacity=N}",
                  static_cast<long long>(i), luaL_typename(L, step));
    lua_rawgeti(L, keys, kKeyTime);
    lua_rawget(L, step);
    if (lua_type(L, -1) != LUA_TNUMBER || !std::isfinite(lua_tonumber(L, -1)))
      return fail("decide returned plan[%lld].time: expected unix seconds",
                  static_cast<long long>(i));
    const double t = lua_tonumber(L, -1);
    if (d.plan_n > 0 && t <= d.plan[d.plan_n - 1].time)
      return fail("decide returned plan[%lld].time: times must increase",
                  static_cast<long long>(i));
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

// A finite number at t[key] (key a key-table index), or nullopt; *present says whether the field
// was there at all.
std::optional<double> number_field(lua_State* L, int t, int keys, int key, bool* present) {
  lua_rawgeti(L, keys, key);
  lua_rawget(L, t);
  *present = !lua_isnil(L, -1);
  std::optional<double> v;
  if (lua_type(L, -1) == LUA_TNUMBER && std::isfinite(lua_tonumber(L, -1))) v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

// Reads forecast = { {time = T, value = V [, lo = L, hi = H]}, ... } (increasing times, finite
// numbers, lo <= value <= hi when given) from the answer at `answer`.
bool read_forecast(PolicyScript::Impl* h, lua_State* L, int answer, int keys, AnswerError& fail) {
  std::vector<ForecastPoint>& out = h->raw.forecast;
  lua_rawgeti(L, keys, kKeyForecast);
  lua_rawget(L, answer);
  if (!lua_istable(L, -1))
    return fail("decide returned forecast = a %s; forecast must be a list of {time=T, value=V}",
                luaL_typename(L, -1));
  const int list = lua_gettop(L);
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, list));
  if (n > kMaxPlan)
    return fail("decide returned a forecast of %lld points; at most %d", static_cast<long long>(n),
                kMaxPlan);
  try {
    out.reserve(static_cast<std::size_t>(n));
  } catch (...) {
    return fail("not enough memory");
  }
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_settop(L, list);
    lua_rawgeti(L, list, i);
    const int point = lua_gettop(L);
    const auto at = static_cast<long long>(i);
    if (!lua_istable(L, point))
      return fail("decide returned forecast[%lld] = a %s; expected {time=T, value=V}", at,
                  luaL_typename(L, point));
    bool present = false;
    ForecastPoint p;
    const auto t = number_field(L, point, keys, kKeyTime, &present);
    if (!t) return fail("decide returned forecast[%lld].time: expected unix seconds", at);
    if (!out.empty() && *t <= out.back().time)
      return fail("decide returned forecast[%lld].time: times must increase", at);
    const auto v = number_field(L, point, keys, kKeyValue, &present);
    if (!v) return fail("decide returned forecast[%lld].value: expected a finite number", at);
    p.time = *t;
    p.value = *v;
    for (int key : {kKeyLo, kKeyHi}) {
      const auto b = number_field(L, point, keys, key, &present);
      if (present && !b)
        return fail("decide returned forecast[%lld].%s: expected a finite number", at,
                    kAnswerKeyNames[key]);
      if (b) (key == kKeyLo ? p.lo : p.hi) = *b;
    }
    if (!(std::isnan(p.lo) || p.lo <= p.value) || !(std::isnan(p.hi) || p.value <= p.hi))
      return fail("decide returned forecast[%lld]: expected lo <= value <= hi", at);
    out.push_back(p);
  }
  return true;
}

// Reads groups = { [name] = count, ... } (string names of 1..64 bytes, at most kMaxGroups,
// counts like replicas) into h->raw.groups, sorted by name.
bool read_groups(PolicyScript::Impl* h, lua_State* L, int answer, int keys, AnswerError& fail) {
  RawDecision& d = h->raw;
  lua_rawgeti(L, keys, kKeyGroups);
  lua_rawget(L, answer);
  if (!lua_istable(L, -1))
    return fail("decide returned groups = a %s; groups must be a table {name = count, ...}",
                luaL_typename(L, -1));
  const int table = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, table)) {
    if (lua_type(L, -2) != LUA_TSTRING)
      return fail("decide returned groups with a %s key; group names must be strings",
                  luaL_typename(L, -2));
    std::size_t len = 0;
    const char* name = lua_tolstring(L, -2, &len);
    if (len == 0 || len > 64)
      return fail("decide returned a group name of %zu bytes; names have 1 to 64", len);
    if (d.groups.size() >= kMaxGroups)
      return fail("decide returned more than %zu groups", kMaxGroups);
    CountValue c;
    take_count(L, -1, c);
    std::int64_t n = 0;
    bool has = false;
    if (!check_count(L, c, kKeyGroups, &n, &has, fail)) return false;
    d.groups.push_back(GroupCount{std::string(name, len), n});
    lua_pop(L, 1);
  }
  std::sort(d.groups.begin(), d.groups.end());
  return true;
}

}  // namespace

void intern_answer_keys(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  lua_createtable(L, kKeyCount, 0);
  for (int k = 1; k <= kKeyCount; ++k) {
    lua_pushstring(L, kAnswerKeyNames[k]);
    lua_rawseti(L, -2, k);
  }
  const char** keys[] = {&h->replicas_key, &h->nodes_key, &h->reason_key, &h->plan_key,
                         &h->forecast_key};
  for (int k = kKeyReplicas; k <= kKeyForecast; ++k) {
    lua_rawgeti(L, -1, k);
    *keys[k - kKeyReplicas] = lua_tostring(L, -1);  // alive as long as the key table
    lua_pop(L, 1);
  }
  lua_rawgeti(L, -1, kKeyGroups);
  h->groups_key = lua_tostring(L, -1);
  lua_pop(L, 1);
  h->keys_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

bool read_answer(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  const int answer = lua_gettop(L);
  AnswerError fail(h);
  RawDecision& d = h->raw;
  d.decided = false;
  d.has_replicas = d.has_nodes = false;
  d.reason_len = 0;
  d.plan_n = 0;
  d.forecast.clear();
  d.groups.clear();
  const int type = lua_type(L, answer);
  if (type == LUA_TNIL) return true;
  if (type != LUA_TTABLE)
    return fail("decide must return a table like {replicas=N} or nil to hold (it returned a %s)",
                lua_typename(L, type));
  // Short strings are interned: a valid key is the very string the key table holds. One pass
  // over the answer checks its keys and takes the values, which are checked afterwards (a
  // reason string stays alive in the answer on the stack).
  lua_checkstack(L, 16);
  CountValue replicas, nodes;
  int reason_type = LUA_TNIL;
  const char* reason = nullptr;
  std::size_t reason_len = 0;
  bool has_plan = false, has_forecast = false, has_groups = false;
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
    } else if (k == h->forecast_key) {
      has_forecast = true;
    } else if (k == h->groups_key) {
      has_groups = true;
    } else {
      return fail(
          "decide returned unknown field '%s' (expected replicas, nodes, reason, plan, forecast, "
          "groups)",
          k);
    }
    lua_pop(L, 1);
  }
  if (has_plan || has_forecast) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->keys_ref);
    const int keys = lua_gettop(L);
    if (has_plan && !read_plan(h, L, answer, keys, fail)) return false;
    lua_settop(L, keys);
    if (has_forecast && !read_forecast(h, L, answer, keys, fail)) return false;
    lua_settop(L, answer);
  }
  if (has_groups) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->keys_ref);
    if (!read_groups(h, L, answer, lua_gettop(L), fail)) return false;
    lua_settop(L, answer);
  }
  if (!check_count(L, replicas, kKeyReplicas, &d.replicas, &d.has_replicas, fail)) return false;
  if (!check_count(L, nodes, kKeyNodes, &d.nodes, &d.has_nodes, fail)) return false;
  if (has_groups) {
    // The groups' sum is the node count; a `nodes` given beside them must agree.
    std::int64_t sum = 0;
    for (const auto& g : d.groups) sum += g.count;
    if (sum > kMaxCount)
      return fail("decide returned groups summing to %lld; counts must be <= 2147483647",
                  static_cast<long long>(sum));
    if (d.has_nodes && d.nodes != sum)
      return fail("decide returned nodes = %lld but its groups sum to %lld",
                  static_cast<long long>(d.nodes), static_cast<long long>(sum));
    d.nodes = sum;
    d.has_nodes = true;
  }
  if (!d.has_replicas && !d.has_nodes)
    return fail("decide returned a table without replicas or nodes (return nil to hold)");
  if (reason_type != LUA_TNIL) {
    if (reason_type != LUA_TSTRING)
      return fail("decide returned reason = a %s; reason must be a string",
                  lua_typename(L, reason_type));
    const std::size_t n = reason_len < kMaxReason ? reason_len : kMaxReason;
    std::memcpy(d.reason, reason, n);
    d.reason[n] = 0;
    d.reason_len = n;
  }
  d.decided = true;
  return true;
}

}  // namespace luascale
