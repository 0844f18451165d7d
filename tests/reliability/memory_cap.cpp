// The memory cap bounds what the process really holds. A policy fills and frees about 14 MiB of
// strings in 15 sizes, with the instruction budget and deadline raised so only memory binds;
// each run is a child process whose peak RSS (getrusage) is compared with a child that evaluates
// a trivial policy. The growth must stay within the cap plus kOverheadMiB (the C library's
// fragmentation and the evaluation's own bookkeeping outside the Lua heap).
//
// Built without sanitizers (their allocators hold freed memory in quarantine), so the figure is
// the C library's, as in a release build:  memory_cap [CAP_MIB...]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/lua/policy_script.hpp"
#include "engine/signals/history.hpp"

using namespace luascale;

namespace {

constexpr long kOverheadMiB = 8;

const char* const kTrivial = "return { decide = function(ctx) return { replicas = 1 } end }\n";
const char* const kFillAndFree = R"(return { decide = function(ctx)
  for c = 2, 16 do
    local t = {}
    for i = 1, (14 * 2^20) // (16 * c) do t[i] = ("x"):rep(16 * c - 32) .. ("%07d"):format(i) end
    t = nil
    collectgarbage()
  end
  return { replicas = 1, reason = string.format("%.0f KiB live", collectgarbage("count")) }
end }
)";

struct Child {
  long peak_kib = 0;
  int status = -1;  // 0 decided, 1 the evaluation failed, 2 the policy did not load
};

// Loads `script` with the given cap (MiB) and evaluates it once, in a child process.
Child run_child(const std::string& script, long cap_mib) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    PolicyLoadOptions o;
    o.name = "fill";
    o.script_path = script;
    o.stdlib_dir = std::string(LUASCALE_SOURCE_DIR) + "/policies/lib";
    o.params = Value::object();
    o.limits.instructions = 100'000'000'000;
    o.limits.timeout_seconds = 600;
    o.limits.memory_bytes = static_cast<std::size_t>(cap_mib) << 20;
    std::string err;
    auto s = PolicyScript::load(o, &err);
    if (!s) {
      std::fprintf(stderr, "%s\n", err.c_str());
      _exit(2);
    }
    SignalTable signals;
    s->attach_signals(&signals);
    TargetView t;
    t.replicas = t.ready = 1;
    EvalOutcome out = s->evaluate(1700000000, 15, t);
    if (out.status == EvalOutcome::Status::Error)
      std::printf("  %s\n", out.error.c_str());
    else if (!out.reason.empty())
      std::printf("  decided: %s\n", out.reason.c_str());
    std::fflush(stdout);
    _exit(out.status == EvalOutcome::Status::Decision ? 0 : 1);
  }
  Child c;
  int st = 0;
  rusage ru{};
  if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st)) return c;
  c.peak_kib = ru.ru_maxrss;
  c.status = WEXITSTATUS(st);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<long> caps;
  for (int i = 1; i < argc; ++i) caps.push_back(std::atol(argv[i]));
  if (caps.empty()) caps = {32, 64};
  const auto dir =
      std::filesystem::temp_directory_path() / ("luascale-memcap-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "trivial.lua") << kTrivial;
  std::ofstream(dir / "fill.lua") << kFillAndFree;

  bool ok = true;
  for (long cap : caps) {
    std::printf("cap %ld MiB:\n", cap);
    const Child base = run_child((dir / "trivial.lua").string(), cap);
    const Child fill = run_child((dir / "fill.lua").string(), cap);
    if (base.status != 0 || (fill.status != 0 && fill.status != 1)) {
      std::printf("  a child failed (trivial %d, fill-and-free %d)\n", base.status, fill.status);
      ok = false;
      continue;
    }
    const long growth = fill.peak_kib - base.peak_kib;
    const long bound = (cap + kOverheadMiB) * 1024;
    std::printf(
        "  peak RSS: trivial %ld KiB, fill-and-free %ld KiB (%s): growth %ld KiB, bound %ld KiB"
        " (cap + %ld MiB) -> %s\n",
        base.peak_kib, fill.peak_kib, fill.status == 0 ? "decided" : "stopped by the cap", growth,
        bound, kOverheadMiB, growth <= bound ? "ok" : "OVER");
    ok = ok && growth <= bound;
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}
