// engine/lua/builtin_time.hpp — the `luascale.time` Lua module: civil time in IANA zones
// (tzdb via Howard Hinnant date/tz), for cron matching and schedules inside policies.
#pragma once

#include <lua.hpp>

// Pushes the module table { civil = fn, unix = fn } and returns 1 (a lua_CFunction, usable as a
// `require` loader).
//   time.civil(unix_seconds, zone?) -> { year, month, day, hour, min, sec, wday (1 = Sunday),
//       yday (1 = Jan 1), isdst (boolean), offset (seconds east of UTC), abbrev }
//   time.unix{ year=, month=, day=, hour=0, min=0, sec=0, zone=nil } -> unix seconds (integer)
//       Out-of-range fields normalise (month 13 = January of the next year). A local time inside
//       a DST gap moves forward by the gap; an ambiguous one resolves to the earlier instant.
// zone: an IANA name ("Europe/Berlin"), "UTC", or nil for UTC. An unknown zone raises a Lua error.
// Times are limited to years 1..9999.
int luascale_open_time(lua_State* L);
