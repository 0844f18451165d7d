// engine/replay/replay.cpp — virtual-clock replay of one policy over one trace.
#include "engine/replay/replay.hpp"

#include "engine/core/units.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace luascale {
namespace {

// The simulated target: a count, and the replicas not yet ready (scale-ups younger than the delay).
class SimulatedTarget {
 public:
  SimulatedTarget(std::int64_t start, double ready_delay) : count_(start), delay_(ready_delay) {}
  std::int64_t count() const { return count_; }
  std::int64_t ready(double now) {
    while (!pending_.empty() && pending_.front().first <= now) {
      not_ready_ -= pending_.front().second;
      pending_.pop_front();
    }
    return count_ - not_ready_;
  }
  void set(double now, std::int64_t desired) {
    if (desired > count_) {
      if (delay_ > 0) {
        pending_.emplace_back(now + delay_, desired - count_);
        not_ready_ += desired - count_;
      }
    } else {
      std::int64_t remove = count_ - desired;  // starting replicas go first
      while (remove > 0 && !pending_.empty()) {
        auto& back = pending_.back();
        std::int64_t k = std::min(remove, back.second);
        back.second -= k;
        not_ready_ -= k;
        remove -= k;
        if (back.second == 0) pending_.pop_back();
      }
    }
    count_ = desired;
  }

 private:
  std::int64_t count_;
  double delay_;
  std::int64_t not_ready_ = 0;
  std::deque<std::pair<double, std::int64_t>> pending_;
};

std::string fmt(double v, int prec) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

}  // namespace

ReplaySeries::ReplaySeries(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 16)) {
  points_.reserve(capacity_);
}

void ReplaySeries::add(const SeriesPoint& in) {
  pending_under_ = pending_under_ || in.under;
  pending_scaled_ = pending_scaled_ || in.scaled;
  pending_error_ = pending_error_ || in.error;
  if (seen_++ % stride_ != 0) return;
  SeriesPoint p = in;
  p.under = pending_under_;
  p.scaled = pending_scaled_;
  p.error = pending_error_;
  pending_under_ = pending_scaled_ = pending_error_ = false;
  points_.push_back(p);
  if (points_.size() >= capacity_) {  // halve: keep every other point, OR-ing flags forward
    std::size_t w = 0;
    for (std::size_t r = 0; r < points_.size(); r += 2) {
      SeriesPoint q = points_[r];
      if (r + 1 < points_.size()) {
        q.under = q.under || points_[r + 1].under;
        q.scaled = q.scaled || points_[r + 1].scaled;
        q.error = q.error || points_[r + 1].error;
      }
      points_[w++] = q;
    }
    points_.resize(w);
    stride_ *= 2;
    seen_ = 1;  // the last kept tick starts the new stride
  }
}

double ReplaySummary::mean_replicas() const {
  double span = last_time - first_time;
  return span > 0 ? replica_seconds / span : static_cast<double>(final_replicas);
}

namespace {

// Writes `s` as a CSV field at p (quoted when it holds a comma, quote or line break; line breaks
// become spaces); p must have room for 2 * s.size() + 2 bytes.
char* put_csv_field(char* p, std::string_view s) {
  bool quote = false;
  for (char c : s) quote = quote || c == ',' || c == '"' || c == '\n' || c == '\r';
  if (!quote) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  }
  *p++ = '"';
  for (char c : s) {
    if (c == '"') *p++ = '"';
    *p++ = (c == '\n' || c == '\r') ? ' ' : c;
  }
  *p++ = '"';
  return p;
}

}  // namespace

std::string csv_field(const std::string& s) {
  std::string out(2 * s.size() + 2, '\0');
  out.resize(static_cast<std::size_t>(put_csv_field(out.data(), s) - out.data()));
  return out;
}

DecisionCsvWriter::DecisionCsvWriter(std::ostream& out) : out_(out), buf_(new char[kBufSize]) {
  set_policy("");
  out_ << "timestamp,recommended,replicas,bound_by,reason,policy,status,ready\n";
}

DecisionCsvWriter::~DecisionCsvWriter() {
  try {
    flush();
  } catch (...) {
  }
}

void DecisionCsvWriter::flush() {
  if (len_ == 0) return;
  out_.write(buf_.get(), static_cast<std::streamsize>(len_));
  len_ = 0;
}

void DecisionCsvWriter::set_policy(const std::string& policy) {
  policy_field_ = csv_field(policy) + ',';
  policy_len_ = policy_field_.size();
  policy_field_.append(kPad, '\0');
}

void DecisionCsvWriter::write(const DecisionRecord& rec, std::int64_t ready) {
  // Replays run millions of ticks: each line is formatted in place into one buffer that is
  // written in 64 KiB blocks; the policy's field is quoted once, not per line.
  // Numbers, bound_by, status and separators take at most 160 bytes, fixed-size copies at most
  // kPad more (format_line); the reason at most twice its length quoted.
  const std::size_t most = 160 + kPad + 2 * rec.reason.size() + 2 + policy_len_ + kPad;
  if (len_ + most > kBufSize) {
    flush();
    if (most > kBufSize) {  // a line longer than the buffer is written on its own
      std::unique_ptr<char[]> line(new char[most]);
      const char* e = format_line(line.get(), rec, ready);
      out_.write(line.get(), static_cast<std::streamsize>(e - line.get()));
      return;
    }
  }
  char* const start = buf_.get() + len_;
  len_ += static_cast<std::size_t>(format_line(start, rec, ready) - start);
}

namespace {

// A short name in a zero-padded slot: copied whole (one fixed-size move), then the end of the
// line moves back to the name's length.
struct PaddedName {
  char text[DecisionCsvWriter::kPad] = {};
  std::size_t size = 0;
};

constexpr PaddedName padded(std::string_view s) {
  PaddedName n;
  for (std::size_t i = 0; i < s.size() && i < DecisionCsvWriter::kPad; ++i) n.text[i] = s[i];
  n.size = s.size();
  return n;
}

constexpr BoundBy kLastBoundBy = BoundBy::Cooldown;  // the last of the enum

const PaddedName* bound_names() {
  static const auto table = [] {
    std::array<PaddedName, static_cast<std::size_t>(kLastBoundBy) + 1> t{};
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = padded(bound_by_name(static_cast<BoundBy>(i)));
    return t;
  }();
  return table.data();
}

// Writes a whole padded slot at p and returns the end of the name.
inline char* put_padded(char* p, const PaddedName& n) {
  std::memcpy(p, n.text, sizeof n.text);
  return p + n.size;
}

}  // namespace

char* DecisionCsvWriter::format_line(char* p, const DecisionRecord& rec, std::int64_t ready) {
  static constexpr PaddedName kStatus[] = {padded("decision"), padded("hold"), padded("error")};
  static const PaddedName* const kBound = bound_names();
  auto put_int = [&](std::int64_t v) { p = std::to_chars(p, p + 24, v).ptr; };
  if (is_exact_integer(rec.time)) {
    const auto t = static_cast<std::int64_t>(rec.time);
    if (t < 100000) {
      put_int(t);
    } else {
      if (t / 100000 != time_hi_) {
        time_hi_ = t / 100000;  // below 9e10: at most 11 digits
        time_hi_len_ = static_cast<std::size_t>(std::to_chars(time_hi_text_, time_hi_text_ + 16, time_hi_).ptr - time_hi_text_);
      }
      std::memcpy(p, time_hi_text_, 16);
      p += time_hi_len_;
      auto lo = static_cast<unsigned>(t % 100000);
      for (int i = 4; i >= 0; --i, lo /= 10) p[i] = static_cast<char>('0' + lo % 10);
      p += 5;
    }
  } else {
    const int n = std::snprintf(p, 48, "%.3f", rec.time);  // a huge time is cut at 47 characters
    p += std::clamp(n, 0, 47);
  }
  *p++ = ',';
  if (rec.recommended) put_int(*rec.recommended);
  *p++ = ',';
  put_int(rec.desired);
  *p++ = ',';
  p = put_padded(p, kBound[static_cast<std::size_t>(rec.bound_by)]);  // at most 22 characters
  *p++ = ',';
  p = put_csv_field(p, rec.reason);
  *p++ = ',';
  if (policy_len_ <= kPad) std::memcpy(p, policy_field_.data(), kPad);
  else std::memcpy(p, policy_field_.data(), policy_len_);
  p += policy_len_;
  p = put_padded(p, kStatus[static_cast<int>(rec.status)]);
  *p++ = ',';
  put_int(ready);
  *p++ = '\n';
  return p;
}

namespace {

// Nodes provisioned for the replicas, cluster-autoscaler style: scale-ups arrive after the
// provisioning delay, scale-downs are immediate.
class SimulatedNodes {
 public:
  SimulatedNodes(double delay) : delay_(delay) {}
  void init(std::int64_t n) { count_ = ready_ = n; }
  std::int64_t count() const { return count_; }
  std::int64_t ready(double now) {
    while (!pending_.empty() && pending_.front().first <= now) {
      ready_ += pending_.front().second;
      pending_.pop_front();
    }
    return ready_;
  }
  void set(double now, std::int64_t want) {
    if (want > count_) {
      if (delay_ > 0) pending_.emplace_back(now + delay_, want - count_);
      else ready_ += want - count_;
    } else if (want < count_) {
      std::int64_t remove = count_ - want;
      while (remove > 0 && !pending_.empty()) {
        auto& back = pending_.back();
        std::int64_t k = std::min(remove, back.second);
        back.second -= k;
        remove -= k;
        if (back.second == 0) pending_.pop_back();
      }
      ready_ -= remove;
    }
    count_ = want;
  }

 private:
  double delay_;
  std::int64_t count_ = 0, ready_ = 0;
  std::deque<std::pair<double, std::int64_t>> pending_;
};

}  // namespace

ReplaySummary replay_trace(PolicyRuntime& policy, TraceReader& trace, const ReplayOptions& opts,
                           DecisionCsvWriter* csv) {
  const PolicyConfig& cfg = policy.config();
  const DemandModel& model = opts.model;
  ReplaySummary sum;
  sum.policy = cfg.name;
  sum.script = display_path(cfg.script_path);
  sum.trace = trace.name();
  if (csv) csv->set_policy(cfg.name);

  // Signals the closed loop computes are never read from the trace.
  auto simulated = [&](const std::string& name) {
    return model.closed_loop && ((!model.utilization_signal.empty() && name == model.utilization_signal) ||
                                 (!model.queue_signal.empty() && name == model.queue_signal));
  };

  // Column -> signal slot. Configured signals read their column; every other column is also
  // offered under its own name.
  std::vector<std::pair<std::size_t, std::size_t>> feeds;  // (column, slot)
  for (const auto& s : cfg.signals) {
    if (simulated(s.name)) continue;
    const std::string& col = s.column.empty() ? s.name : s.column;
    std::optional<std::size_t> c = trace.column(col);
    if (!c) {
      if (trace.format() == TraceReader::Format::JsonLines) {
        c = trace.want(col);
      } else {
        std::string have;
        for (const auto& n : trace.columns()) have += (have.empty() ? "" : ", ") + n;
        throw std::runtime_error(cfg.key_path + ".signals." + s.name + ": the trace " + trace.name() +
                                 " has no column \"" + col + "\" (columns: " + have + ")");
      }
    }
    feeds.emplace_back(*c, policy.add_signal(s.name));
  }
  auto map_free_columns = [&] {
    for (std::size_t c = 0; c < trace.columns().size(); ++c) {
      const std::string& name = trace.columns()[c];
      bool used = false;
      for (auto& f : feeds) used = used || f.first == c;
      if (used || simulated(name)) continue;
      bool is_config = false;
      for (const auto& s : cfg.signals) is_config = is_config || s.name == name;
      if (!is_config) feeds.emplace_back(c, policy.add_signal(name));
    }
  };
  map_free_columns();
  std::optional<std::size_t> replicas_col = trace.column("replicas");
  std::optional<std::size_t> demand_col;
  if (!model.demand_column.empty()) {
    demand_col = trace.column(model.demand_column);
    if (!demand_col) {
      if (trace.format() == TraceReader::Format::JsonLines) {
        demand_col = trace.want(model.demand_column);
      } else {
        throw std::runtime_error("replay.demand: the trace " + trace.name() + " has no column \"" +
                                 model.demand_column + "\"");
      }
    }
  }
  std::optional<std::size_t> util_slot, queue_slot;
  if (model.closed_loop && !model.utilization_signal.empty()) util_slot = policy.add_signal(model.utilization_signal);
  if (model.closed_loop && !model.queue_signal.empty()) queue_slot = policy.add_signal(model.queue_signal);

  TraceRow row;
  bool have = trace.next(row);
  while (have && opts.start_time && row.time < *opts.start_time) have = trace.next(row);
  if (!have) throw TraceError(trace.name() + ": no data rows");
  ++sum.rows;

  std::int64_t start = cfg.guard.min;
  if (opts.start_replicas) start = *opts.start_replicas;
  else if (cfg.target.replicas) start = *cfg.target.replicas;
  else if (replicas_col && !std::isnan(row.numbers[*replicas_col]))
    start = static_cast<std::int64_t>(std::llround(row.numbers[*replicas_col]));
  SimulatedTarget target(start, opts.ready_delay_seconds);
  sum.start_replicas = sum.min_replicas = sum.max_replicas = start;
  const bool with_nodes = model.pods_per_node > 0;
  SimulatedNodes nodes(model.node_provisioning_seconds);
  if (with_nodes) nodes.init(static_cast<std::int64_t>(std::ceil(static_cast<double>(start) / model.pods_per_node)));
  sum.max_nodes = nodes.count();

  const double interval = cfg.interval_seconds;
  double now = row.time;
  sum.first_time = now;
  SignalTable& signals = policy.signals();
  int last_dir = 0;
  std::size_t known_columns = trace.columns().size();
  double demand = std::numeric_limits<double>::quiet_NaN(), demand_time = -1e300;
  double queue = 0, last_tick = now;
  double under_since = std::numeric_limits<double>::quiet_NaN();  // NaN while not under-provisioned
  const double demand_stale = 3 * interval;

  // Guardrail interventions by rule, counted per enum value and named once at the end.
  std::array<std::int64_t, static_cast<std::size_t>(BoundBy::Cooldown) + 1> bound_counts{};
  policy.script().set_collect_logs(false);  // nothing in a replay shows ctx:log lines
  policy.script().set_gc_pause(200);
  DecisionRecord rec;  // reused every tick

  for (;;) {
    // Feed every row at or before now.
    while (have && row.time <= now) {
      if (trace.columns().size() != known_columns) {  // JSON Lines grew a column
        map_free_columns();
        known_columns = trace.columns().size();
      }
      for (auto [c, slot] : feeds) {
        if (c < row.numbers.size() && !std::isnan(row.numbers[c]))
          signals.set_number(slot, row.time, row.numbers[c]);
        else if (row.has_structured && c < row.structured.size() && !row.structured[c].is_null())
          signals.set_structured(slot, row.time, row.structured[c]);
      }
      if (demand_col && *demand_col < row.numbers.size() && !std::isnan(row.numbers[*demand_col])) {
        demand = row.numbers[*demand_col];
        demand_time = row.time;
      }
      have = trace.next(row);
      if (have) {
        if (opts.end_time && row.time > *opts.end_time) have = false;
        else ++sum.rows;
      }
    }
    auto actuation_error = [&](const std::string& e) {
      ++sum.actuation_errors;
      if (sum.first_actuation_error.empty()) sum.first_actuation_error = format_timestamp(now) + ": " + e;
    };
    std::optional<TargetState> actual;  // --actuate: what the real target reports
    if (opts.actuation) {
      ReadOutcome read = opts.actuation->read();
      if (read.state) {
        actual = read.state;
        if (actual->replicas != target.count()) target.set(now, actual->replicas);
      } else {
        actuation_error(read.error);
      }
    }
    const std::int64_t current = target.count();
    std::int64_t ready = actual ? actual->ready : target.ready(now);
    std::int64_t nodes_ready = with_nodes ? nodes.ready(now) : 0;
    if (with_nodes)  // replicas wait for room on a ready node
      ready = std::min<std::int64_t>(ready, static_cast<std::int64_t>(std::floor(nodes_ready * model.pods_per_node)));

    // The demand model: utilization and queue against the capacity that is ready now.
    const bool demand_known = demand_col && now - demand_time <= demand_stale && !std::isnan(demand);
    double utilization = std::numeric_limits<double>::quiet_NaN();
    bool under = false;
    if (demand_known) {
      if (model.capacity_per_replica > 0) {
        const double cap = static_cast<double>(ready) * model.capacity_per_replica;
        utilization = cap > 0 ? 100.0 * demand / cap : (demand > 0 ? std::numeric_limits<double>::infinity() : 0);
        under = utilization > model.target_utilization + model.margin;
        const double needed = std::ceil(demand / (model.capacity_per_replica * model.target_utilization / 100.0));
        sum.peak_shortfall = std::max(sum.peak_shortfall, needed - static_cast<double>(ready));
        if (util_slot && cap > 0) signals.set_number(*util_slot, now, utilization);
      }
      if (!model.queue_signal.empty()) {
        const double service = static_cast<double>(ready) * model.service_rate_per_replica;
        queue = std::max(0.0, queue + (demand - service) * (now - last_tick));
        if (queue_slot) signals.set_number(*queue_slot, now, queue);
        if (model.queue_slo_seconds > 0) {
          const double wait = service > 0 ? queue / service : (queue > 0 ? std::numeric_limits<double>::infinity() : 0);
          under = under || wait > model.queue_slo_seconds;
        }
      }
    }
    last_tick = now;
    if (under) {
      ++sum.under_ticks;
      if (std::isnan(under_since)) under_since = now;
    } else if (!std::isnan(under_since)) {
      sum.max_recover_seconds = std::max(sum.max_recover_seconds, now - under_since);
      under_since = std::numeric_limits<double>::quiet_NaN();
    }

    policy.tick(now, current, ready, rec);
    ++sum.ticks;
    if (opts.progress && (sum.ticks & 4095) == 1) opts.progress->advanced(sum, now);
    switch (rec.status) {
      case EvalOutcome::Status::Decision: ++sum.decisions; break;
      case EvalOutcome::Status::Hold: ++sum.holds; break;
      case EvalOutcome::Status::Error:
        ++sum.errors;
        if (sum.first_error.empty()) sum.first_error = format_timestamp(now) + ": " + rec.reason;
        break;
    }
    if (rec.bound_by != BoundBy::None && rec.bound_by != BoundBy::Hold)
      ++bound_counts[static_cast<std::size_t>(rec.bound_by)];
    const bool scaled = rec.desired != current;
    if (scaled) {
      int dir = rec.desired > current ? 1 : -1;
      if (dir > 0) ++sum.scale_ups; else ++sum.scale_downs;
      if (last_dir != 0 && dir != last_dir) ++sum.direction_changes;
      last_dir = dir;
      policy.record_scale(now, current, rec.desired);
      std::int64_t applied = rec.desired;
      if (opts.actuation) {
        ActuationInfo info;
        info.policy = cfg.name;
        info.reason = rec.reason;
        info.bound_by = bound_by_name(rec.bound_by);
        info.recommended = rec.recommended.value_or(rec.desired);
        ApplyOutcome out = opts.actuation->apply(rec.desired, info);
        if (out.ok) {
          applied = out.applied;
        } else {
          applied = current;
          actuation_error(out.error);
        }
      }
      target.set(now, applied);
    }
    if (with_nodes) {
      std::int64_t want = rec.nodes_out && rec.replicas_out
                              ? *rec.nodes_out
                              : static_cast<std::int64_t>(std::ceil(static_cast<double>(target.count()) / model.pods_per_node));
      nodes.set(now, want);
      sum.max_nodes = std::max(sum.max_nodes, nodes.count());
    }
    if (csv) csv->write(rec, target.ready(now));
    if (opts.series) {
      SeriesPoint p;
      p.time = now;
      if (demand_known) p.demand = demand;
      else if (!demand_col && !feeds.empty()) {
        const SignalSlot& s0 = signals.at(feeds.front().second);
        if (s0.has_value && s0.is_number && signals.fresh(feeds.front().second, now)) p.demand = s0.number;
      }
      p.utilization = utilization;
      p.recommended = rec.recommended.value_or(-1);
      p.replicas = target.count();
      p.ready = ready;
      p.nodes = with_nodes ? nodes.count() : -1;
      p.under = under;
      p.scaled = scaled;
      p.error = rec.status == EvalOutcome::Status::Error;
      opts.series->add(p);
    }
    sum.min_replicas = std::min(sum.min_replicas, target.count());
    sum.max_replicas = std::max(sum.max_replicas, target.count());
    sum.last_time = now;
    if (!have) break;
    double next = now + interval;
    if (opts.end_time && next > *opts.end_time) break;
    // The counts set at this tick hold until the next one.
    sum.replica_seconds += static_cast<double>(target.count()) * interval;
    if (with_nodes) sum.node_seconds += static_cast<double>(nodes.count()) * interval;
    if (under) sum.under_seconds += interval;
    now = next;
  }
  for (std::size_t b = 0; b < bound_counts.size(); ++b)
    if (bound_counts[b]) sum.bound_by[bound_by_name(static_cast<BoundBy>(b))] += bound_counts[b];
  if (!std::isnan(under_since)) sum.max_recover_seconds = std::max(sum.max_recover_seconds, sum.last_time - under_since);
  if (csv) csv->flush();
  sum.final_replicas = target.count();
  sum.cost = sum.replica_hours() * model.price_per_replica_hour + sum.node_hours() * model.price_per_node_hour;
  sum.has_demand = demand_col.has_value();
  sum.has_nodes = with_nodes;
  sum.has_cost = model.price_per_replica_hour > 0 || model.price_per_node_hour > 0;
  return sum;
}

void print_summary_table(const std::vector<ReplaySummary>& rows, std::ostream& out, bool with_trace) {
  bool demand = false, nodes = false, cost = false;
  for (const auto& s : rows) {
    demand = demand || s.has_demand;
    nodes = nodes || s.has_nodes;
    cost = cost || s.has_cost;
  }
  std::vector<std::string> head = {"policy"};
  if (with_trace) head.push_back("trace");
  for (const char* h : {"script", "span", "ticks", "decisions", "holds", "errors", "ups", "downs", "flips", "min",
                        "mean", "max", "final", "replica-h"})
    head.push_back(h);
  if (nodes) {
    head.push_back("max-nodes");
    head.push_back("node-h");
  }
  if (cost) head.push_back("cost");
  if (demand) {
    head.push_back("under%");
    head.push_back("under-h");
    head.push_back("shortfall");
    head.push_back("recover");
  }
  head.push_back("guardrails");
  const std::size_t left_cols = with_trace ? 3 : 2;
  std::vector<std::vector<std::string>> cells{head};
  for (const auto& s : rows) {
    std::string guards;
    for (const auto& [k, n] : s.bound_by) guards += (guards.empty() ? "" : " ") + k + "=" + std::to_string(n);
    if (guards.empty()) guards = "-";
    double span_h = (s.last_time - s.first_time) / 3600.0;
    std::string span = span_h >= 48 ? fmt(span_h / 24, 1) + "d" : fmt(span_h, 1) + "h";
    std::vector<std::string> r = {s.policy};
    if (with_trace) r.push_back(std::filesystem::path(s.trace).filename().string());
    for (std::string v : {s.script, span, std::to_string(s.ticks), std::to_string(s.decisions), std::to_string(s.holds),
                          std::to_string(s.errors), std::to_string(s.scale_ups), std::to_string(s.scale_downs),
                          std::to_string(s.direction_changes), std::to_string(s.min_replicas), fmt(s.mean_replicas(), 2),
                          std::to_string(s.max_replicas), std::to_string(s.final_replicas), fmt(s.replica_hours(), 1)})
      r.push_back(v);
    if (nodes) {
      r.push_back(s.has_nodes ? std::to_string(s.max_nodes) : "-");
      r.push_back(s.has_nodes ? fmt(s.node_hours(), 1) : "-");
    }
    if (cost) r.push_back(s.has_cost ? fmt(s.cost, 2) : "-");
    if (demand) {
      r.push_back(s.has_demand ? fmt(100 * s.under_share(), 2) : "-");
      r.push_back(s.has_demand ? fmt(s.under_seconds / 3600, 1) : "-");
      r.push_back(s.has_demand ? fmt(s.peak_shortfall, 0) : "-");
      r.push_back(s.has_demand ? format_duration(s.max_recover_seconds) : "-");
    }
    r.push_back(guards);
    cells.push_back(std::move(r));
  }
  std::vector<std::size_t> width(cells[0].size(), 0);
  for (const auto& r : cells)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  for (std::size_t ri = 0; ri < cells.size(); ++ri) {
    std::string line;
    for (std::size_t i = 0; i < cells[ri].size(); ++i) {
      const std::string& c = cells[ri][i];
      bool left = i < left_cols || i + 1 == cells[ri].size();
      std::string pad(width[i] - c.size(), ' ');
      line += left ? c + pad : pad + c;
      if (i + 1 < cells[ri].size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
    if (ri == 0) {
      std::size_t total = 0;
      for (auto w : width) total += w + 2;
      out << std::string(total - 2, '-') << '\n';
    }
  }
  for (const auto& s : rows)
    if (!s.first_error.empty()) out << s.policy << ": first error at " << s.first_error << '\n';
  for (const auto& s : rows)
    if (s.actuation_errors > 0)
      out << s.policy << ": " << s.actuation_errors << " actuation error(s), first at " << s.first_actuation_error << '\n';
}

}  // namespace luascale
