// engine/replay/report_charts.hpp — internal to the replay report: the inline SVG charts of one
// policy (load and utilization, replicas, the strip of scale events and errors) on scales every
// policy of the report shares, so their charts compare at a glance.
#pragma once

#include <string>
#include <vector>

#include "engine/replay/replay_series.hpp"
#include "engine/replay/replay_summary.hpp"

namespace luascale::report {

// What every policy's charts share.
struct ChartScales {
  double t0 = 0, t1 = 1;         // the time axis (unix seconds, shown in UTC)
  double replicas_top = 1;       // the replicas axis
  double utilization_top = 100;  // the utilization axis (percent)
  double bin_seconds = 1;        // the time one bar of the event strip covers
  double events_top = 1;         // the most scale events of one direction in one bar
  double errors_top = 1;         // the most errors in one bar
};

// The shared scales of these series (and summaries: their time spans and maximum counts).
ChartScales chart_scales(const std::vector<ReplaySummary>& rows,
                         const std::vector<ReplaySeries>& series);

// Appends the charts of one policy (and their legends) to `s`.
void policy_charts(std::string& s, const ReplaySeries& series, const ReplaySummary* summary,
                   const ChartScales& scales);

// A short human number: 12, 1.5, 0.25, 12.3k, 4.1M.
std::string short_number(double v);

}  // namespace luascale::report
