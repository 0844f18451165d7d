// engine/lua/sandbox.cpp — see sandbox.hpp.
#include "engine/lua/sandbox.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/lua/budget.hpp"
#include "engine/lua/builtin_time.hpp"
#include "engine/lua/host.hpp"
#include "engine/lua/library_guards.hpp"

namespace luascale {
namespace {

const char* const kSafeKey = "luascale.safe";      // the safe globals, per state
const char* const kChunksKey = "luascale.chunks";  // compiled chunks by name + source, per state

const char* const kAllowedBase[] = {
    "assert",       "error",    "ipairs",   "next",   "pairs",  "pcall",
    "rawequal",     "rawget",   "rawlen",   "rawset", "select", "setmetatable",
    "getmetatable", "tonumber", "tostring", "type",   "xpcall", "_VERSION"};

// Names a policy might reach for that the sandbox deliberately leaves out.
const char* const kRemovedGlobals[] = {"io",         "debug",  "package", "dofile",  "loadfile",
                                       "loadstring", "module", "setfenv", "getfenv", "unpack"};

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
  const int real = lua_gettop(L);
  lua_newtable(L);           // proxy
  lua_createtable(L, 0, 4);  // its metatable
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

// The library function a wrapper replaces (its upvalue 1), run in the wrapper's frame.
inline int call_library(lua_State* L) {
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

}  // namespace

// The arguments are converted (and may raise) whether or not lines are kept, so a replay that
// keeps none decides exactly as `run` does.
int log_line(lua_State* L, int first, char sep) {
  PolicyScript::Impl* h = impl_of(L);
  const int n = lua_gettop(L);
  for (int i = first; i <= n; ++i) luaL_tolstring(L, i, nullptr);  // may run __tostring; may raise
  if (!h->logs || h->logs->size() >= kMaxLogLines) return 0;
  try {
    std::string line;
    for (int i = first; i <= n; ++i) {
      std::size_t len;
      const char* s = lua_tolstring(L, n + i - first + 1, &len);
      if (i > first) line += sep;
      line.append(s, len);
    }
    if (line.size() > kMaxLogLine) line.resize(kMaxLogLine);
    h->logs->push_back(std::move(line));
  } catch (...) {
  }
  return 0;
}

namespace {

int l_print(lua_State* L) {
  return log_line(L, 1, '\t');
}

int l_collectgarbage(lua_State* L) {
  const char* opt = luaL_optstring(L, 1, "collect");
  if (std::strcmp(opt, "count") == 0) {
    const int kb = lua_gc(L, LUA_GCCOUNT);
    const int b = lua_gc(L, LUA_GCCOUNTB);
    lua_pushnumber(L, kb + b / 1024.0);
    return 1;
  }
  if (std::strcmp(opt, "collect") == 0 || std::strcmp(opt, "step") == 0) {
    // In a state shared by many policies a full collection would walk all of them: one step.
    if ((*static_cast<LuaHost**>(lua_getextraspace(L)))->users > 1)
      lua_gc(L, LUA_GCSTEP, 0);
    else
      lua_gc(L, LUA_GCCOLLECT);
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

// load(chunk [, name [, mode [, env]]]): text chunks only; a missing or nil env is the policy's.
int l_load(lua_State* L) {
  PolicyScript::Impl* h = impl_of(L);
  lua_settop(L, 4);
  const char* mode = luaL_optstring(L, 3, "t");
  if (std::strchr(mode, 'b'))
    return luaL_error(L, "binary chunks are not allowed in the policy sandbox");
  lua_pushliteral(L, "t");
  lua_replace(L, 3);
  if (lua_isnil(L, 4)) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, h->env_ref);
    lua_replace(L, 4);
  }
  return call_library(L);
}

// os.time() and os.date(fmt) read the engine's clock (virtual in replay).
lua_Integer engine_now(lua_State* L) {
  return static_cast<lua_Integer>(std::floor(impl_of(L)->now));
}

int l_os_time(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_pushinteger(L, engine_now(L));
    return 1;
  }
  return call_library(L);
}

int l_os_date(lua_State* L) {
  if (lua_isnoneornil(L, 2)) {
    lua_settop(L, 2);
    lua_pushinteger(L, engine_now(L));
    lua_replace(L, 2);
  }
  return call_library(L);
}

// Reads a module file into h->file_buf; never raises. False + h->errbuf on failure.
bool read_module_file(PolicyScript::Impl* h, const char* name) noexcept {
  try {
    const std::string mod = name;
    bool allowed = !mod.empty() && mod.front() != '.' && mod.back() != '.' &&
                   mod.find("..") == std::string::npos;
    for (char c : mod)
      allowed = allowed &&
                (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!allowed) {
      std::snprintf(h->errbuf, sizeof h->errbuf,
                    "require '%s': not allowed (only luascale.* stdlib modules and files in the "
                    "policy's folder)",
                    name);
      return false;
    }
    std::string rel = mod;
    for (char& c : rel)
      if (c == '.') c = '/';
    const std::filesystem::path file = mod.rfind("luascale.", 0) == 0
                                           ? std::filesystem::path(h->stdlib_dir) / (rel + ".lua")
                                           : std::filesystem::path(h->script_dir) / (rel + ".lua");
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::snprintf(h->errbuf, sizeof h->errbuf,
                    "module '%s' not found (only the luascale stdlib and the policy's own folder "
                    "can be required)",
                    name);
      return false;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    h->file_buf = ss.str();
    std::error_code ec;
    const auto shown = std::filesystem::relative(file, std::filesystem::current_path(), ec);
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
  PolicyScript::Impl* h = impl_of(L);
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
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
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

// Replaces table[field] by `wrapper` holding the library function as its upvalue 1.
void wrap_field(lua_State* L, int table, const char* source_table, const char* field,
                lua_CFunction wrapper) {
  lua_getglobal(L, source_table);
  lua_getfield(L, -1, field);
  lua_pushcclosure(L, wrapper, 1);
  lua_setfield(L, table, field);
  lua_pop(L, 1);
}

// Pushes a copy of the global library table `lib`.
void push_library_copy(lua_State* L, const char* lib) {
  lua_newtable(L);
  lua_getglobal(L, lib);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -5);
  }
  lua_pop(L, 1);
}

}  // namespace

int setup_sandbox(lua_State* L) {
  luaL_requiref(L, "_G", luaopen_base, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
  lua_settop(L, 0);

  lua_newtable(L);  // 1: the safe globals
  for (const char* n : kAllowedBase) {
    lua_getglobal(L, n);
    lua_setfield(L, 1, n);
  }
  guard_base_library(L, 1);
  wrap_field(L, 1, "_G", "load", l_load);
  lua_pushcfunction(L, l_print);
  lua_setfield(L, 1, "print");
  lua_pushcfunction(L, l_collectgarbage);
  lua_setfield(L, 1, "collectgarbage");
  lua_pushcfunction(L, l_require);
  lua_setfield(L, 1, "require");
  for (const char* f : {"dofile", "loadfile"}) add_denied(L, 1, f, f);

  // string, without dump; strings index the same read-only table, their metatable hidden.
  push_library_copy(L, "string");
  add_denied(L, lua_gettop(L), "dump", "string.dump");
  guard_string_library(L, lua_gettop(L));
  make_readonly_proxy(L, "string");
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  lua_setfield(L, 1, "string");

  lua_getglobal(L, "table");
  guard_table_library(L, lua_gettop(L));
  lua_pop(L, 1);
  for (const char* lib : {"table", "math", "utf8", "coroutine"}) {
    lua_getglobal(L, lib);
    make_readonly_proxy(L, lib);
    lua_setfield(L, 1, lib);
  }

  // os: time/clock/date/difftime, time and date on the engine's clock; the rest denied by name.
  lua_newtable(L);
  const int os = lua_gettop(L);
  wrap_field(L, os, "os", "time", l_os_time);
  wrap_field(L, os, "os", "date", l_os_date);
  lua_getglobal(L, "os");
  lua_getfield(L, -1, "clock");
  lua_setfield(L, os, "clock");
  lua_getfield(L, -1, "difftime");
  lua_setfield(L, os, "difftime");
  lua_pop(L, 1);
  static const char* const denied_os[][2] = {{"execute", "os.execute"},    {"exit", "os.exit"},
                                             {"remove", "os.remove"},      {"rename", "os.rename"},
                                             {"tmpname", "os.tmpname"},    {"getenv", "os.getenv"},
                                             {"setlocale", "os.setlocale"}};
  for (const auto& d : denied_os) add_denied(L, os, d[0], d[1]);
  make_readonly_proxy(L, "os");
  lua_setfield(L, 1, "os");

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

void push_new_env(lua_State* L) {
  // The environment holds the safe globals itself (reading `math` is one table lookup, as in
  // stock Lua); other reads fall through to the safe table's undeclared-global error.
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
  if (luaL_loadbufferx(L, source.data(), source.size(), chunkname.c_str(), "t") != LUA_OK)
    lua_error(L);
  lua_pushvalue(L, -2);
  lua_pushvalue(L, -2);
  lua_rawset(L, -5);  // chunks[key] = f
  lua_replace(L, -3);
  lua_pop(L, 1);
}

void bind_env(lua_State* L, int f) {
  // The upvalue is replaced by a new one (taken from an empty chunk), not assigned.
  f = lua_absindex(L, f);
  if (luaL_loadbufferx(L, "", 0, "=env", "t") != LUA_OK) lua_error(L);
  lua_insert(L, -2);
  lua_setupvalue(L, -2, 1);
  lua_upvaluejoin(L, f, 1, -1, 1);
  lua_pop(L, 1);
}

}  // namespace luascale
