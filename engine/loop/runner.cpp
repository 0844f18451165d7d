// engine/loop/runner.cpp — the live evaluation loop behind `luascale run`: building the policies'
// tasks from the config, reloads, the state file, signals and stopping.
#include "engine/loop/runner.hpp"

#include <sys/stat.h>

#include <utility>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>

#include <filesystem>
#include <fstream>

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

double file_mtime(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<double>(st.st_mtim.tv_sec) + static_cast<double>(st.st_mtim.tv_nsec) / 1e9;
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
      started_at(wall_now()) {}

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
  mtimes.clear();
  mtimes[opts.config_path] = file_mtime(opts.config_path);
  for (const auto& p : config.policies) mtimes[p.script_path] = file_mtime(p.script_path);
}

void Runner::Impl::poll() {
  if (opts.reload_poll_seconds <= 0 || stopped) return;
  poll_timer->expires_after(
      std::chrono::milliseconds(static_cast<long>(opts.reload_poll_seconds * 1000)));
  poll_timer->async_wait([this](boost::system::error_code ec) {
    if (ec || stopped) return;
    bool changed = false;
    for (const auto& [path, t] : mtimes)
      if (file_mtime(path) != t) changed = true;
    if (changed) {
      log_event("info", "", "reload", "config or policy file changed; reloading");
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
  for (auto& t : fresh) {
    for (auto& o : old) {
      if (o->cfg.name != t->cfg.name) continue;
      std::lock_guard<std::mutex> lock(o->mu);
      std::string err;
      if (o->saved_state) {
        bool ok = false;
        try {
          ok = t->rt->restore_state(parse_json(*o->saved_state), &err);
        } catch (const std::exception& e) {
          err = e.what();
        }
        if (!ok) log_event("warn", t->cfg.name, "state", "state not carried over: " + err);
      }
      t->saved_state = o->saved_state;
    }
  }
  for (auto& o : old) o->retire();
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    tasks = fresh;
  }
  config = std::move(cfg);
  watch_files();
  for (auto& t : fresh) t->start(opts.jitter_fraction, rng);
  ++reloads_ok;
  log_event("info", "", "reloaded", "reloaded: " + std::to_string(fresh.size()) + " policies");
  return true;
}

void Runner::Impl::save_state(bool wait) {
  if (state_file.empty()) return;
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
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    for (auto& t : tasks) t->retire();
  }
  if (server) server->stop();
  if (opts.on_stop) opts.on_stop();
  if (signals) signals->cancel();
  if (poll_timer) poll_timer->cancel();
  if (save_timer) save_timer->cancel();
  save_state(true);
  // In-flight fetches and actuations finish on their own, but not for ever: poll until every
  // policy is idle (then the loop runs out of work and returns), giving up after 10 s.
  stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  stop_timer = std::make_unique<asio::steady_timer>(control);
  wait_idle();
}

void Runner::Impl::wait_idle() {
  bool busy = false;
  {
    std::lock_guard<std::mutex> lock(tasks_mu);
    for (auto& t : tasks) busy = busy || t->busy();
  }
  if (!busy) {
    save_state(true);  // whatever the last in-flight ticks changed
    return;
  }
  if (std::chrono::steady_clock::now() > stop_deadline) {
    log_event("warn", "", "stop", "in-flight work still running after 10s; exiting without it");
    save_state(true);
    io.stop();
    return;
  }
  stop_timer->expires_after(std::chrono::milliseconds(50));
  stop_timer->async_wait([this](boost::system::error_code ec) {
    if (!ec) wait_idle();
  });
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
  m.state_file = m.opts.state_file.empty() ? m.config.state_file : m.opts.state_file;
  if (!m.state_file.empty()) {
    // Temp files a killed process left behind (".state.json.tmp.<pid>").
    std::error_code ec;
    std::filesystem::path sp(m.state_file);
    std::filesystem::path dir =
        sp.parent_path().empty() ? std::filesystem::path(".") : sp.parent_path();
    const std::string prefix = "." + sp.filename().string() + ".tmp.";
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove(e.path(), ec);
    Value saved;
    std::string err;
    if (!load_state_file(m.state_file, saved, &err)) {
      // A corrupt state file must not stop scaling: start fresh, keep the file for inspection.
      log_event("error", "", "state", "state file unreadable, starting without state: " + err);
      std::filesystem::rename(m.state_file, m.state_file + ".corrupt", ec);
    } else {
      for (auto& t : tasks) {
        if (const Value* s = saved.find(t->cfg.name)) {
          if (!t->rt->restore_state(*s, &err))
            log_event("warn", t->cfg.name, "state", "state not restored: " + err);
          else
            t->saved_state = std::make_shared<const std::string>(to_json(*s));
        }
      }
    }
  }
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
  m.tasks = tasks;
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
