// engine/shadow/shadow_compare.hpp — what shadow logs say about each shadow policy against its
// live target: how often, how much and in which direction the count it would have set differed
// from the live count read at the same tick, and the replica-hours it would have cost or saved;
// with the replay summaries and series that let the replay report draw both counts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/replay/replay_series.hpp"
#include "engine/replay/replay_summary.hpp"
#include "engine/shadow/shadow_log.hpp"

namespace luascale {

// Time weights: each tick stands for the time to the policy's next tick, or for one interval when
// that gap is longer than 3 intervals (luascale was not running: nothing is known of that time)
// and for the last tick. Only compared ticks (both counts known) count in the figures below.
struct ShadowComparison {
  std::string policy;
  double first_time = 0, last_time = 0;  // unix seconds: the first and the last tick
  std::int64_t ticks = 0;                // the policy's ticks in the logs (within --from/--to)
  std::int64_t compared = 0;             // ticks where both counts were known
  std::int64_t unread = 0;               // ticks where the live target could not be read
  std::int64_t skipped = 0;              // rows earlier than the policy's previous one: ignored
  std::int64_t higher = 0, lower = 0;    // compared ticks with the shadow's count above / below
  double compared_seconds = 0, higher_seconds = 0, lower_seconds = 0;
  double above_replica_seconds = 0;           // sum of (shadow - live) x time while higher
  double below_replica_seconds = 0;           // sum of (live - shadow) x time while lower
  std::int64_t max_above = 0, max_below = 0;  // the largest gap each way, replicas
  double shadow_replica_seconds = 0, live_replica_seconds = 0;  // over the compared time
  double longest_apart_seconds = 0;  // the longest stretch with the two counts apart

  std::int64_t differed() const { return higher + lower; }
  double differed_seconds() const { return higher_seconds + lower_seconds; }
  // n as a share (0..1) of the compared ticks.
  double share(std::int64_t n) const {
    return compared ? static_cast<double>(n) / static_cast<double>(compared) : 0;
  }
  // Mean gap (replicas, time-weighted) while the shadow's count was above / below the live one.
  double mean_above() const {
    return higher_seconds > 0 ? above_replica_seconds / higher_seconds : 0;
  }
  double mean_below() const {
    return lower_seconds > 0 ? below_replica_seconds / lower_seconds : 0;
  }
  // Replica-hours the shadow would have added (while higher) and saved (while lower).
  double cost_replica_hours() const { return above_replica_seconds / 3600; }
  double saved_replica_hours() const { return below_replica_seconds / 3600; }
  // Shadow minus live replica-hours: > 0 it would have cost more, < 0 it would have saved.
  double net_replica_hours() const {
    return (shadow_replica_seconds - live_replica_seconds) / 3600;
  }
  // The net as a share of the live replica-hours (0 when there were none).
  double net_share() const {
    return live_replica_seconds > 0
               ? (shadow_replica_seconds - live_replica_seconds) / live_replica_seconds
               : 0;
  }
};

// One shadow policy: its comparison, and for the replay report the count it would have set as a
// replay summary and series (its decisions, guardrails, scale events and demand) and the live
// count as a second pair ("<policy> (live)": the target as read, its ready count, its changes).
struct ShadowPolicy {
  ShadowComparison comparison;
  ReplaySummary shadow, live;
  ReplaySeries shadow_series, live_series;  // the same ticks, point for point
};

struct ShadowAnalysisOptions {
  std::optional<double> from, to;     // only ticks in [from, to] (unix seconds)
  std::vector<std::string> policies;  // only these policies (empty: every one)
  std::string source;                 // what the logs are called in summaries ("shadow.csv")
};

// Reads rows in file order (several files: oldest first, "shadow.csv.1" before "shadow.csv").
class ShadowAnalysis {
 public:
  explicit ShadowAnalysis(ShadowAnalysisOptions options);
  ~ShadowAnalysis();
  ShadowAnalysis(const ShadowAnalysis&) = delete;
  ShadowAnalysis& operator=(const ShadowAnalysis&) = delete;

  void add(const ShadowRow& row);
  // Closes the books: one entry per policy, in the order first seen.
  std::vector<ShadowPolicy> finish();

 private:
  struct Track;
  void account(Track& t, const ShadowRow& row, double weight);
  ShadowAnalysisOptions options_;
  std::vector<Track> tracks_;
  std::map<std::string, std::size_t> index_;  // policy -> tracks_ index
};

}  // namespace luascale
