// engine/loop/runner_surface.cpp — what `luascale run` shows over HTTP: /metrics (Prometheus
// text), /decisions (recent decisions, JSON), /readyz and /healthz.
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "engine/core/units.hpp"
#include "engine/loop/runner_impl.hpp"
#include "engine/replay/trace.hpp"

namespace luascale {
namespace {

std::string label_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// A sample value at full precision: the shortest text that reads back as the same double
// ("1796625830.25", not "1.79662583e+09").
std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of `name` in a query string ("policy=a%20b&x=1"), percent-decoded ('+' a space);
// nullopt when absent.
std::optional<std::string> query_value(const std::string& query, const std::string& name) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string piece = query.substr(pos, amp - pos);
    pos = amp + 1;
    const std::size_t eq = piece.find('=');
    if (piece.substr(0, eq) != name) continue;
    const std::string raw = eq == std::string::npos ? "" : piece.substr(eq + 1);
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 &&
          hex_value(raw[i + 2]) >= 0) {
        out += static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
        i += 2;
      } else {
        out += raw[i] == '+' ? ' ' : raw[i];
      }
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

bool Runner::ready(std::string* why) const {
  std::lock_guard<std::mutex> lock(impl_->tasks_mu);
  for (const auto& t : impl_->tasks) {
    std::lock_guard<std::mutex> l2(t->mu);
    if (t->successful_ticks == 0) {
      if (why)
        *why = "policy " + t->cfg.name + " has no successful tick yet" +
               (t->last_error.empty() ? "" : " (last error: " + t->last_error + ")");
      return false;
    }
  }
  return true;
}

std::string Runner::decisions_json(const std::string& policy) const {
  // One policy's list at a time becomes text: with 1,000 policies x 50 decisions a value tree of
  // all of them would take ten times the memory of the answer.
  std::string out = "{";
  bool first = true;
  std::lock_guard<std::mutex> lock(impl_->tasks_mu);
  for (const auto& t : impl_->tasks) {
    if (!policy.empty() && t->cfg.name != policy) continue;
    std::lock_guard<std::mutex> l2(t->mu);
    Value list = Value::array();
    for (auto it = t->recent.rbegin(); it != t->recent.rend(); ++it) {
      Value d = Value::object();
      d.set("time", format_timestamp(it->time));
      d.set("status", status_name(it->status));
      d.set("current", it->current >= 0 ? Value(it->current) : Value());
      d.set("recommended", it->recommended >= 0 ? Value(it->recommended) : Value());
      d.set("desired", it->desired >= 0 ? Value(it->desired) : Value());
      d.set("bound_by", bound_by_name(it->bound_by));
      if (t->cfg.shadow) d.set("shadow", true);  // desired: what it would have set
      d.set("reason", it->reason);
      if (!it->note.empty()) d.set("note", it->note);
      if (!it->signal_errors.empty()) {
        Value errors = Value::object();
        for (const auto& [signal, error] : it->signal_errors) errors.set(signal, error);
        d.set("signal_errors", errors);
      }
      if (!it->logs.empty()) {
        Value logs = Value::array();
        for (const auto& l : it->logs) logs.as_array().push_back(l);
        d.set("logs", logs);
      }
      list.as_array().push_back(std::move(d));
    }
    out += first ? "\n " : ",\n ";
    first = false;
    out += to_json(Value(t->cfg.name));
    out += ": ";
    const std::string text = to_json(list, 1);
    for (char c : text) {  // nested one level deeper than the list's own indentation
      out += c;
      if (c == '\n') out += ' ';
    }
  }
  out += first ? "}\n" : "\n}\n";
  return out;
}

std::string Runner::metrics_text() const {
  std::ostringstream o;
  auto help = [&](const char* name, const char* type, const char* text) {
    o << "# HELP " << name << ' ' << text << "\n# TYPE " << name << ' ' << type << '\n';
  };
  std::vector<std::shared_ptr<PolicyTask>> tasks;
  {
    std::lock_guard<std::mutex> lock(impl_->tasks_mu);
    tasks = impl_->tasks;
  }
  struct Row {
    std::string labels;
    std::shared_ptr<PolicyTask> t;
  };
  std::vector<Row> rows;
  for (auto& t : tasks) rows.push_back({"policy=\"" + label_escape(t->cfg.name) + "\"", t});
  std::vector<std::unique_lock<std::mutex>> locks;
  for (auto& r : rows) locks.emplace_back(r.t->mu);

  help("luascale_evaluations_total", "counter",
       "Policy evaluations by result (decision, hold, error).");
  for (auto& r : rows)
    for (const char* res : {"decision", "hold", "error"}) {
      auto it = r.t->evaluations.find(res);
      o << "luascale_evaluations_total{" << r.labels << ",result=\"" << res << "\"} "
        << (it == r.t->evaluations.end() ? 0 : it->second) << '\n';
    }
  help("luascale_recommended_replicas", "gauge", "The count the script last recommended.");
  for (auto& r : rows)
    if (r.t->recommended)
      o << "luascale_recommended_replicas{" << r.labels << "} " << *r.t->recommended << '\n';
  help("luascale_desired_replicas", "gauge", "The count after guardrails and actuation (applied).");
  for (auto& r : rows)
    if (r.t->desired)
      o << "luascale_desired_replicas{" << r.labels << "} " << *r.t->desired << '\n';
  help("luascale_current_replicas", "gauge",
       "The target's count read before the last decision (a shadow policy's live count).");
  for (auto& r : rows)
    if (r.t->current)
      o << "luascale_current_replicas{" << r.labels << "} " << *r.t->current << '\n';
  help("luascale_shadow_desired_replicas", "gauge",
       "Shadow policies: the count the policy would have set (nothing is written); compare with "
       "luascale_current_replicas, the live count read at the same tick.");
  for (auto& r : rows)
    if (r.t->shadow_desired)
      o << "luascale_shadow_desired_replicas{" << r.labels << "} " << *r.t->shadow_desired << '\n';
  help("luascale_shadow_ticks_total", "counter",
       "Shadow policies: ticks by how the count it would have set compared with the live count "
       "(higher, lower, same).");
  for (auto& r : rows)
    if (r.t->cfg.shadow)
      for (const auto& [cmp, n] :
           {std::pair<const char*, std::uint64_t>{"higher", r.t->shadow_higher},
            {"lower", r.t->shadow_lower},
            {"same", r.t->shadow_same}})
        o << "luascale_shadow_ticks_total{" << r.labels << ",comparison=\"" << cmp << "\"} " << n
          << '\n';
  help("luascale_last_decision_timestamp_seconds", "gauge", "Unix time of the last decision.");
  for (auto& r : rows)
    o << "luascale_last_decision_timestamp_seconds{" << r.labels << "} "
      << num(r.t->last_decision_time) << '\n';
  help("luascale_scale_events_total", "counter",
       "Changes of the target's count, by direction and the rule that set the count (bound_by).");
  for (auto& r : rows)
    for (auto& [key, n] : r.t->scale_events)
      o << "luascale_scale_events_total{" << r.labels << ",direction=\"" << key.first
        << "\",rule=\"" << key.second << "\"} " << n << '\n';
  help("luascale_guardrail_interventions_total", "counter",
       "Decisions a guardrail changed, by rule.");
  for (auto& r : rows)
    for (auto& [rule, n] : r.t->bound_by)
      o << "luascale_guardrail_interventions_total{" << r.labels << ",rule=\"" << rule << "\"} "
        << n << '\n';
  help("luascale_evaluation_duration_seconds", "histogram",
       "Time to evaluate the policy script and guardrails.");
  for (auto& r : rows) {
    const auto& h = r.t->eval_seconds;
    for (std::size_t i = 0; i < kEvalBuckets.size(); ++i)
      o << "luascale_evaluation_duration_seconds_bucket{" << r.labels << ",le=\""
        << num(kEvalBuckets[i]) << "\"} " << h.counts[i] << '\n';
    o << "luascale_evaluation_duration_seconds_bucket{" << r.labels << ",le=\"+Inf\"} " << h.count
      << '\n';
    o << "luascale_evaluation_duration_seconds_sum{" << r.labels << "} " << num(h.sum) << '\n';
    o << "luascale_evaluation_duration_seconds_count{" << r.labels << "} " << h.count << '\n';
  }
  help("luascale_tick_lag_seconds", "histogram",
       "How late each tick started against its schedule.");
  for (auto& r : rows) {
    const auto& h = r.t->tick_lag;
    for (std::size_t i = 0; i < kLagBuckets.size(); ++i)
      o << "luascale_tick_lag_seconds_bucket{" << r.labels << ",le=\"" << num(kLagBuckets[i])
        << "\"} " << h.counts[i] << '\n';
    o << "luascale_tick_lag_seconds_bucket{" << r.labels << ",le=\"+Inf\"} " << h.count << '\n';
    o << "luascale_tick_lag_seconds_sum{" << r.labels << "} " << num(h.sum) << '\n';
    o << "luascale_tick_lag_seconds_count{" << r.labels << "} " << h.count << '\n';
  }
  help("luascale_lua_memory_bytes", "gauge", "Memory held by the policy's Lua state.");
  for (auto& r : rows)
    o << "luascale_lua_memory_bytes{" << r.labels << "} " << r.t->lua_memory << '\n';
  help("luascale_missed_ticks_total", "counter",
       "Ticks skipped because the previous one was still running or the loop fell behind.");
  for (auto& r : rows)
    o << "luascale_missed_ticks_total{" << r.labels << "} " << r.t->missed_ticks << '\n';
  help("luascale_actuations_total", "counter", "Successful changes of the target's count.");
  for (auto& r : rows)
    o << "luascale_actuations_total{" << r.labels << "} " << r.t->actuations << '\n';
  help("luascale_actuation_errors_total", "counter", "Failed reads or changes of the target.");
  for (auto& r : rows)
    o << "luascale_actuation_errors_total{" << r.labels << "} " << r.t->actuation_errors << '\n';
  help("luascale_signal_value", "gauge", "The last fetched value of each numeric signal.");
  for (auto& r : rows)
    for (auto& s : r.t->signals)
      if (s.value)
        o << "luascale_signal_value{" << r.labels << ",signal=\"" << label_escape(s.name) << "\"} "
          << num(*s.value) << '\n';
  help("luascale_signal_fetch_errors_total", "counter",
       "Failed signal fetches (errors and timeouts).");
  for (auto& r : rows)
    for (auto& s : r.t->signals)
      o << "luascale_signal_fetch_errors_total{" << r.labels << ",signal=\"" << label_escape(s.name)
        << "\"} " << s.fetch_errors << '\n';
  help("luascale_signal_fetch_duration_seconds", "histogram", "Signal fetch latency.");
  for (auto& r : rows)
    for (auto& s : r.t->signals) {
      std::string l = r.labels + ",signal=\"" + label_escape(s.name) + "\"";
      for (std::size_t i = 0; i < kFetchBuckets.size(); ++i)
        o << "luascale_signal_fetch_duration_seconds_bucket{" << l << ",le=\""
          << num(kFetchBuckets[i]) << "\"} " << s.latency.counts[i] << '\n';
      o << "luascale_signal_fetch_duration_seconds_bucket{" << l << ",le=\"+Inf\"} "
        << s.latency.count << '\n';
      o << "luascale_signal_fetch_duration_seconds_sum{" << l << "} " << num(s.latency.sum) << '\n';
      o << "luascale_signal_fetch_duration_seconds_count{" << l << "} " << s.latency.count << '\n';
    }
  locks.clear();

  help("luascale_leader", "gauge",
       "1 when this process may actuate (leader, or no leader election).");
  o << "luascale_leader " << ((!impl_->opts.is_leader || impl_->opts.is_leader()) ? 1 : 0) << '\n';
  help("luascale_config_reloads_total", "counter", "Config reloads by result.");
  o << "luascale_config_reloads_total{result=\"success\"} " << impl_->reloads_ok << '\n';
  o << "luascale_config_reloads_total{result=\"rejected\"} " << impl_->reloads_failed << '\n';
  help("luascale_shadow_log_errors_total", "counter",
       "Shadow log lines that could not be written (the file refused or failing, or the disk "
       "behind).");
  o << "luascale_shadow_log_errors_total " << impl_->shadow_writer.errors() << '\n';
  help("luascale_policies", "gauge", "Policies running.");
  o << "luascale_policies " << tasks.size() << '\n';
  help("luascale_build_info", "gauge", "Build information.");
  o << "luascale_build_info{version=\"" << LUASCALE_VERSION << "\"} 1\n";
  long pages = 0, rss_pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss_pages) != 2) rss_pages = 0;
    std::fclose(f);
  }
  help("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  o << "process_resident_memory_bytes " << rss_pages * ::sysconf(_SC_PAGESIZE) << '\n';
  help("process_start_time_seconds", "gauge",
       "Start time of the process since unix epoch in seconds.");
  o << "process_start_time_seconds " << num(std::floor(impl_->started_at)) << '\n';
  return o.str();
}

HttpResponse Runner::Impl::handle(const std::string& target, Runner& runner) {
  std::string path = target.substr(0, target.find('?'));
  std::string query =
      target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    std::string why;
    if (runner.ready(&why)) return {200, "text/plain; charset=utf-8", "ready\n"};
    return {503, "text/plain; charset=utf-8", "not ready: " + why + "\n"};
  }
  if (path == "/metrics") {
    HttpResponse r{200, "text/plain; version=0.0.4; charset=utf-8", runner.metrics_text()};
    release_free_memory();
    return r;
  }
  if (path == "/decisions") {
    const std::string policy = query_value(query, "policy").value_or("");
    if (!policy.empty()) {
      Value known = Value::array();
      bool found = false;
      {
        std::lock_guard<std::mutex> lock(tasks_mu);
        for (const auto& t : tasks) {
          found = found || t->cfg.name == policy;
          known.as_array().push_back(t->cfg.name);
        }
      }
      if (!found) {
        Value body = Value::object();
        body.set("error", "unknown policy \"" + policy + "\"");
        body.set("policies", known);
        return {404, "application/json", to_json(body, 1) + "\n"};
      }
    }
    HttpResponse r{200, "application/json", runner.decisions_json(policy)};
    release_free_memory();
    return r;
  }
  return {404, "text/plain; charset=utf-8",
          "not found; try /metrics, /healthz, /readyz, /decisions\n"};
}

}  // namespace luascale
