// string.format in the sandbox formats %d %i %s %f %g itself (std::to_chars) and hands every other
// format to Lua's own. Its text must be exactly what Lua's (C printf's) would be: checked here
// against snprintf for edge values (ties, denormals, huge, negative zero, integral floats,
// integer limits) and a few hundred random values, for every fast conversion.
#include <doctest/doctest.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/loop/policy_runtime.hpp"
#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"
#include "fixtures.hpp"

using namespace luascale;
using luascale::test::TempDir;

namespace {

Value run(const std::string& body, std::string* error = nullptr) {
  TempDir dir;
  auto path = dir.write("p.lua", body);
  PolicyLoadOptions o;
  o.name = "fmt";
  o.script_path = path.string();
  o.display_path = "p.lua";
  o.stdlib_dir = stdlib_dir();
  o.params = Value::object();
  std::string err;
  auto s = PolicyScript::load(o, &err);
  INFO(err);
  REQUIRE(s);
  SignalTable st;
  s->attach_signals(&st);
  TargetView tv;
  tv.replicas = 1;
  tv.ready = 1;
  EvalOutcome out = s->evaluate(1000, 15, tv);
  if (error) *error = out.error;
  return s->state();
}

// What Lua 5.4's string.format writes (C printf with the value as lua_Integer or double).
std::string expected(const std::string& fmt, double v, bool is_int, long long iv) {
  char buf[600];
  if (fmt == "%d" || fmt == "%i") {
    std::snprintf(buf, sizeof buf, "%lld", is_int ? iv : static_cast<long long>(v));
    return buf;
  }
  if (fmt == "%s" || fmt == "x=%s%%y") {
    std::string s;
    if (is_int) {
      std::snprintf(buf, sizeof buf, "%lld", iv);
      s = buf;
    } else {
      std::snprintf(buf, sizeof buf, "%.14g", v);
      s = buf;
      if (s.find_first_not_of("-0123456789") == std::string::npos) s += ".0";
    }
    return fmt == "%s" ? s : "x=" + s + "%y";
  }
  std::snprintf(buf, sizeof buf, fmt.c_str(), is_int ? static_cast<double>(iv) : v);
  return buf;
}

}  // namespace

TEST_CASE("string.format writes what C printf writes for every fast conversion") {
  std::string err;
  Value st = run(R"(
return { decide = function(ctx)
  local vals = { 0, -0.0, 0.5, 0.125, 0.375, 2.5, 1.005, 1/3, -1/3, 1e15, 1e16, 1e21, 123456789.125,
                 1e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 3.0, -7.0, 2^53, 2^53 + 1.0,
                 2^63, 42, -42, math.maxinteger, math.mininteger, 999999.5, 0.05, 9.995, 1e100 }
  math.randomseed(7)
  for _ = 1, 300 do vals[#vals + 1] = (math.random() - 0.5) * 10.0 ^ math.random(-12, 22) end
  for _ = 1, 50 do vals[#vals + 1] = math.random(-1000000, 1000000) end
  -- Around rounding ties of %.Nf: k/2 * 10^-N and its neighbours one ulp away.
  for _ = 1, 150 do
    local n = math.random(0, 9)
    local v = (math.random(0, 2000000) + 0.5) / 10.0 ^ n
    vals[#vals + 1] = v
    vals[#vals + 1] = -v
    vals[#vals + 1] = v * (1 + 2^-52)
    vals[#vals + 1] = v * (1 - 2^-53)
  end
  for _ = 1, 100 do vals[#vals + 1] = math.random(0, 2^52) / 2^math.random(0, 20) end
  local fmts = { "%d", "%i", "%s", "%f", "%.0f", "%.1f", "%.2f", "%.3f", "%.4f", "%.5f", "%.7f", "%.8f",
                 "%.9f", "%.10f", "%.20f", "%g", "%.0g",
                 "%.3g", "%.4g", "%.14g", "%.17g", "x=%s%%y" }
  local out = {}
  for _, v in ipairs(vals) do
    for _, f in ipairs(fmts) do
      local ok, r = pcall(string.format, f, v)
      out[#out + 1] = string.format("%a", v) .. "|" .. (math.type(v) == "integer" and string.format("%d", v) or "")
                      .. "|" .. f .. "|" .. (ok and r or "error")
    end
  end
  ctx.state.out = out
  return nil
end })", &err);
  INFO(err);
  const Value* out = st.find("out");
  REQUIRE(out);
  REQUIRE(out->is_array());
  CHECK(out->as_array().size() > 20000);
  int checked = 0;
  for (const Value& row : out->as_array()) {
    std::vector<std::string> r;
    std::string line = row.as_string();
    for (std::size_t p = 0, q; r.size() < 3; p = q + 1) {
      q = line.find('|', p);
      r.push_back(line.substr(p, q - p));
      if (r.size() == 3) r.push_back(line.substr(q + 1));
    }
    const double v = std::strtod(r[0].c_str(), nullptr);
    const bool is_int = !r[1].empty();
    const long long iv = is_int ? std::strtoll(r[1].c_str(), nullptr, 10) : 0;
    const std::string& fmt = r[2];
    const std::string& got = r[3];
    if ((fmt == "%d" || fmt == "%i") && !is_int && (v != std::floor(v) || std::fabs(v) >= 9.2e18)) {
      CHECK(got == "error");  // Lua's own error: no integer representation
      continue;
    }
    INFO(fmt << " of " << r[0]);
    CHECK(got == expected(fmt, v, is_int, iv));
    ++checked;
  }
  CHECK(checked > 17000);
}

TEST_CASE("string.format hands other conversions and arguments to Lua's own") {
  std::string err;
  Value st = run(R"(
local t = setmetatable({}, { __tostring = function() return "T!" end })
return { decide = function(ctx)
  ctx.state.a = string.format("%5d|%-5s|%05.1f|%x|%q|%c|%e|%s|%s|%s", 42, "ab", 3.14159, 255, "q\n", 65, 12345.678, true, nil, t)
  ctx.state.b = ("%d items, %.2f%%"):format(3, 99.5)
  ctx.state.c = string.format("%s and %s", "x\0y", 1.5)
  ctx.state.d = string.format("%.3f %g %s", 1/0, -1/0, 0/0 ~= 0/0 and "nan-ok")
  ctx.state.e = select(2, pcall(string.format, "%d", 1.5))
  ctx.state.f = select(2, pcall(string.format, "%d"))
  ctx.state.g = string.format("no conversions")
  ctx.state.h = string.format("%s", "10") .. string.format("%d", "10")
  ctx.state.i = string.format("%s|%d|%s|%.3f%%", ("a"):rep(700), 5, ("b"):rep(700), 1.5)
  -- A conversion the library must do after the output has spilled into a Lua buffer.
  ctx.state.j = string.format("%s|%s|%x|%s", ("a"):rep(700), ("b"):rep(700), 255, "end")
  return nil
end })", &err);
  CHECK(err.empty());
  CHECK(st.find("a")->as_string() == "   42|ab   |003.1|ff|\"q\\\n\"|A|1.234568e+04|true|nil|T!");
  CHECK(st.find("b")->as_string() == "3 items, 99.50%");
  CHECK(st.find("c")->as_string() == std::string("x\0y and 1.5", 11));
  CHECK(st.find("d")->as_string() == "inf -inf nan-ok");
  CHECK(st.find("e")->as_string().find("number has no integer representation") != std::string::npos);
  INFO(st.find("f")->as_string());
  CHECK(st.find("f")->as_string().find("bad argument #2") != std::string::npos);
  CHECK(st.find("f")->as_string().find("(no value)") != std::string::npos);
  CHECK(st.find("g")->as_string() == "no conversions");
  CHECK(st.find("h")->as_string() == "1010");
  // Longer than the local output buffer: the rest goes through a Lua buffer.
  CHECK(st.find("i")->as_string() == std::string(700, 'a') + "|5|" + std::string(700, 'b') + "|1.500%");
  CHECK(st.find("j")->as_string() == std::string(700, 'a') + "|" + std::string(700, 'b') + "|ff|end");
}
