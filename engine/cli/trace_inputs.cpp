// engine/cli/trace_inputs.cpp — trace arguments and the Prometheus pull for replay and tune.
#include "engine/cli/trace_inputs.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "adapters/common/options.hpp"
#include "adapters/sources/prometheus/prometheus_api.hpp"
#include "engine/core/units.hpp"
#include "engine/replay/replay.hpp"

namespace luascale::cli {
namespace {

std::string number_text(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

double parse_time_option(const std::string& text, const std::string& option) {
  if (text.empty()) throw std::runtime_error(option + " is required with --prometheus");
  auto t = parse_timestamp(text);
  if (!t)
    throw std::runtime_error(option + ": not a timestamp (unix seconds or RFC 3339): " + text);
  return *t;
}

// The server --prometheus names, read as the "prometheus" source reads its "url" (credentials in
// the URL become basic auth).
adapters::HttpEndpoint prometheus_server(const std::string& url) {
  Value options = Value::object();
  options.set("url", Value(url));
  try {
    return prometheus::server_from_options(adapters::Options(options, "--prometheus", ""));
  } catch (const adapters::OptionError& e) {
    throw std::runtime_error(e.what());
  }
}

}  // namespace

ResolvedTraces::ResolvedTraces(ResolvedTraces&& other) noexcept
    : groups(std::move(other.groups)), temp_dir_(std::move(other.temp_dir_)) {
  other.temp_dir_.clear();
}

ResolvedTraces::~ResolvedTraces() {
  if (temp_dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(temp_dir_, ec);
}

void pull_prometheus_csv(const PrometheusPullCli& pull, const std::string& csv_path, bool quiet) {
  const adapters::HttpEndpoint server = prometheus_server(pull.url);
  const double start = parse_time_option(pull.start, "--start");
  const double end = parse_time_option(pull.end, "--end");
  if (end < start) throw std::runtime_error("--end is before --start");
  auto step = parse_duration(pull.step);
  if (!step || *step <= 0)
    throw std::runtime_error("--step: not a positive duration: " + pull.step);
  auto timeout = parse_duration(pull.timeout);
  if (!timeout || *timeout <= 0)
    throw std::runtime_error("--timeout: not a positive duration: " + pull.timeout);
  if (pull.queries.empty())
    throw std::runtime_error("--prometheus needs at least one --query NAME=PROMQL");

  std::vector<NamedSeries> columns;
  for (const auto& q : pull.queries) {
    auto eq = q.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == q.size())
      throw std::runtime_error("--query " + q + ": expected NAME=PROMQL");
    const std::string name = q.substr(0, eq);
    const std::string what = "prometheus query " + name;
    auto series = prometheus::pull_range(
        server, prometheus::RangeQuery{q.substr(eq + 1), start, end, *step},
        std::chrono::milliseconds(static_cast<long long>(*timeout * 1000)), what,
        [&](double chunk_end, std::size_t series_so_far) {
          if (!quiet)
            std::cerr << "pulled " << name << " up to " << format_timestamp(chunk_end) << " ("
                      << series_so_far << " series)\n";
        });
    if (series.empty())
      throw std::runtime_error(what +
                               ": no series over the whole range (the query matched nothing)");
    auto names = series_column_names(series, name, what);
    for (std::size_t i = 0; i < series.size(); ++i) {
      for (const auto& c : columns)
        if (c.column == names[i])
          throw std::runtime_error("--query " + name + ": column \"" + names[i] + "\" given twice");
      columns.push_back(NamedSeries{names[i], std::move(series[i])});
    }
  }

  auto merged = merged_series_trace(std::move(columns), server.url.to_string());
  std::ofstream out(csv_path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(csv_path + ": cannot write");
  std::string line = "timestamp";
  for (const auto& c : merged->columns()) line += "," + csv_field(c);
  out << line << '\n';
  TraceRow row;
  while (merged->next(row)) {
    line = number_text(row.time);
    for (double v : row.numbers) {
      line += ',';
      if (!std::isnan(v)) line += number_text(v);
    }
    line += '\n';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  out.flush();
  if (!out) throw std::runtime_error(csv_path + ": write failed");
}

ResolvedTraces resolve_traces(const std::vector<std::string>& traces, const PrometheusPullCli& pull,
                              bool quiet) {
  ResolvedTraces r;
  r.groups = group_trace_args(traces);
  if (!pull.url.empty()) {
    std::string csv = pull.save_trace;
    if (csv.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "luascale-pull-XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
      r.temp_dir_ = tmpl;
      csv = tmpl + "/prometheus.csv";
    }
    pull_prometheus_csv(pull, csv, quiet);
    r.groups.push_back({TraceArg{"", csv}});
  } else if (!pull.queries.empty() || !pull.save_trace.empty()) {
    throw std::runtime_error("--query and --save-trace need --prometheus URL");
  }
  if (r.groups.empty())
    throw std::runtime_error(
        "no trace: give --trace FILE (or --prometheus URL --query NAME=PROMQL)");
  return r;
}

}  // namespace luascale::cli
