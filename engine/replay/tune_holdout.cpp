// engine/replay/tune_holdout.cpp — see tune_holdout.hpp.
#include "engine/replay/tune_holdout.hpp"
#include "engine/core/text_table.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace luascale {
namespace {

std::optional<double> plain_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

[[noreturn]] void bad_holdout(const std::string& text, const std::string& why) {
  throw std::runtime_error("--holdout " + text + ": " + why +
                           "; give the share of the trace's time span held out at its end (0.3 or "
                           "30%), or the time the held-out part starts (RFC 3339, or whole unix "
                           "seconds)");
}

// Cheaper (by the search's cost), then less under-provisioned, then fewer flips.
bool cheaper(const TuneResult& r, const ReplaySummary& a, const ReplaySummary& b) {
  const double ca = tune_cost(r, a), cb = tune_cost(r, b);
  if (std::fabs(ca - cb) > 1e-9) return ca < cb;
  if (a.under_share() != b.under_share()) return a.under_share() < b.under_share();
  return a.direction_changes < b.direction_changes;
}

}  // namespace

HoldoutSpec parse_holdout(const std::string& text) {
  HoldoutSpec spec;
  spec.text = text;
  if (!text.empty() && text.back() == '%') {
    auto v = plain_number(text.substr(0, text.size() - 1));
    if (!v || *v <= 0 || *v >= 100) bad_holdout(text, "a percentage must be above 0 and below 100");
    spec.fraction = *v / 100;
    return spec;
  }
  if (auto v = plain_number(text)) {
    if (*v > 0 && *v < 1) {
      spec.fraction = *v;
      return spec;
    }
    if (*v >= 1 && *v == std::floor(*v) && unix_seconds_in_range(*v)) {
      spec.time = *v;
      return spec;
    }
    bad_holdout(text, "a fraction must be above 0 and below 1");
  }
  auto t = parse_timestamp(text);
  if (!t) bad_holdout(text, "neither a fraction nor a time");
  spec.time = *t;
  return spec;
}

double holdout_split(const HoldoutSpec& spec, double first, double last) {
  const double split = spec.fraction ? last - *spec.fraction * (last - first) : *spec.time;
  const std::string rows =
      "the trace's rows run from " + format_timestamp(first) + " to " + format_timestamp(last);
  if (last <= first)
    throw std::runtime_error("--holdout " + spec.text + ": " + rows +
                             ", too short to split into a search part and a held-out part");
  if (split <= first)
    throw std::runtime_error("--holdout " + spec.text + ": the held-out part would start at " +
                             format_timestamp(split) + " and leave nothing to search on (" + rows +
                             ")");
  if (split > last)
    throw std::runtime_error("--holdout " + spec.text + ": the held-out part would start at " +
                             format_timestamp(split) + ", after the last row, and hold nothing (" +
                             rows + ")");
  return split;
}

HoldoutResult check_holdout(const Config& config, const TuneOptions& opts, const TuneResult& search,
                            double first, double split, double last) {
  HoldoutResult h;
  h.first = first;
  h.split = split;
  h.last = last;
  std::vector<std::size_t> candidates = pareto_order(search);
  if (search.best >= 0 && std::find(candidates.begin(), candidates.end(),
                                    static_cast<std::size_t>(search.best)) == candidates.end())
    candidates.push_back(static_cast<std::size_t>(search.best));
  for (std::size_t c : candidates) {
    HoldoutRun run;
    run.run = c;
    h.runs.push_back(std::move(run));
  }
  TuneWindow window;
  window.measure_from = split;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next++) < h.runs.size();) {
      HoldoutRun& run = h.runs[i];
      try {
        run.held = replay_setting(config, opts, search.runs[run.run].values, window);
      } catch (const std::exception& e) {
        run.error = e.what();
      }
    }
  };
  const unsigned workers =
      std::max(1u, std::min<unsigned>(opts.jobs, static_cast<unsigned>(h.runs.size())));
  if (workers == 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (unsigned w = 0; w < workers; ++w) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  const std::vector<MetricBound> slo = slo_bounds(opts.slos);
  for (std::size_t i = 0; i < h.runs.size(); ++i) {
    HoldoutRun& run = h.runs[i];
    if (!run.error.empty()) continue;
    run.meets_slo = missed_bounds(slo, run.held).empty();
    run.meets_search_slo = search.runs[run.run].meets_slo;
    if (!run.meets_search_slo) continue;  // met on the held-out part by luck, not by the search
    if (run.meets_slo &&
        (h.best < 0 || cheaper(search, run.held, h.runs[static_cast<std::size_t>(h.best)].held)))
      h.best = static_cast<int>(i);
  }
  return h;
}

void print_holdout_table(const TuneResult& search, const HoldoutResult& h, const TuneOptions& opts,
                         std::ostream& out) {
  const std::vector<const ReplayMetric*> shown = tune_table_metrics(search);
  std::vector<std::vector<std::string>> cells(2);
  for (const auto& p : opts.params) {
    cells[0].push_back("");
    cells[1].push_back(p.name);
  }
  for (const char* part : {"search:", "held out:"}) {
    cells[0].push_back("|");
    cells[1].push_back("|");
    for (std::size_t k = 0; k < shown.size(); ++k) {
      cells[0].push_back(k == 0 ? part : "");
      cells[1].push_back(shown[k]->name);
    }
  }
  cells[0].push_back("");
  cells[1].push_back("slo");
  for (std::size_t i = 0; i < h.runs.size(); ++i) {
    const HoldoutRun& hr = h.runs[i];
    const TuneRun& run = search.runs[hr.run];
    std::vector<std::string> row;
    for (double v : run.values) row.push_back(tune_value_text(v));
    for (const ReplaySummary* s : {&run.summary, &hr.held}) {
      row.push_back("|");
      for (const auto* m : shown)
        row.push_back(!hr.error.empty() && s == &hr.held ? "failed"
                      : metric_measured(*m, *s)          ? format_metric(*m, *s)
                                                         : "-");
    }
    row.push_back(static_cast<int>(i) == h.best ? "best"
                  : !hr.meets_slo               ? "no"
                  : hr.meets_search_slo         ? "yes"
                                                : "held out only");
    cells.push_back(std::move(row));
  }
  print_text_table(cells, out, {0, false, 2});
}

std::string holdout_snippet(const Config& config, const TuneOptions& opts, const TuneResult& search,
                            const HoldoutResult& h) {
  const HoldoutRun& pick = h.runs.at(static_cast<std::size_t>(h.best));
  std::string snippet = tune_snippet(config, opts, search.runs[pick.run]);
  const std::string note = "  // judged on the held-out part, " + format_timestamp(h.split) +
                           " to " + format_timestamp(h.last) + "; searched on " +
                           format_timestamp(h.first) + " to " + format_timestamp(h.split) + "\n";
  const std::size_t open = snippet.find('\n');
  return open == std::string::npos ? snippet : snippet.insert(open + 1, note);
}

}  // namespace luascale
