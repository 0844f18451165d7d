// engine/replay/replay.cpp — replay_trace: drives the policy's PolicyTick over a trace on a
// virtual clock and records what each tick did (summary, decisions CSV, plotted series).
#include "engine/replay/replay.hpp"

#include <utility>

#include <boost/asio/io_context.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

#include "engine/core/units.hpp"
#include "engine/loop/tick.hpp"
#include "engine/replay/demand_simulation.hpp"
#include "engine/replay/simulated_target.hpp"
#include "engine/replay/trace_feed.hpp"

namespace luascale {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The target a replay's tick sees: the simulated one, or a real one (--actuate) that the
// simulation mirrors. Each successful read steps the demand model with the ready count read.
class ReplayTarget final : public Actuator {
 public:
  ReplayTarget(SimulatedTarget& sim, Actuator* real, DemandSimulation& demand, TraceFeed& feed,
               std::optional<std::size_t> demand_col, const double& now)
      : sim_(sim), real_(real), demand_(demand), feed_(feed), demand_col_(demand_col), now_(now) {}

  void read(std::function<void(ReadOutcome)> done) override {
    if (!real_) {
      ReadOutcome out;
      out.state = TargetState{sim_.count(), sim_.ready(), std::nullopt, std::nullopt};
      observed(out.state->ready);
      done(std::move(out));
      return;
    }
    real_->read([this, done = std::move(done)](ReadOutcome out) {
      if (out.state) {
        if (out.state->replicas != sim_.count()) sim_.mirror(out.state->replicas);
        out.state->ready = std::min(out.state->ready, sim_.room());
        observed(out.state->ready);
      }
      done(std::move(out));
    });
  }

  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override {
    if (!real_) {
      sim_.apply(desired, info, std::move(done));
      return;
    }
    real_->apply(desired, info, [this, done = std::move(done)](ApplyOutcome out) {
      if (out.ok) sim_.mirror(out.applied);
      done(std::move(out));
    });
  }

 private:
  void observed(std::int64_t ready) {
    const double demand = demand_col_ ? feed_.latest(*demand_col_) : kNaN;
    const double at = demand_col_ ? feed_.latest_time(*demand_col_) : -1e300;
    demand_.step(now_, demand, at, ready);
  }

  SimulatedTarget& sim_;
  Actuator* real_;
  DemandSimulation& demand_;
  TraceFeed& feed_;
  std::optional<std::size_t> demand_col_;
  const double& now_;
};

// The record step of a replay: the summary, the decisions CSV and the plotted series.
class ReplayRecorder final : public TickSink {
 public:
  ReplayRecorder(ReplaySummary& sum, const ReplayOptions& opts, DecisionCsvWriter* csv,
                 SimulatedTarget& sim, const DemandSimulation& demand, PolicyRuntime& policy,
                 TraceFeed& feed)
      : sum_(sum),
        opts_(opts),
        csv_(csv),
        sim_(sim),
        demand_(demand),
        policy_(policy),
        feed_(feed) {}

  std::optional<std::size_t> first_feed;   // the signal plotted when there is no demand column
  std::optional<std::size_t> plot_column;  // the trace column plotted (watched by the feed)
  // Each node group's count, as the last applied decision that named groups set it.
  std::map<std::string, std::int64_t> group_counts;
  bool counting = true;  // the books are open (ReplayOptions::measure_from): forecasts count

  // Opens the books afresh at `now` (ReplayOptions::measure_from): what came before is not
  // counted, and the target's count at this point is where the measured part starts.
  void open_books(double now) {
    ReplaySummary fresh;
    fresh.policy = sum_.policy;
    fresh.script = sum_.script;
    fresh.trace = sum_.trace;
    fresh.has_demand = sum_.has_demand;
    fresh.first_time = fresh.last_time = now;
    fresh.start_replicas = fresh.min_replicas = fresh.max_replicas = sim_.count();
    fresh.max_nodes = sim_.nodes();
    sum_ = std::move(fresh);
    counting = true;
    last_dir_ = 0;
    under_since_ = kNaN;
    bound_counts_ = {};
  }

  void tick_done(TickRecord& t) override {
    DecisionRecord& rec = t.decision;
    const double now = rec.time;
    if (opts_.forecasts && counting && !rec.forecast.empty())
      opts_.forecasts->forecast(now, rec.forecast);
    ++sum_.ticks;
    if (opts_.progress && (sum_.ticks & 4095) == 1) opts_.progress->advanced(sum_, now);
    if (t.read_failed) {
      actuation_error(now, t.note);
    } else {
      switch (rec.status) {
        case EvalOutcome::Status::Decision:
          ++sum_.decisions;
          break;
        case EvalOutcome::Status::Hold:
          ++sum_.holds;
          break;
        case EvalOutcome::Status::Error:
          ++sum_.errors;
          if (sum_.first_error.empty())
            sum_.first_error = format_timestamp(now) + ": " + rec.reason;
          break;
      }
      if (rec.bound_by != BoundBy::None && rec.bound_by != BoundBy::Hold)
        ++bound_counts_[static_cast<std::size_t>(rec.bound_by)];
    }
    if (t.apply_failed) actuation_error(now, t.note);
    if (t.applied && !rec.groups.empty() && rec.desired == rec.recommended.value_or(-1)) {
      for (auto& [name, n] : group_counts) n = 0;
      for (const auto& g : rec.groups) group_counts[g.name] = g.count;
    }
    const bool scaled = rec.desired != rec.current;
    if (scaled) {
      const int dir = rec.desired > rec.current ? 1 : -1;
      if (dir > 0)
        ++sum_.scale_ups;
      else
        ++sum_.scale_downs;
      if (last_dir_ != 0 && dir != last_dir_) ++sum_.direction_changes;
      last_dir_ = dir;
    }
    if (sim_.has_nodes()) {
      const double per_node = opts_.model.pods_per_node;
      sim_.set_nodes(
          rec.nodes_out && rec.replicas_out
              ? *rec.nodes_out
              : static_cast<std::int64_t>(std::ceil(static_cast<double>(sim_.count()) / per_node)));
      sum_.max_nodes = std::max(sum_.max_nodes, sim_.nodes());
    }
    if (csv_) {
      if (sum_.has_demand)
        csv_->write(rec, sim_.replicas_ready(), demand_.under() ? 1 : 0,
                    demand_.demand_known() ? demand_.shortfall() : kNaN);
      else
        csv_->write(rec, sim_.replicas_ready());
    }
    if (opts_.series) plot(t, scaled ? (rec.desired > rec.current ? 1 : -1) : 0);
    if (demand_.demand_known())
      sum_.peak_shortfall = std::max(sum_.peak_shortfall, demand_.shortfall());
    if (demand_.under()) {
      ++sum_.under_ticks;
      if (std::isnan(under_since_)) under_since_ = now;
    } else {
      end_under_stretch(now);
    }
    sum_.min_replicas = std::min(sum_.min_replicas, sim_.count());
    sum_.max_replicas = std::max(sum_.max_replicas, sim_.count());
    sum_.last_time = now;
  }

  // Closes the books at the end of the replay.
  void finish() {
    for (std::size_t b = 0; b < bound_counts_.size(); ++b)
      if (bound_counts_[b])
        sum_.bound_by[bound_by_name(static_cast<BoundBy>(b))] += bound_counts_[b];
    end_under_stretch(sum_.last_time);
  }

 private:
  void actuation_error(double now, const std::string& e) {
    ++sum_.actuation_errors;
    if (sum_.first_actuation_error.empty())
      sum_.first_actuation_error = format_timestamp(now) + ": " + e;
  }

  void end_under_stretch(double now) {
    if (std::isnan(under_since_)) return;
    sum_.max_recover_seconds = std::max(sum_.max_recover_seconds, now - under_since_);
    under_since_ = kNaN;
  }

  void plot(const TickRecord& t, int scaled) {
    const DecisionRecord& rec = t.decision;
    SeriesPoint p;
    p.time = rec.time;
    if (plot_column) std::tie(p.demand_low, p.demand_high) = feed_.take_range(*plot_column);
    if (demand_.demand_known()) {
      p.demand = demand_.demand();
    } else if (!sum_.has_demand && first_feed) {
      const SignalTable& signals = policy_.signals();
      const SignalSlot& s0 = signals.at(*first_feed);
      if (s0.has_value && s0.is_number && signals.fresh(*first_feed, rec.time))
        p.demand = s0.number;
    }
    p.utilization = demand_.utilization();
    p.recommended = rec.recommended.value_or(-1);
    p.replicas = sim_.count();
    p.ready = t.ready;
    p.nodes = sim_.has_nodes() ? sim_.nodes() : -1;
    p.under = demand_.under();
    p.scaled = scaled;
    p.error = rec.status == EvalOutcome::Status::Error;
    opts_.series->add(p);
  }

  ReplaySummary& sum_;
  const ReplayOptions& opts_;
  DecisionCsvWriter* csv_;
  SimulatedTarget& sim_;
  const DemandSimulation& demand_;
  PolicyRuntime& policy_;
  TraceFeed& feed_;
  int last_dir_ = 0;
  double under_since_ = kNaN;  // NaN while not under-provisioned
  std::array<std::int64_t, static_cast<std::size_t>(BoundBy::Cooldown) + 1> bound_counts_{};
};

// The trace's columns, for messages: "a, b, c" (or "none").
std::string column_list(const TraceReader& trace) {
  std::string have;
  for (const auto& n : trace.columns()) have += (have.empty() ? "" : ", ") + n;
  return have.empty() ? "none" : have;
}

// A policy read a signal nothing feeds: without this it would read nil on every tick and hold.
[[noreturn]] void unfed_signal(const PolicyConfig& cfg, const TraceReader& trace,
                               const std::string& name) {
  throw std::runtime_error(
      "policy \"" + cfg.name + "\" reads signal \"" + name + "\", which is neither configured" +
      (cfg.key_path.empty() ? "" : " (" + cfg.key_path + ".signals)") + " nor a column of " +
      trace.name() + " (columns: " + column_list(trace) +
      "); name the column after the signal, map it with a signal's \"column\" key, or declare "
      "it \"optional\" when the policy copes with it missing");
}

std::optional<std::size_t> trace_column(TraceReader& trace, const std::string& name,
                                        const std::string& what) {
  if (auto c = trace.column(name)) return c;
  if (trace.format() == TraceReader::Format::JsonLines) return trace.want(name);
  throw std::runtime_error(what + ": the trace " + trace.name() + " has no column \"" + name +
                           "\" (columns: " + column_list(trace) + ")");
}

}  // namespace

ReplaySummary replay_trace(PolicyRuntime& policy, TraceReader& trace, const ReplayOptions& opts,
                           DecisionCsvWriter* csv) {
  const PolicyConfig& cfg = policy.config();
  const DemandModel& model = opts.model;
  ReplaySummary sum;
  sum.policy = cfg.name;
  sum.script = display_path(cfg.script_path);
  sum.trace = trace.name();
  sum.has_demand = !model.demand_column.empty();
  if (csv) csv->set_policy(cfg.name);

  double now = 0;  // the virtual clock
  TraceFeed feed(trace, opts.start_time, opts.end_time);
  std::optional<std::size_t> demand_col;
  if (sum.has_demand) {
    demand_col = trace_column(trace, model.demand_column, "replay.demand");
    feed.watch(*demand_col);
  }
  DemandSimulation demand(model, cfg.interval_seconds);
  if (!feed.begin()) throw TraceError(trace.name() + ": no data rows");
  const TraceRow& first = feed.first_row();

  SimulatedTarget::Options so;
  so.start = cfg.bare ? 1 : cfg.guard.min;  // a bare script: the default minReplicas
  const std::optional<std::size_t> replicas_col = trace.column("replicas");
  if (opts.start_replicas)
    so.start = *opts.start_replicas;
  else if (cfg.target.replicas)
    so.start = *cfg.target.replicas;
  else if (replicas_col && *replicas_col < first.numbers.size() &&
           !std::isnan(first.numbers[*replicas_col]))
    so.start = static_cast<std::int64_t>(std::llround(first.numbers[*replicas_col]));
  so.ready_delay = opts.ready_delay_seconds;
  so.pods_per_node = model.pods_per_node;
  so.node_delay = model.node_provisioning_seconds;
  SimulatedTarget sim(now, so);
  sum.start_replicas = sum.min_replicas = sum.max_replicas = so.start;
  sum.max_nodes = sim.nodes();

  ReplayTarget target(sim, opts.actuator, demand, feed, demand_col, now);
  ReplayRecorder recorder(sum, opts, csv, sim, demand, policy, feed);
  recorder.plot_column = demand_col;
  PolicyTick tick(policy, target, recorder);

  // Signals the closed loop computes are never read from the trace.
  auto simulated = [&](const std::string& name) {
    return model.closed_loop &&
           ((!model.utilization_signal.empty() && name == model.utilization_signal) ||
            (!model.queue_signal.empty() && name == model.queue_signal) ||
            (!model.pending_signal.empty() && name == model.pending_signal));
  };
  std::vector<bool> fed;
  auto feed_column = [&](std::size_t c, const std::string& signal) {
    const std::size_t slot = policy.add_signal(signal);
    tick.add_source(slot, feed.add_source(c));
    if (fed.size() <= c) fed.resize(c + 1);
    fed[c] = true;
    if (!recorder.first_feed) {
      recorder.first_feed = slot;
      if (!demand_col && opts.series) {  // without a demand model the report plots this signal
        feed.watch(c);
        recorder.plot_column = c;
        opts.series->demand_label = signal;
      }
    }
  };
  if (opts.series) {
    opts.series->demand_model = sum.has_demand;
    opts.series->demand_label = sum.has_demand ? model.demand_column : "";
  }
  // Configured signals read their column; every other column is offered under its own name.
  for (const auto& s : cfg.signals) {
    if (simulated(s.name)) continue;
    const std::string column = s.column.empty() ? s.name : s.column;
    // An optional signal the trace does not record reads nil, as the config says it may.
    if (s.optional && !trace.column(column) && trace.format() != TraceReader::Format::JsonLines)
      continue;
    feed_column(*trace_column(trace, column, cfg.key_path + ".signals." + s.name), s.name);
  }
  const std::function<void(std::size_t)> offer_column = [&](std::size_t c) {
    const std::string name = trace.columns()[c];
    if ((c < fed.size() && fed[c]) || simulated(name)) return;
    for (const auto& s : cfg.signals)
      if (s.name == name) return;
    feed_column(c, name);
  };
  for (std::size_t c = 0; c < trace.columns().size(); ++c) offer_column(c);
  if (model.closed_loop && !model.utilization_signal.empty())
    tick.add_source(policy.add_signal(model.utilization_signal), demand.utilization_source());
  if (model.closed_loop && !model.queue_signal.empty())
    tick.add_source(policy.add_signal(model.queue_signal), demand.queue_source());
  if (model.closed_loop && !model.pending_signal.empty())
    tick.add_source(policy.add_signal(model.pending_signal), demand.pending_source());

  policy.script().set_collect_logs(false);  // nothing in a replay shows ctx:log lines
  const double interval = cfg.interval_seconds;
  now = first.time;
  sum.first_time = now;
  // Signals the policy read that nothing fed: a CSV trace's columns are all known at once; a
  // JSON Lines column may still appear, so those are checked again at the end.
  std::size_t unknown_checked = 0;
  const auto& unknown = policy.script().unknown_signals();
  const bool columns_fixed = trace.format() != TraceReader::Format::JsonLines;
  bool books_open = !opts.measure_from || now >= *opts.measure_from;
  recorder.counting = books_open;
  for (;;) {
    feed.advance(now, offer_column);
    if (!books_open && now >= *opts.measure_from) {
      recorder.open_books(now);
      books_open = true;
    }
    if (opts.io) opts.io->restart();  // a run that ran out of work leaves it stopped
    tick.start(now);
    if (opts.io)
      while (tick.running() && opts.io->run_one()) {
      }
    if (tick.running()) throw std::runtime_error("the target did not answer");
    for (; unknown_checked < unknown.size(); ++unknown_checked)
      if (columns_fixed) unfed_signal(cfg, trace, unknown[unknown_checked]);
    if (!feed.more()) break;
    const double next = now + interval;
    if (opts.end_time && next > *opts.end_time) break;
    // The counts set at this tick hold until the next one.
    sum.replica_seconds += static_cast<double>(sim.count()) * interval;
    if (sim.has_nodes()) sum.node_seconds += static_cast<double>(sim.nodes()) * interval;
    for (const auto& [group, n] : recorder.group_counts)
      sum.group_node_seconds[group] += static_cast<double>(n) * interval;
    if (demand.under()) sum.under_seconds += interval;
    if (!std::isnan(demand.slack())) {
      sum.slack_seconds += interval;
      sum.slack_integral += demand.slack() * interval;
    }
    now = next;
  }
  for (const auto& name : unknown)
    if (!policy.signals().find(name)) unfed_signal(cfg, trace, name);
  if (!books_open)
    throw std::runtime_error(trace.name() + " ends (" + format_timestamp(now) +
                             ") before the measured part starts (" +
                             format_timestamp(*opts.measure_from) + ")");
  // A tick an interval past the last row would stretch the replay (and its replica-hours) far
  // beyond the data: an interval longer than the trace is a mistake, not a replay.
  const double rows_span = feed.last_time() - sum.first_time;
  if (feed.rows() >= 2 && interval > rows_span)
    throw std::runtime_error("the interval of policy \"" + cfg.name + "\" (" +
                             format_duration(interval) + ") is longer than the rows of " +
                             trace.name() + " it replays (" + format_duration(rows_span) +
                             ", from " + format_timestamp(sum.first_time) + " to " +
                             format_timestamp(feed.last_time()) + ")");
  recorder.finish();
  if (csv) csv->flush();
  sum.rows = feed.rows();
  sum.final_replicas = sim.count();
  sum.cost = sum.replica_hours() * model.price_per_replica_hour +
             sum.node_hours() * model.price_per_node_hour;
  for (const auto& [group, seconds] : sum.group_node_seconds) {
    auto price = model.group_price_per_hour.find(group);
    sum.cost +=
        seconds / 3600.0 *
        (price != model.group_price_per_hour.end() ? price->second : model.price_per_node_hour);
  }
  sum.has_nodes = sim.has_nodes();
  sum.has_cost = model.price_per_replica_hour > 0 || model.price_per_node_hour > 0 ||
                 !model.group_price_per_hour.empty();
  return sum;
}

}  // namespace luascale
