// engine/cli/trace_inputs.hpp — where `replay` and `tune` get their traces: `--trace` files
// (CSV, JSON Lines, Prometheus query_range answers as NAME=FILE), a pull from a Prometheus
// server (`--prometheus URL --query NAME=PROMQL --start T --end T --step 15s`) or from CloudWatch
// (`--cloudwatch NAME=JSON --start T --end T`, the JSON being a cloudwatch signal's keys).
#pragma once

#include <string>
#include <vector>

#include "engine/replay/prometheus_trace.hpp"

namespace luascale::cli {

struct PrometheusPullCli {
  std::string url;                   // --prometheus: base URL ("http://127.0.0.1:9090")
  std::vector<std::string> queries;  // --query NAME=PROMQL (repeatable)
  std::string start, end;            // unix seconds or RFC 3339
  std::string step = "15s";
  // --cloudwatch NAME=JSON (repeatable): the keys of a "cloudwatch" signal (namespace,
  // metric_name, dimensions, statistic, period or queries, region, endpoint...).
  std::vector<std::string> cloudwatch;
  std::string save_trace;       // --save-trace: keep the pulled trace as this CSV
  std::string timeout = "60s";  // per HTTP request
};

// The traces to replay, each a group of arguments for open_trace_args(). A pull is written to a
// CSV file (the --save-trace path, else a temporary file removed with this object).
class ResolvedTraces {
 public:
  ResolvedTraces() = default;
  ResolvedTraces(const ResolvedTraces&) = delete;
  ResolvedTraces& operator=(const ResolvedTraces&) = delete;
  ResolvedTraces(ResolvedTraces&& other) noexcept;
  ResolvedTraces& operator=(ResolvedTraces&&) = delete;
  ~ResolvedTraces();
  std::vector<std::vector<TraceArg>> groups;

 private:
  friend ResolvedTraces resolve_traces(const std::vector<std::string>&, const PrometheusPullCli&,
                                       bool);
  std::string temp_dir_;
};

// Groups the --trace arguments and runs the pull, if any. Throws std::runtime_error naming the
// option at fault; `quiet` silences the progress lines on stderr.
ResolvedTraces resolve_traces(const std::vector<std::string>& traces, const PrometheusPullCli& pull,
                              bool quiet);

// Pulls every query over [start, end] at `step` (prometheus::pull_range: the Prometheus API
// client, in chunks the server accepts) and writes one CSV trace: `timestamp,<column>...`,
// columns named as series_column_names() names them. Throws.
void pull_prometheus_csv(const PrometheusPullCli& pull, const std::string& csv_path, bool quiet);

// Pulls every --cloudwatch metric's datapoints over [start, end) with GetMetricData (the
// cloudwatch source's client, chunks of at most 10,000 periods, every page followed) and writes
// one CSV trace with a column per NAME, a row per datapoint time. Throws.
void pull_cloudwatch_csv(const PrometheusPullCli& pull, const std::string& csv_path, bool quiet);

}  // namespace luascale::cli
