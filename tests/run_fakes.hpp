// tests/run_fakes.hpp — in-process fakes for tests of the `luascale run` loop (unit-runner,
// unit-run-*): a "fake" source (a value by key, or failing, or never answering) and a "fake"
// actuator (a count in memory, optionally one per named target), their knobs, a config
// builder, and helpers that run the io_context until a condition and fetch over HTTP.
#pragma once

#include <utility>

#include <doctest/doctest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/loop/runner.hpp"
#include "engine/state/state_file.hpp"
#include "fixtures.hpp"

namespace luascale::test {

// Shared knobs of the fakes (tests run one at a time within a binary).
struct Fakes {
  std::map<std::string, double> values;         // signal value by "value" option
  bool hang = false;                            // sources never answer
  std::int64_t replicas = 3;                    // the count of the unnamed target
  std::map<std::string, std::int64_t> targets;  // counts of targets with a "name"
  int applies = 0;
  std::int64_t last_applied = -1;
  double apply_delay = 0;  // seconds before apply answers
  bool fail_apply = false;
  bool fail_read = false;
  std::size_t last_plan_size = 0;
};
inline Fakes g;

inline void reset() {
  g = Fakes{};
}

class FakeSource : public Source {
 public:
  FakeSource(boost::asio::io_context& io, std::string key) : io_(io), key_(std::move(key)) {}
  void fetch(std::function<void(SampleOutcome)> done) override {
    if (g.hang) {
      held_.push_back(std::move(done));  // never called: the engine's timeout must fire
      return;
    }
    SampleOutcome out;
    auto it = g.values.find(key_);
    if (it == g.values.end())
      out.error = "no value for " + key_;
    else
      out.sample = Sample{Value(it->second), 0};
    boost::asio::post(io_, [done = std::move(done), out = std::move(out)] { done(out); });
  }

 private:
  boost::asio::io_context& io_;
  std::string key_;
  std::vector<std::function<void(SampleOutcome)>> held_;
};

class FakeActuator : public Actuator {
 public:
  FakeActuator(boost::asio::io_context& io, std::string name) : io_(io), name_(std::move(name)) {}
  std::int64_t& count() { return name_.empty() ? g.replicas : g.targets[name_]; }
  void read(std::function<void(ReadOutcome)> done) override {
    ReadOutcome r;
    if (g.fail_read)
      r.error = "injected read failure";
    else
      r.state = TargetState{count(), count(), std::nullopt, std::nullopt};
    boost::asio::post(io_, [done = std::move(done), r] { done(r); });
  }
  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override {
    g.last_plan_size = info.plan.size();
    auto t = std::make_shared<boost::asio::steady_timer>(
        io_, std::chrono::milliseconds(static_cast<long>(g.apply_delay * 1000)));
    t->async_wait([this, t, desired, done = std::move(done)](boost::system::error_code) {
      ApplyOutcome o;
      if (g.fail_apply) {
        o.error = "injected failure";
      } else {
        ++g.applies;
        g.last_applied = desired;
        count() = desired;
        o.ok = true;
        o.applied = desired;
      }
      done(o);
    });
  }

 private:
  boost::asio::io_context& io_;
  std::string name_;
};

// "fake" source: {"value": KEY} reads g.values[KEY]; with {"password_file": F} the key is F's
// content instead (read when the source is made, as secrets are).
inline const std::vector<SourceFactory>& fake_sources() {
  static std::vector<SourceFactory> v = {
      {"fake",
       {{"value", "string", false, "which value to return"},
        {"password_file", "string", false, "a file whose content names the value"}},
       [](AdapterContext& ctx, const SignalSpec& spec) -> std::unique_ptr<Source> {
         std::string key;
         if (const Value* f = spec.options.find("password_file")) {
           std::ifstream in(std::filesystem::path(ctx.config_dir) / f->as_string());
           std::getline(in, key);
         } else {
           key = spec.options.find("value")->as_string();
         }
         return std::make_unique<FakeSource>(ctx.io, key);
       }}};
  return v;
}
// "fake" actuator: the count g.replicas, or g.targets[NAME] with {"name": NAME}.
inline const std::vector<ActuatorFactory>& fake_actuators() {
  static std::vector<ActuatorFactory> v = {
      {"fake",
       {{"name", "string", false, "a target of its own"}},
       [](AdapterContext& ctx, const std::string&, const Value& t) -> std::unique_ptr<Actuator> {
         const Value* n = t.find("name");
         return std::make_unique<FakeActuator>(ctx.io, n ? n->as_string() : "");
       }}};
  return v;
}

inline const char* kPolicy = R"(return { decide = function(ctx)
  local q = ctx:signal("queue")
  ctx.state.ticks = (ctx.state.ticks or 0) + 1
  if q == nil then return nil end
  if q < 0 then error("negative queue") end
  return { replicas = math.ceil(q / 10), reason = "queue " .. q }
end })";

inline std::string config(const std::string& extra = "", const std::string& interval = "1s") {
  return R"({"policies": [{"name": "work", "script": "p.lua", "interval": ")" + interval +
         R"(", "minReplicas": 1, "maxReplicas": 50,
    "target": {"kind": "fake"},
    "signals": {"queue": {"source": "fake", "value": "q", "timeout": "300ms"}})" +
         extra + R"(}],
    "state_file": "state.json"})";
}

// Runs the io_context until pred() or the deadline.
inline bool run_until(boost::asio::io_context& io, std::function<bool()> pred, double seconds) {
  auto end = std::chrono::steady_clock::now() +
             std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  while (std::chrono::steady_clock::now() < end) {
    io.run_for(std::chrono::milliseconds(20));
    if (pred()) return true;
    if (io.stopped()) io.restart();
  }
  return pred();
}

// A Runner on a virtual clock whose ticks start only when tick() says (RunOptions::manual_ticks):
// construct it, start() it, then tick(t) runs one tick of every policy at virtual time t.
struct VirtualRun {
  boost::asio::io_context io;
  double now;
  int ticks = 0;
  double tick_timeout;  // seconds of real time a tick may take
  std::unique_ptr<Runner> runner;

  VirtualRun(RunOptions ro, const std::vector<SourceFactory>& sources,
             const std::vector<ActuatorFactory>& actuators, double t0, double tick_timeout_seconds)
      : now(t0), tick_timeout(tick_timeout_seconds) {
    ro.reload_poll_seconds = 0;
    ro.log_json = false;
    ro.manual_ticks = true;
    ro.clock = [this] { return now; };
    ro.on_tick = [this](const std::string&, const TickRecord&) { ++ticks; };
    runner = std::make_unique<Runner>(io, ro, sources, actuators);
  }
  bool start(std::string* err) { return runner->start(err); }
  void tick(double t) {
    now = t;
    const int before = ticks;
    runner->tick_all();
    REQUIRE(run_until(
        io, [&] { return ticks > before; }, tick_timeout));
  }
  ~VirtualRun() {
    runner->stop();
    run_until(
        io, [] { return false; }, 0.3);
    runner.reset();
  }
};

inline std::string http_get(const std::string& addr, const std::string& path,
                            const std::string& auth = "") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  auto colon = addr.rfind(':');
  s.connect({boost::asio::ip::make_address(addr.substr(0, colon)),
             static_cast<unsigned short>(std::stoi(addr.substr(colon + 1)))});
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  if (!auth.empty()) req += "Authorization: " + auth + "\r\n";
  req += "\r\n";
  boost::asio::write(s, boost::asio::buffer(req));
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  for (;;) {
    std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

// The HTTP client runs on its own thread while the runner's io_context keeps serving.
inline std::string serve_get(boost::asio::io_context& io, const std::string& addr,
                             const std::string& path, const std::string& auth = "") {
  std::string out;
  std::atomic<bool> done{false};
  std::thread t([&] {
    out = http_get(addr, path, auth);
    done = true;
  });
  run_until(
      io, [&] { return done.load(); }, 5);
  t.join();
  return out;
}

// Run options for a config in `dir` (c.json), without the HTTP server.
inline RunOptions run_options(const TempDir& dir) {
  RunOptions ro;
  ro.config_path = (dir.path() / "c.json").string();
  ro.listen = "off";
  return ro;
}

// The state file's entry of one policy (null when none).
inline Value saved_policy(const TempDir& dir, const std::string& name,
                          const std::string& file = "state.json") {
  Value saved;
  std::string err;
  if (!load_state_file((dir.path() / file).string(), saved, &err)) return Value();
  const Value* p = saved.find(name);
  return p ? *p : Value();
}

}  // namespace luascale::test
