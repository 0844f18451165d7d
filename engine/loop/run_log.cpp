// engine/loop/run_log.cpp — see run_log.hpp.
#include "engine/loop/run_log.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "engine/core/units.hpp"
#include "engine/core/value.hpp"
#include "engine/replay/trace.hpp"

namespace luascale {
namespace {

std::atomic<bool> g_log_json{true};

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void set_log_json(bool json) {
  g_log_json = json;
}

void log_event(const std::string& level, const std::string& policy, const char* event,
               const std::string& msg) {
  static std::mutex mu;
  std::string line;
  if (g_log_json) {
    Value o = Value::object();
    o.set("ts", format_timestamp(std::round(wall_now() * 1000) / 1000));
    o.set("level", level);
    o.set("event", event);
    if (!policy.empty()) o.set("policy", policy);
    o.set("msg", msg);
    line = to_json(o) + "\n";
  } else {
    line = format_timestamp(std::floor(wall_now())) + " " + level + " " + event;
    if (!policy.empty()) line += " policy=" + policy;
    line += " " + msg + "\n";
  }
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace luascale
