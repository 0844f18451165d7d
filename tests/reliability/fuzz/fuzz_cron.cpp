// fuzz target: the Lua cron parser (policies/lib/luascale/cron.lua) inside the real policy sandbox
// (engine/lua/policy_script.cpp). The input is the expression; a policy calls cron.parse on it
// under pcall and, when it parses, cron.matches at the current time in UTC. Contract: parse
// either succeeds or raises a message naming cron (never a Lua runtime error such as indexing
// nil), matches never fails on a parsed spec, and the evaluation stays inside the sandbox's
// budget (an instruction/time/memory limit hit is a finding: parsing must be cheap).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "engine/lua/policy_script.hpp"

namespace {

std::unique_ptr<luascale::PolicyScript> g_script;

const char* kPolicy = R"(local cron = require "luascale.cron"
return { decide = function(ctx)
  local ok, spec = pcall(cron.parse, ctx.state.expr)
  if not ok then
    if type(spec) == "string" and spec:find("cron", 1, true) then return { replicas = 0, reason = spec } end
    return { replicas = 2, reason = "parse raised: " .. tostring(spec) }
  end
  local ok2, m = pcall(cron.matches, spec, ctx.now, "UTC")
  if not ok2 then return { replicas = 3, reason = "matches raised: " .. tostring(m) } end
  return { replicas = 1, reason = "parsed" }
end }
)";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/luascale-fuzz-cron-XXXXXX";
  if (!::mkdtemp(dir)) std::abort();
  std::string path = std::string(dir) + "/cron_fuzz.lua";
  std::ofstream(path) << kPolicy;
  luascale::PolicyLoadOptions o;
  o.name = "cron-fuzz";
  o.script_path = path;
  o.display_path = "cron_fuzz.lua";
  o.stdlib_dir = LUASCALE_SOURCE_DIR "/policies/lib";
  std::string error;
  g_script = luascale::PolicyScript::load(o, &error);
  std::remove(path.c_str());
  ::rmdir(dir);
  if (!g_script) {
    std::fprintf(stderr, "cannot load the cron fuzz policy: %s\n", error.c_str());
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  luascale::Value state = luascale::Value::object();
  state.set("expr", std::string(reinterpret_cast<const char*>(data), size));
  std::string error;
  if (!g_script->set_state(state, &error)) return 0;
  luascale::TargetView target;
  target.name = "t";
  target.replicas = 1;
  auto out = g_script->evaluate(1700000000, 60, target);
  if (out.status != luascale::EvalOutcome::Status::Decision || !out.replicas || *out.replicas > 1) {
    std::fprintf(stderr, "cron finding: status %d replicas %lld: %s%s\n",
                 static_cast<int>(out.status), static_cast<long long>(out.replicas.value_or(-1)),
                 out.reason.c_str(), out.error.c_str());
    __builtin_trap();
  }
  return 0;
}
