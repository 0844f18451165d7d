// engine/testing/test_file.cpp — see test_file.hpp.
#include "engine/testing/test_file.hpp"

#include <lua.hpp>

#include <algorithm>
#include <cstdint>

#include "engine/lua/lua_value.hpp"

namespace luascale::testing {
namespace {

constexpr std::int64_t kTestFileInstructions = 200'000'000;

struct HookBudget {
  std::int64_t remaining = kTestFileInstructions;
};

void test_file_hook(lua_State* L, lua_Debug*) {
  auto* b = *static_cast<HookBudget**>(lua_getextraspace(L));
  b->remaining -= 10000;
  if (b->remaining < 0) luaL_error(L, "test file exceeded its instruction budget");
}

// Opens the restricted libraries; runs under lua_pcall.
int open_test_env(lua_State* L) {
  luaL_requiref(L, "_G", luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
  lua_settop(L, 0);
  for (const char* g : {"dofile", "loadfile", "load", "require", "collectgarbage", "print"}) {
    lua_pushnil(L);
    lua_setglobal(L, g);
  }
  lua_getglobal(L, "os");
  lua_newtable(L);
  for (const char* f : {"time", "date", "difftime"}) {
    lua_getfield(L, -2, f);
    lua_setfield(L, -2, f);
  }
  lua_setglobal(L, "os");
  lua_pop(L, 1);
  lua_getglobal(L, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  lua_pop(L, 1);
  return 0;
}

}  // namespace

bool load_test_file(const std::string& shown, const std::string& source, Value* out,
                    std::string* error) {
  lua_State* L = luaL_newstate();
  if (!L) {
    *error = "cannot create a Lua state";
    return false;
  }
  HookBudget budget;
  *static_cast<HookBudget**>(lua_getextraspace(L)) = &budget;
  bool ok = false;
  lua_pushcfunction(L, open_test_env);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    *error = lua_tostring(L, -1) ? lua_tostring(L, -1) : "cannot open libraries";
  } else {
    lua_sethook(L, test_file_hook, LUA_MASKCOUNT, 10000);
    const std::string chunk = "@" + shown;
    if (luaL_loadbufferx(L, source.data(), source.size(), chunk.c_str(), "t") != LUA_OK ||
        lua_pcall(L, 0, 1, 0) != LUA_OK) {
      *error = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error loading the file";
    } else if (!lua_istable(L, -1)) {
      *error = shown + ": the test file must return a table {policy=..., cases={...}}";
    } else if (lua_getfield(L, -1, "decide") == LUA_TFUNCTION) {
      // A policy given where a test file was expected: say what a test file is.
      *error = shown +
               " is a policy (it returns decide), not a test file. A test file, named "
               "*_test.lua, returns data: {policy = \"" +
               shown.substr(shown.find_last_of('/') + 1) +
               "\", cases = {{name = ..., signals = {...}, expect = {replicas = N}}}}; "
               "`luascale test FOLDER` runs every *_test.lua in it (format: policies/README.md)";
    } else {
      lua_pop(L, 1);
      lua_sethook(L, nullptr, 0, 0);
      LuaToValueOptions data;
      data.allow_non_finite = true;
      data.empty_table_is_array = true;
      ok = lua_to_value(L, -1, *out, "test", error, data);
    }
  }
  lua_close(L);
  return ok;
}

// The 1-based line where `name` first appears quoted in the source (1 when not found).
int line_of(const std::string& source, const std::string& name) {
  for (const char q : {'"', '\''}) {
    const std::string needle = q + name + q;
    std::size_t pos = source.find(needle);
    if (pos != std::string::npos)
      return 1 + static_cast<int>(
                     std::count(source.begin(), source.begin() + static_cast<long>(pos), '\n'));
  }
  return 1;
}

}  // namespace luascale::testing
