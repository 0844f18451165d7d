// engine/loop/runner.cpp — the live evaluation loop behind `luascale run`: building the policies'
// tasks from the config, reloads, the state file, signals and stopping.
#include "engine/loop/runner.hpp"

#include <sys/stat.h>

#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <filesystem>
#include <fstream>

#include "common/files/file_replace.hpp"
#include "engine/config/run_validation.hpp"
#include "engine/core/units.hpp"
#include "engine/loop/run_log.hpp"
#include "engine/loop/runner_impl.hpp"
#include "engine/state/state_file.hpp"

namespace luascale {

namespace asio = boost::asio;

namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What tells a changed file from the one read: modification time, inode (a file replaced by a
// rename, a Kubernetes secret volume's swapped link) and size; "" when it cannot be read.
std::string file_signature(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
         std::to_string(st.st_ino) + "/" + std::to_string(st.st_size);
}

// The files an adapter's options name (keys ending in "_file": passwords, tokens, TLS keys and
// certificates; "kubeconfig"), resolved as adapters resolve them (against the config folder).
void add_named_files(const Value& options, const std::string& dir, std::vector<std::string>& out) {
  if (!options.is_object()) return;
  for (const auto& [key, v] : options.as_object()) {
    const bool names_file =
        key == "kubeconfig" || (key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0);
    if (!names_file || !v.is_string() || v.as_string().empty()) continue;
    std::filesystem::path p(v.as_string());
    out.push_back((p.is_absolute() || dir.empty() ? p : std::filesystem::path(dir) / p)
                      .lexically_normal()
                      .string());
  }
}

}  // namespace

Runner::Impl::Impl(asio::io_context& i, RunOptions o, const std::vector<SourceFactory>& s,
                   const std::vector<ActuatorFactory>& a)
    : io(i),
      control(asio::make_strand(i)),
      opts(std::move(o)),
      source_factories(s),
      actuator_factories(a),
      actx{i, ""},
      started_at(wall_now()),
      shadow_writer(opts.shadow_log_max_bytes) {}

double Runner::Impl::now() const {
  return opts.clock ? opts.clock() : wall_now();
}

std::vector<std::shared_ptr<PolicyTask>> Runner::Impl::build(const Config& cfg,
                                                             std::vector<std::string>& problems) {
  std::vector<std::shared_ptr<PolicyTask>> out;
  // What `check` reports too, with the same messages (run refuses what check only notes).
  RunValidation v = validate_for_run(cfg, source_factories, actuator_factories,
                                     RunSettings{opts.listen, opts.state_file, false});
  problems.insert(problems.end(), v.problems.begin(), v.problems.end());
  problems.insert(problems.end(), v.run_only.begin(), v.run_only.end());
  if (!v.run_only.empty()) return out;
  actx.config_dir = cfg.dir;
  for (const auto& pc : cfg.policies) {
    std::string err;
    auto rt = PolicyRuntime::create(pc, &err, &lua_states);
    if (!rt) {
      problems.push_back(err);
      continue;
    }
    auto task = std::make_shared<PolicyTask>(*this, io, pc, std::move(rt));
    const std::string where = cfg.path + ": " + pc.key_path;
    if (pc.shadow) {
      // The demand its log records: the replay's demand signal when the policy has it (so the
      // report plots what a replay of the same config would), else its first signal.
      for (const auto& sc : pc.signals)
        if (sc.name == cfg.replay.model.demand_column) task->shadow_demand = sc.name;
      if (task->shadow_demand.empty() && !pc.signals.empty())
        task->shadow_demand = pc.signals.front().name;
    }
    const ActuatorFactory* af = nullptr;
    for (const auto& f : actuator_factories)
      if (pc.target.kind == f.kind) af = &f;
    if (pc.target.kind.empty()) {
      problems.push_back(where +
                         ".target.kind: required by run (the actuator: e.g. \"kubernetes\", "
                         "\"aws-asg\", \"file\", \"log\")");
    } else if (!af) {
      problems.push_back(where + ".target.kind: unknown target kind '" + pc.target.kind + "'");
    } else {
      try {
        auto actuator = af->make(actx, pc.name, pc.target.options);
        if (!actuator) problems.push_back(where + ".target: the actuator could not be created");
        task->set_actuator(std::move(actuator));
      } catch (const std::exception& e) {
        problems.push_back(adapter_problem(cfg, pc.key_path + ".target", e));
      }
    }
    for (const auto& sc : pc.signals) {
      const std::string sp = where + ".signals." + sc.name;
      const SourceFactory* sf = nullptr;
      for (const auto& f : source_factories)
        if (sc.source == f.name) sf = &f;
      if (sc.source.empty()) {
        problems.push_back(sp +
                           ".source: required by run (where the signal comes from, e.g. "
                           "\"prometheus\", \"redis\")");
        continue;
      }
      if (!sf) {
        problems.push_back(sp + ".source: unknown source '" + sc.source + "'");
        continue;
      }
      std::unique_ptr<Source> source;
      try {
        source = sf->make(actx, SignalSpec{sc.name, sc.source, sc.options, sc.timeout_seconds});
      } catch (const std::exception& e) {
        problems.push_back(adapter_problem(cfg, pc.key_path + ".signals." + sc.name, e));
        continue;
      }
      if (!source) {
        problems.push_back(sp + ": the source could not be created");
        continue;
      }
      task->add_signal(sc.name, std::move(source), sc.timeout_seconds);
    }
    out.push_back(std::move(task));
  }
  return out;
}

void Runner::Impl::watch_files() {
  // The config, every script, and every file the config names for a secret or a credential: a
  // rotated password_file is picked up as an edited config is (validated, then swapped).
  std::vector<std::string> files{opts.config_path};
  for (const auto& p : config.policies) {
    files.push_back(p.script_path);
    add_named_files(p.target.options, config.dir, files);
    for (const auto& sc : p.signals) add_named_files(sc.options, config.dir, files);
  }
  if (!config.server.token_file.empty()) files.push_back(config.server.token_file);
  add_named_files(config.leader_election, config.dir, files);
  watched.clear();
  for (const auto& f : files) watched[f] = file_signature(f);
}

void Runner::Impl::poll() {
  if (opts.reload_poll_seconds <= 0 || stopped) return;
  poll_timer->expires_after(
      std::chrono::milliseconds(static_cast<long>(opts.reload_poll_seconds * 1000)));
  poll_timer->async_wait([this](boost::system::error_code ec) {
    if (ec || stopped) return;
    std::string changed;
    for (const auto& [path, sig] : watched)
      if (changed.empty() && file_signature(path) != sig) changed = path;
    if (!changed.empty()) {
      log_event("info", "", "reload", changed + " changed; reloading");
      reload();
    }
    poll();
  });
}

void Runner::Impl::wait_signals() {
  signals->async_wait(asio::bind_executor(control, [this](boost::system::error_code ec, int sig) {
    if (ec || stopped) return;
    if (sig == SIGHUP) {
      log_event("info", "", "reload", "SIGHUP: reloading");
      reload();
      wait_signals();
    } else {
      log_event("info", "", "stop",
                std::string("signal ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": stopping");
      stop();
    }
  }));
}

bool Runner::Impl::reload() {
  if (handovers_pending > 0) {
    // The previous reload is still waiting for ticks in flight: this one follows it (any number
    // of requests meanwhile make one reload, of the files as they are then).
    if (!reload_queued)
      log_event("info", "", "reload", "the previous reload is handing over; reloading after it");
    reload_queued = true;
    return true;
  }
  Config cfg;
  std::vector<std::string> problems;
  try {
    AdapterCatalog cat{&source_factories, &actuator_factories, true, opts.leader_election_keys};
    cfg = load_config(opts.config_path, cat);
  } catch (const ConfigError& e) {
    problems = e.problems;
  }
  std::vector<std::shared_ptr<PolicyTask>> fresh;
  if (problems.empty()) fresh = build(cfg, problems);
  if (!problems.empty()) {
    ++reloads_failed;
    for (const auto& p : problems) log_event("error", "", "reload_rejected", p);
    log_event("error", "", "reload_rejected", "reload rejected; the running version continues");
    watch_files();  // do not retry the same broken files every poll
    return false;
  }
  std::vector<std::shared_ptr<PolicyTask>> old;
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    old = tasks;
  }
  // A policy that goes on is handed over: its old version finishes the tick in flight (its write
  // included), then the new version restores the state that tick left and starts. Until then the
  // old version stays in the list /metrics and /readyz read.
  std::vector<std::shared_ptr<PolicyTask>> next, starting;
  std::vector<std::pair<std::shared_ptr<PolicyTask>, std::shared_ptr<PolicyTask>>> handovers;
  for (auto& t : fresh) {
    std::shared_ptr<PolicyTask> before;
    for (auto& o : old)
      if (o->cfg.name == t->cfg.name) before = o;
    if (before) {
      handovers.emplace_back(before, t);
      next.push_back(before);
    } else {
      next.push_back(t);
      starting.push_back(t);
    }
  }
  for (auto& o : old) {
    bool kept = false;
    for (auto& [b, t] : handovers) kept = kept || b == o;
    if (!kept) o->retire();
  }
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    tasks = next;
  }
  config = std::move(cfg);
  watch_files();
  ++reloads_ok;
  log_event("info", "", "reloaded", "reloaded: " + std::to_string(fresh.size()) + " policies");
  for (auto& t : starting) t->start(opts.jitter_fraction, rng);
  handovers_pending = handovers.size();
  for (auto& [o, t] : handovers) hand_over(o, t);
  return true;
}

void Runner::Impl::hand_over(std::shared_ptr<PolicyTask> before,
                             std::shared_ptr<PolicyTask> after) {
  // Bounded: a tick whose adapters never answer must not hold the new version back for ever;
  // past the deadline that tick may no longer write, and the last persisted form is used.
  auto timer = std::make_shared<asio::steady_timer>(control);
  auto done = std::make_shared<bool>(false);
  auto finish = [this, before, after, timer, done](std::shared_ptr<const std::string> final,
                                                   bool in_time) {
    if (*done) return;
    *done = true;
    timer->cancel();
    if (!in_time) {
      before->abandon();
      log_event("warn", after->cfg.name, "reload",
                "the tick in flight did not finish within 10s; it will not write, and the new "
                "version starts from the state persisted before it");
      std::lock_guard<std::mutex> lock(before->mu);
      final = before->saved_state;
    }
    adopt(*before, after, final);
  };
  before->retire([this, finish](std::shared_ptr<const std::string> final) {
    asio::post(control, [finish, final] { finish(final, true); });
  });
  timer->expires_after(std::chrono::seconds(10));
  timer->async_wait([finish](boost::system::error_code ec) {
    if (!ec) finish(nullptr, false);
  });
}

void Runner::Impl::adopt(PolicyTask& before, std::shared_ptr<PolicyTask> after,
                         std::shared_ptr<const std::string> final) {
  const std::string& name = after->cfg.name;
  // A policy aimed at another target must not carry the old target's recommendations, scale
  // events, cooldown and failure count over to it; its ctx.state is the script's own and stays.
  const bool target_changed = !(before.cfg.target.options == after->cfg.target.options);
  if (final) {
    std::vector<std::string> warnings;
    std::string err;
    bool ok = false;
    try {
      ok = after->rt->restore_state(parse_json(*final), now(), warnings, &err, !target_changed);
    } catch (const std::exception& e) {
      err = e.what();
    }
    for (const auto& w : warnings) log_event("warn", name, "state", "carried-over state: " + w);
    if (!ok) log_event("warn", name, "state", "state not carried over: " + err);
  }
  if (target_changed)
    log_event("info", name, "reload",
              "target changed: its guardrail history (recommendations, scale events, cooldown, "
              "failure count) starts fresh");
  after->inherit(before);
  after->saved_state = std::make_shared<const std::string>(after->rt->persisted_json(nullptr));
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    for (auto& t : tasks)
      if (t.get() == &before) t = after;
  }
  if (!stopped) after->start(opts.jitter_fraction, rng, before.next_due());
  if (handovers_pending > 0 && --handovers_pending == 0 && reload_queued && !stopped) {
    reload_queued = false;
    reload();
  }
}

void Runner::Impl::save_state(bool wait) {
  if (state_file.empty() || !state_lock) return;  // never a state file another process owns
  StateSnapshot snap;
  snap.saved_at = now();
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    for (auto& t : tasks) {
      std::lock_guard<std::mutex> l2(t->mu);
      if (t->saved_state) snap.policies.emplace_back(t->cfg.name, t->saved_state);
    }
  }
  state_writer.submit(state_file, std::move(snap), wait);
}

void Runner::Impl::state_changed(bool urgent) {
  // After a scale the state is written at once (coalesced within one turn of the loop), so a
  // crash right after an actuation cannot lose its scale event; otherwise within two seconds.
  if (urgent) {
    asio::post(control, [this] {
      if (urgent_pending || stopped) return;
      urgent_pending = true;
      asio::post(control, [this] {
        urgent_pending = false;
        if (!stopped) save_state();
      });
    });
    return;
  }
  asio::post(control, [this] {
    if (state_dirty || stopped) return;
    state_dirty = true;
    save_timer->expires_after(std::chrono::seconds(2));
    save_timer->async_wait([this](boost::system::error_code ec) {
      state_dirty = false;
      if (!ec) save_state();
    });
  });
}

void Runner::Impl::tick_finished() {
  if (!opts.once) return;
  asio::post(control, [this] {
    if (once_remaining > 0 && --once_remaining == 0) stop();
  });
}

void Runner::Impl::stop() {
  if (stopped.exchange(true)) return;
  std::vector<std::shared_ptr<PolicyTask>> running;
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    running = tasks;
  }
  if (server) server->stop();
  if (signals) signals->cancel();
  if (poll_timer) poll_timer->cancel();
  if (save_timer) save_timer->cancel();
  save_state(true);  // what the snapshots hold now, should the loop never run again
  // Ticks in flight finish, their writes included, but not for ever: each policy hands over its
  // final state once idle, and after 10 s the loop stops without those still running.
  stop_timer = std::make_unique<asio::steady_timer>(control);
  stop_pending = running.size();
  if (stop_pending == 0) {
    finish_stop(false);
    return;
  }
  for (auto& t : running)
    t->retire([this](std::shared_ptr<const std::string>) {
      asio::post(control, [this] {
        if (stop_pending > 0 && --stop_pending == 0) finish_stop(false);
      });
    });
  stop_timer->expires_after(std::chrono::seconds(10));
  stop_timer->async_wait([this](boost::system::error_code ec) {
    if (!ec) finish_stop(true);
  });
}

void Runner::Impl::finish_stop(bool late) {
  if (stop_finished) return;
  stop_finished = true;
  if (stop_timer) stop_timer->cancel();
  if (late) {
    log_event("warn", "", "stop", "in-flight work still running after 10s; exiting without it");
    std::lock_guard<std::mutex> lock(tasks_mu);
    for (auto& t : tasks) t->abandon();
  }
  save_state(true);       // the state every policy's last tick left (failure counts included)
  shadow_writer.flush();  // and every shadow tick, in its log
  state_lock.reset();     // nothing writes the state file any more: another run may take it
  // Leadership is given up only now, after the last write.
  if (opts.on_stop) opts.on_stop();
  if (late) io.stop();
}

bool Runner::Impl::open_state(std::string* error) {
  // Written only as a regular file this process replaces whole; one process per state file.
  if (std::string why = files::check_replaceable(state_file); !why.empty()) {
    if (error) *error = "state file " + why;
    return false;
  }
  state_lock = StateLock::acquire(state_file, error);
  if (!state_lock) return false;
  files::remove_stale_temp_files(state_file);  // left by a killed process mid-write
  Value saved;
  std::string err;
  const double start_time = now();
  double saved_at = start_time;
  if (!load_state_file(state_file, saved, &err, &saved_at)) {
    // A corrupt state file must not stop scaling: start fresh, keep the file for inspection.
    log_event("error", "", "state", "state file unreadable, starting without state: " + err);
    std::error_code ec;
    std::filesystem::rename(state_file, state_file + ".corrupt", ec);
    return true;
  }
  // Nothing in the file may be later than the file itself, nor than now (a clock that ran ahead
  // when it was written, a hand-edited file): see GuardrailState::restore.
  const double latest = std::min(start_time, saved_at);
  std::vector<RejectedState> rejected;
  for (auto& t : tasks) {
    const Value* s = saved.find(t->cfg.name);
    if (!s) continue;
    std::vector<std::string> warnings;
    err.clear();
    if (!t->rt->restore_state(*s, latest, warnings, &err)) {
      rejected.push_back({t->cfg.name, err, *s});
      log_event("error", t->cfg.name, "state",
                "saved state rejected, the policy starts fresh: " + err + " (set aside in " +
                    state_file + ".rejected)");
      continue;
    }
    for (const auto& w : warnings) log_event("warn", t->cfg.name, "state", "saved state: " + w);
    t->saved_state = std::make_shared<const std::string>(t->rt->persisted_json(nullptr));
  }
  if (!rejected.empty() && !set_aside_states(state_file, rejected, start_time, &err))
    log_event("error", "", "state", "rejected states not set aside: " + err);
  return true;
}

// ---------------------------------------------------------------------------------------------

Runner::Runner(asio::io_context& io, RunOptions opts, const std::vector<SourceFactory>& sources,
               const std::vector<ActuatorFactory>& actuators)
    : impl_(std::make_shared<Impl>(io, std::move(opts), sources, actuators)) {
  set_log_json(impl_->opts.log_json);
}

Runner::~Runner() {
  if (impl_ && !impl_->stopped) impl_->stop();
}

bool Runner::start(std::string* error) {
  Impl& m = *impl_;
  std::vector<std::string> problems;
  try {
    AdapterCatalog cat{&m.source_factories, &m.actuator_factories, true,
                       m.opts.leader_election_keys};
    m.config = load_config(m.opts.config_path, cat);
  } catch (const ConfigError& e) {
    problems = e.problems;
  }
  std::vector<std::shared_ptr<PolicyTask>> tasks;
  if (problems.empty()) tasks = m.build(m.config, problems);
  if (!problems.empty()) {
    if (error) {
      error->clear();
      for (const auto& p : problems) *error += (error->empty() ? "" : "\n") + p;
    }
    return false;
  }
  m.tasks = tasks;
  m.state_file = m.opts.state_file.empty() ? m.config.state_file : m.opts.state_file;
  if (!m.state_file.empty() && !m.open_state(error)) return false;
  const std::string listen = m.opts.listen.empty() ? m.config.server.listen : m.opts.listen;
  if (listen != "off") {
    HttpServerOptions so;
    so.listen = listen;
    so.token = m.config.server.token;
    if (!m.config.server.token_file.empty()) {
      std::ifstream in(m.config.server.token_file);
      std::string tok;
      std::getline(in, tok);
      while (!tok.empty() && (tok.back() == '\r' || tok.back() == ' ')) tok.pop_back();
      if (tok.empty()) {
        if (error)
          *error = m.config.path + ": server.token_file: cannot read a token from " +
                   m.config.server.token_file;
        return false;
      }
      so.token = tok;
    }
    m.server = std::make_unique<HttpServer>(m.io, so,
                                            [this](const std::string&, const std::string& target) {
                                              return impl_->handle(target, *this);
                                            });
    std::string err;
    if (!m.server->start(&err)) {
      if (error) *error = err;
      return false;
    }
    log_event("info", "", "serve",
              "serving /metrics /healthz /readyz /decisions on " + m.server->address());
  }
  m.watch_files();
  m.poll_timer = std::make_unique<asio::steady_timer>(m.control);
  m.save_timer = std::make_unique<asio::steady_timer>(m.control);
  m.signals = std::make_unique<asio::signal_set>(m.io, SIGHUP, SIGTERM, SIGINT);
  m.wait_signals();
  m.poll();
  m.once_remaining = tasks.size();
  for (auto& t : tasks) t->start(m.opts.jitter_fraction, m.rng);
  log_event("info", "", "start",
            "running " + std::to_string(tasks.size()) + " policies from " + m.opts.config_path);
  if (tasks.empty() && m.opts.once) m.stop();
  return true;
}

bool Runner::reload() {
  return impl_->reload();
}
void Runner::stop() {
  impl_->stop();
}

std::size_t Runner::policy_count() const {
  std::lock_guard<std::mutex> lock(impl_->tasks_mu);
  return impl_->tasks.size();
}

std::string Runner::listen_address() const {
  return impl_->server ? impl_->server->address() : "";
}

void Runner::tick_all() {
  std::vector<std::shared_ptr<PolicyTask>> tasks;
  {
    std::lock_guard<std::mutex> lock(impl_->tasks_mu);
    tasks = impl_->tasks;
  }
  for (auto& t : tasks) asio::post(t->strand, [t] { t->tick_now(); });
}

}  // namespace luascale
