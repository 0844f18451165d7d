// engine/lua/builtin_time.cpp — the `luascale.time` Lua module (see builtin_time.hpp): IANA zone
// offsets from date/tz, calendar arithmetic from common/time/civil_time.
// Lua raises by longjmp here, so every C++ object lives in a helper that reports errors as text.
#include "engine/lua/builtin_time.hpp"

#include <date/tz.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>

#include "common/time/civil_time.hpp"

namespace {

using std::chrono::seconds;

constexpr std::int64_t kMinUnix = -62135596800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxUnix = 253402300799;  // 9999-12-31T23:59:59Z
// Bound on each field of time.unix{}, so the arithmetic cannot overflow int64.
constexpr std::int64_t kMaxField = 1'000'000'000;

constexpr std::size_t kErrorSize = 256;

// Broken-down local time; plain data so it can cross the Lua error boundary.
struct Civil {
  int year, month, day, hour, min, sec;
  int wday;  // 1 = Sunday .. 7 = Saturday
  int yday;  // 1 = January 1st
  bool isdst;
  std::int64_t offset;  // seconds east of UTC
  char abbrev[16];
};

bool is_utc(const char* zone) {
  return zone == nullptr || std::strcmp(zone, "UTC") == 0;
}

// The tzdb zone, or nullptr with `err` filled. Never throws.
const date::time_zone* find_zone(const char* zone, char* err) noexcept {
  try {
    return date::locate_zone(zone);
  } catch (const std::exception&) {
    std::snprintf(err, kErrorSize, "luascale.time: unknown time zone '%s'", zone);
  } catch (...) {
    std::snprintf(err, kErrorSize, "luascale.time: cannot load time zone '%s'", zone);
  }
  return nullptr;
}

bool civil_in_zone(std::int64_t t, const char* zone, Civil* out, char* err) noexcept {
  if (t < kMinUnix || t > kMaxUnix) {
    std::snprintf(err, kErrorSize, "luascale.time.civil: time %lld outside years 1..9999",
                  static_cast<long long>(t));
    return false;
  }
  try {
    seconds offset{0};
    bool isdst = false;
    std::string abbrev = "UTC";
    if (!is_utc(zone)) {
      const date::time_zone* tz = find_zone(zone, err);
      if (!tz) return false;
      const date::sys_info info = tz->get_info(date::sys_seconds{seconds{t}});
      offset = info.offset;
      isdst = info.save != std::chrono::minutes{0};
      abbrev = info.abbrev;
    }
    const luascale::CivilTime local = luascale::civil_from_unix(t + offset.count());
    out->year = static_cast<int>(local.year);
    out->month = local.month;
    out->day = local.day;
    out->hour = local.hour;
    out->min = local.minute;
    out->sec = local.second;
    out->wday = local.weekday + 1;
    out->yday = local.yearday + 1;
    out->isdst = isdst;
    out->offset = offset.count();
    std::snprintf(out->abbrev, sizeof out->abbrev, "%s", abbrev.c_str());
    return true;
  } catch (const std::exception& e) {
    std::snprintf(err, kErrorSize, "luascale.time.civil: %s", e.what());
  } catch (...) {
    std::snprintf(err, kErrorSize, "luascale.time.civil: unexpected failure");
  }
  return false;
}

// Local fields (already range-bounded by kMaxField) -> unix seconds in `zone`.
bool unix_in_zone(const std::int64_t f[6], const char* zone, std::int64_t* out,
                  char* err) noexcept {
  try {
    const auto carried = luascale::unix_from_civil(f[0], f[1], f[2], f[3], f[4], f[5]);
    if (!carried) {
      std::snprintf(err, kErrorSize, "luascale.time.unix: year outside 1..9999");
      return false;
    }
    const std::int64_t local = *carried;
    std::int64_t result = local;
    if (!is_utc(zone)) {
      const date::time_zone* tz = find_zone(zone, err);
      if (!tz) return false;
      // `first` is the offset in force just before a gap (so a skipped time moves forward by
      // the gap) and the earlier of two candidates in an overlap.
      const date::local_info info = tz->get_info(date::local_seconds{seconds{local}});
      result = local - info.first.offset.count();
    }
    if (result < kMinUnix || result > kMaxUnix) {
      std::snprintf(err, kErrorSize, "luascale.time.unix: date outside years 1..9999");
      return false;
    }
    *out = result;
    return true;
  } catch (const std::exception& e) {
    std::snprintf(err, kErrorSize, "luascale.time.unix: %s", e.what());
  } catch (...) {
    std::snprintf(err, kErrorSize, "luascale.time.unix: unexpected failure");
  }
  return false;
}

// An integer argument or an integral float; raises a Lua error otherwise.
std::int64_t check_whole(lua_State* L, int idx, const char* what) {
  int isnum = 0;
  const lua_Integer v = lua_tointegerx(L, idx, &isnum);
  if (!isnum) {
    if (lua_type(L, idx) == LUA_TNUMBER) {
      const lua_Number n = lua_tonumber(L, idx);
      if (std::isfinite(n) && n >= -9.2e18 && n <= 9.2e18)
        return static_cast<std::int64_t>(std::floor(n));
    }
    return luaL_error(L, "luascale.time: %s must be a number, got %s", what, luaL_typename(L, idx));
  }
  return v;
}

const char* check_zone(lua_State* L, int idx) {
  if (lua_isnoneornil(L, idx)) return nullptr;
  if (lua_type(L, idx) != LUA_TSTRING) {
    luaL_error(L, "luascale.time: zone must be a string (IANA name), got %s",
               luaL_typename(L, idx));
  }
  return lua_tostring(L, idx);
}

// time.civil(unix_seconds, zone?) -> table
int time_civil(lua_State* L) {
  const std::int64_t t = check_whole(L, 1, "time");
  const char* zone = check_zone(L, 2);
  Civil c{};
  char err[kErrorSize] = {0};
  if (!civil_in_zone(t, zone, &c, err)) return luaL_error(L, "%s", err);
  lua_createtable(L, 0, 11);
  const struct {
    const char* key;
    lua_Integer value;
  } ints[] = {{"year", c.year}, {"month", c.month}, {"day", c.day},
              {"hour", c.hour}, {"min", c.min},     {"sec", c.sec},
              {"wday", c.wday}, {"yday", c.yday},   {"offset", c.offset}};
  for (const auto& kv : ints) {
    lua_pushinteger(L, kv.value);
    lua_setfield(L, -2, kv.key);
  }
  lua_pushboolean(L, c.isdst);
  lua_setfield(L, -2, "isdst");
  lua_pushstring(L, c.abbrev);
  lua_setfield(L, -2, "abbrev");
  return 1;
}

// time.unix{year=, month=, day=, hour=0, min=0, sec=0, zone=nil} -> integer
int time_unix(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char* const keys[6] = {"year", "month", "day", "hour", "min", "sec"};
  std::int64_t fields[6];
  for (int i = 0; i < 6; ++i) {
    const int type = lua_getfield(L, 1, keys[i]);
    if (type == LUA_TNIL) {
      if (i < 3) return luaL_error(L, "luascale.time.unix: field '%s' missing", keys[i]);
      fields[i] = 0;
    } else {
      fields[i] = check_whole(L, -1, keys[i]);
    }
    lua_pop(L, 1);
    if (fields[i] > kMaxField || fields[i] < -kMaxField) {
      return luaL_error(L, "luascale.time.unix: field '%s' out of range", keys[i]);
    }
  }
  lua_getfield(L, 1, "zone");  // stays on the stack so the string outlives the call below
  const char* zone = check_zone(L, -1);
  std::int64_t result = 0;
  char err[kErrorSize] = {0};
  if (!unix_in_zone(fields, zone, &result, err)) return luaL_error(L, "%s", err);
  lua_pushinteger(L, result);
  return 1;
}

}  // namespace

int luascale_open_time(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"civil", time_civil}, {"unix", time_unix}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  return 1;
}
