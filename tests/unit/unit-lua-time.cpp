// tests/unit/unit-lua-time.cpp — the `luascale.time` module: civil fields and unix seconds in
// IANA zones, DST gaps and overlaps, argument errors raised as Lua errors.
#include <doctest/doctest.h>

#include <string>

#include "engine/lua/builtin_time.hpp"
#include "fixtures.hpp"

namespace {

// A plain Lua state with the module in the global `time`; runs snippets and returns the first
// result as text ("error: ..." when the snippet raised).
class TimeState {
 public:
  TimeState() : L_(luaL_newstate()) {
    luaL_openlibs(L_);
    luascale_open_time(L_);
    lua_setglobal(L_, "time");
  }
  ~TimeState() { lua_close(L_); }
  TimeState(const TimeState&) = delete;
  TimeState& operator=(const TimeState&) = delete;

  std::string eval(const std::string& code) {
    const int base = lua_gettop(L_);
    std::string result;
    if (luaL_loadstring(L_, code.c_str()) != LUA_OK || lua_pcall(L_, 0, 1, 0) != LUA_OK) {
      result = std::string("error: ") + lua_tostring(L_, -1);
    } else {
      result = luaL_tolstring(L_, -1, nullptr);
      lua_pop(L_, 1);
    }
    lua_settop(L_, base);
    return result;
  }

 private:
  lua_State* L_;
};

constexpr const char* kFormatCivil = R"(
  local function fmt(c)
    return string.format("%04d-%02d-%02d %02d:%02d:%02d w%d y%d %s %+d %s", c.year, c.month,
      c.day, c.hour, c.min, c.sec, c.wday, c.yday, tostring(c.isdst), c.offset, c.abbrev)
  end
)";

}  // namespace

TEST_CASE("time.civil in UTC and named zones") {
  TimeState s;
  // 1700000000 = 2023-11-14T22:13:20Z, a Tuesday, day 318.
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1700000000))") ==
        "2023-11-14 22:13:20 w3 y318 false +0 UTC");
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1700000000, 'UTC'))") ==
        "2023-11-14 22:13:20 w3 y318 false +0 UTC");
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1700000000, 'Europe/Berlin'))") ==
        "2023-11-14 23:13:20 w3 y318 false +3600 CET");
  CHECK(s.eval(std::string(kFormatCivil) +
               "return fmt(time.civil(1700000000, 'America/New_York'))") ==
        "2023-11-14 17:13:20 w3 y318 false -18000 EST");
  // Summer: 2024-07-01T12:00:00Z.
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1719835200, 'Europe/Berlin'))") ==
        "2024-07-01 14:00:00 w2 y183 true +7200 CEST");
  // Crossing midnight into the next local day and year.
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1704065400, 'Asia/Tokyo'))") ==
        "2024-01-01 08:30:00 w2 y1 false +32400 JST");
  // Before the epoch; a float time is floored.
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(-1))") ==
        "1969-12-31 23:59:59 w4 y365 false +0 UTC");
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(0.9))") ==
        "1970-01-01 00:00:00 w5 y1 false +0 UTC");
}

TEST_CASE("time.civil around the Europe/Berlin DST changes of 2024") {
  TimeState s;
  // Spring forward 2024-03-31 01:00Z: 01:59:59 CET is followed by 03:00:00 CEST.
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1711846799, 'Europe/Berlin'))") ==
        "2024-03-31 01:59:59 w1 y91 false +3600 CET");
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1711846800, 'Europe/Berlin'))") ==
        "2024-03-31 03:00:00 w1 y91 true +7200 CEST");
  // Fall back 2024-10-27 01:00Z: 02:59:59 CEST is followed by 02:00:00 CET.
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1729990799, 'Europe/Berlin'))") ==
        "2024-10-27 02:59:59 w1 y301 true +7200 CEST");
  CHECK(s.eval(std::string(kFormatCivil) + "return fmt(time.civil(1729990800, 'Europe/Berlin'))") ==
        "2024-10-27 02:00:00 w1 y301 false +3600 CET");
}

TEST_CASE("time.unix round-trips, normalises fields and resolves gaps and overlaps") {
  TimeState s;
  CHECK(s.eval("return time.unix{year=2023, month=11, day=14, hour=22, min=13, sec=20}") ==
        "1700000000");
  CHECK(s.eval("return time.unix{year=1970, month=1, day=1}") == "0");
  CHECK(s.eval("return time.unix{year=2023, month=11, day=14, hour=23, min=13, sec=20, "
               "zone='Europe/Berlin'}") == "1700000000");
  CHECK(s.eval("return time.unix{year=2023, month=11, day=14, hour=17, min=13, sec=20, "
               "zone='America/New_York'}") == "1700000000");
  // Month 13 and day 0 normalise like os.time.
  CHECK(s.eval("return time.unix{year=2023, month=13, day=1} == time.unix{year=2024, month=1, "
               "day=1}") == "true");
  CHECK(s.eval("return time.unix{year=2024, month=3, day=0} == time.unix{year=2024, month=2, "
               "day=29}") == "true");
  CHECK(s.eval("return time.unix{year=2024, month=0, day=1} == time.unix{year=2023, month=12, "
               "day=1}") == "true");
  CHECK(s.eval("return time.unix{year=2024, month=1, day=1, hour=-1} == time.unix{year=2023, "
               "month=12, day=31, hour=23}") == "true");
  // Gap: 02:30 on 2024-03-31 does not exist in Berlin; it moves forward by the hour to 03:30 CEST.
  CHECK(s.eval("return time.unix{year=2024, month=3, day=31, hour=2, min=30, "
               "zone='Europe/Berlin'}") == "1711848600");
  CHECK(s.eval("return time.unix{year=2024, month=3, day=31, hour=3, min=30, "
               "zone='Europe/Berlin'}") == "1711848600");
  // Overlap: 02:30 on 2024-10-27 happens twice; the earlier (CEST, 00:30Z) wins.
  CHECK(s.eval("return time.unix{year=2024, month=10, day=27, hour=2, min=30, "
               "zone='Europe/Berlin'}") == "1729989000");
  // New York: 2024-03-10 02:30 is skipped (-> 03:30 EDT = 07:30Z); 2024-11-03 01:30 is doubled
  // (-> 01:30 EDT = 05:30Z).
  CHECK(s.eval("return time.unix{year=2024, month=3, day=10, hour=2, min=30, "
               "zone='America/New_York'}") == "1710055800");
  CHECK(s.eval("return time.unix{year=2024, month=11, day=3, hour=1, min=30, "
               "zone='America/New_York'}") == "1730611800");
  // unix(civil(t)) == t over a year of hourly steps in a DST zone, except the repeated hour.
  CHECK(s.eval(R"(
    local t0 = time.unix{year=2024, month=1, day=1, zone='America/New_York'}
    for h = 0, 366 * 24 do
      local t = t0 + h * 3600
      local c = time.civil(t, 'America/New_York')
      c.zone = 'America/New_York'
      local back = time.unix(c)
      if back ~= t and not (back == t - 3600 and not c.isdst) then
        return 'mismatch at ' .. t .. ': ' .. back
      end
    end
    return 'ok')") == "ok");
}

TEST_CASE("time errors are Lua errors with the cause") {
  TimeState s;
  // luaL_error prefixes the caller's position: "[string ...]:1: ".
  CHECK(s.eval("return time.civil(0, 'Mars/Olympus')")
            .find("]:1: luascale.time: unknown time zone 'Mars/Olympus'") != std::string::npos);
  CHECK(s.eval("return time.unix{year=2024, month=1, day=1, zone='Nowhere'}")
            .find("luascale.time: unknown time zone 'Nowhere'") != std::string::npos);
  CHECK(s.eval("return time.civil('soon')").find("time must be a number") != std::string::npos);
  CHECK(s.eval("return time.civil(0, 42)").find("zone must be a string") != std::string::npos);
  CHECK(s.eval("return time.unix{year=2024, day=1}")
            .find("luascale.time.unix: field 'month' missing") != std::string::npos);
  CHECK(s.eval("return time.unix(5)").find("table expected") != std::string::npos);
  CHECK(s.eval("return time.civil(1e15)").find("outside years 1..9999") != std::string::npos);
  CHECK(s.eval("return time.unix{year=2024, month=1, day=1e12}").find("out of range") !=
        std::string::npos);
  // An error inside pcall leaves the state usable.
  CHECK(s.eval("local ok = pcall(time.civil, 0, 'Bad/Zone'); return time.civil(0, 'UTC').year") ==
        "1970");
}
