// engine/shadow/shadow_compare.cpp — see shadow_compare.hpp.
#include "engine/shadow/shadow_compare.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "engine/replay/trace.hpp"

namespace luascale {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLongestGap = 3;  // intervals: a longer gap between ticks is not counted

// The scale events of one count as it moves from tick to tick: ups, downs, direction changes.
struct Moves {
  std::optional<std::int64_t> last;
  int last_dir = 0;
  // +1 when `v` raised the count, -1 when it lowered it, 0 when it kept it.
  int step(std::int64_t v, ReplaySummary& s) {
    int dir = 0;
    if (last && v != *last) {
      dir = v > *last ? 1 : -1;
      ++(dir > 0 ? s.scale_ups : s.scale_downs);
      if (last_dir != 0 && dir != last_dir) ++s.direction_changes;
      last_dir = dir;
    }
    last = v;
    return dir;
  }
};

// A count over the compared ticks: its summary's start, final, min, max and replica-seconds.
void count_in(ReplaySummary& s, std::int64_t v, double weight, bool first) {
  if (first) s.start_replicas = s.min_replicas = s.max_replicas = v;
  s.min_replicas = std::min(s.min_replicas, v);
  s.max_replicas = std::max(s.max_replicas, v);
  s.final_replicas = v;
  s.replica_seconds += static_cast<double>(v) * weight;
}

}  // namespace

struct ShadowAnalysis::Track {
  ShadowPolicy out;
  std::optional<ShadowRow> pending;  // the last row: accounted once the next one's time is known
  Moves shadow_moves, live_moves;
  double apart_since = kNaN, apart_until = kNaN;  // the stretch with the counts apart, if any
};

ShadowAnalysis::ShadowAnalysis(ShadowAnalysisOptions options) : options_(std::move(options)) {}
ShadowAnalysis::~ShadowAnalysis() = default;

void ShadowAnalysis::add(const ShadowRow& row) {
  if ((options_.from && row.time < *options_.from) || (options_.to && row.time > *options_.to))
    return;
  if (!options_.policies.empty() && std::find(options_.policies.begin(), options_.policies.end(),
                                              row.policy) == options_.policies.end())
    return;
  auto [it, fresh] = index_.emplace(row.policy, tracks_.size());
  if (fresh) {
    tracks_.emplace_back();
    Track& t = tracks_.back();
    ShadowPolicy& p = t.out;
    p.comparison.policy = row.policy;
    p.comparison.first_time = row.time;
    p.shadow.policy = row.policy;
    p.shadow.script = "would have set (shadow)";
    p.live.policy = row.policy + " (live)";
    p.live.script = "live target, as read";
    p.shadow.trace = p.live.trace = options_.source;
    p.shadow.first_time = p.live.first_time = row.time;
    p.shadow_series.policy = row.policy;
    p.live_series.policy = p.live.policy;
  }
  Track& t = tracks_[it->second];
  if (t.pending) {
    if (row.time < t.pending->time) {
      ++t.out.comparison.skipped;
      return;
    }
    const double gap = row.time - t.pending->time;
    account(t, *t.pending, gap <= kLongestGap * t.pending->interval ? gap : t.pending->interval);
  }
  t.pending = row;
}

void ShadowAnalysis::account(Track& t, const ShadowRow& row, double w) {
  ShadowComparison& c = t.out.comparison;
  ReplaySummary& sh = t.out.shadow;
  ReplaySummary& lv = t.out.live;
  ++c.ticks;
  ++sh.ticks;
  ++sh.rows;
  ++lv.rows;
  c.last_time = row.time;
  sh.last_time = lv.last_time = row.time + w;
  if (!row.live) {
    ++c.unread;
    ++sh.actuation_errors;
    if (sh.first_actuation_error.empty())
      sh.first_actuation_error = format_timestamp(row.time) + ": " + row.reason;
  } else {
    ++lv.ticks;
    if (row.status == "decision") {
      ++sh.decisions;
    } else if (row.status == "hold") {
      ++sh.holds;
    } else {
      ++sh.errors;
      if (sh.first_error.empty()) sh.first_error = format_timestamp(row.time) + ": " + row.reason;
    }
    if (row.bound_by != "none" && row.bound_by != "hold") ++sh.bound_by[row.bound_by];
  }
  const int shadow_moved = row.replicas ? t.shadow_moves.step(*row.replicas, sh) : 0;
  const int live_moved = row.live ? t.live_moves.step(*row.live, lv) : 0;

  if (row.replicas && row.live) {
    const std::int64_t s = *row.replicas, l = *row.live;
    count_in(sh, s, w, c.compared == 0);
    count_in(lv, l, w, c.compared == 0);
    ++c.compared;
    c.compared_seconds += w;
    c.shadow_replica_seconds += static_cast<double>(s) * w;
    c.live_replica_seconds += static_cast<double>(l) * w;
    if (s > l) {
      ++c.higher;
      c.higher_seconds += w;
      c.above_replica_seconds += static_cast<double>(s - l) * w;
      c.max_above = std::max(c.max_above, s - l);
    } else if (s < l) {
      ++c.lower;
      c.lower_seconds += w;
      c.below_replica_seconds += static_cast<double>(l - s) * w;
      c.max_below = std::max(c.max_below, l - s);
    }
    if (s != l) {
      if (std::isnan(t.apart_since)) t.apart_since = row.time;
      t.apart_until = row.time + w;
    } else if (!std::isnan(t.apart_since)) {
      c.longest_apart_seconds = std::max(c.longest_apart_seconds, t.apart_until - t.apart_since);
      t.apart_since = kNaN;
    }
  }

  SeriesPoint p;
  p.time = row.time;
  p.demand = row.demand;
  p.recommended = row.recommended.value_or(-1);
  p.replicas = row.replicas.value_or(-1);
  p.ready = p.replicas;  // a count nobody set has no ready count of its own
  p.scaled = shadow_moved;
  p.error = row.status == "error";
  t.out.shadow_series.add(p);
  if (t.out.shadow_series.demand_label.empty())
    t.out.shadow_series.demand_label = row.demand_signal;
  SeriesPoint q;
  q.time = row.time;
  q.replicas = row.live.value_or(-1);
  q.ready = row.ready.value_or(-1);
  q.scaled = live_moved;
  q.error = !row.live;  // the target could not be read
  t.out.live_series.add(q);
}

std::vector<ShadowPolicy> ShadowAnalysis::finish() {
  std::vector<ShadowPolicy> out;
  for (Track& t : tracks_) {
    if (t.pending) account(t, *t.pending, t.pending->interval);
    t.pending.reset();
    ShadowComparison& c = t.out.comparison;
    if (!std::isnan(t.apart_since))
      c.longest_apart_seconds = std::max(c.longest_apart_seconds, t.apart_until - t.apart_since);
    out.push_back(std::move(t.out));
  }
  tracks_.clear();
  index_.clear();
  return out;
}

}  // namespace luascale
