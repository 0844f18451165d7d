// engine/cli/trace_inputs.cpp — trace arguments and the Prometheus pull for replay and tune.
#include "engine/cli/trace_inputs.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>

#include <boost/asio/io_context.hpp>

#include "adapters/common/aws_options.hpp"
#include "adapters/common/http_support.hpp"
#include "adapters/common/options.hpp"
#include "adapters/sources/cloudwatch/cloudwatch_source.hpp"
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

double parse_time_option(const std::string& text, const std::string& option,
                         const char* with = "--prometheus") {
  if (text.empty()) throw std::runtime_error(option + " is required with " + with);
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

// Writes the columns merged by timestamp as a CSV trace.
static void write_merged_csv(std::vector<NamedSeries> columns, const std::string& name,
                             const std::string& csv_path);

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

  write_merged_csv(std::move(columns), server.url.to_string(), csv_path);
}

static void write_merged_csv(std::vector<NamedSeries> columns, const std::string& name,
                             const std::string& csv_path) {
  auto merged = merged_series_trace(std::move(columns), name);
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

void pull_cloudwatch_csv(const PrometheusPullCli& pull, const std::string& csv_path, bool quiet) {
  const double start = parse_time_option(pull.start, "--start", "--cloudwatch");
  const double end = parse_time_option(pull.end, "--end", "--cloudwatch");
  if (!(start < end)) throw std::runtime_error("--end is not after --start");
  auto timeout = parse_duration(pull.timeout);
  if (!timeout || *timeout <= 0)
    throw std::runtime_error("--timeout: not a positive duration: " + pull.timeout);
  boost::asio::io_context io;
  std::vector<NamedSeries> columns;
  for (const auto& spec : pull.cloudwatch) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw std::runtime_error("--cloudwatch " + spec + ": expected NAME=JSON");
    const std::string name = spec.substr(0, eq);
    const std::string what = "--cloudwatch " + name;
    Value options;
    try {
      options = parse_json(spec.substr(eq + 1));
    } catch (const std::exception& e) {
      throw std::runtime_error(what + ": not a JSON object: " + e.what());
    }
    if (!options.is_object()) throw std::runtime_error(what + ": not a JSON object");
    std::shared_ptr<aws::QueryClient> client;
    std::vector<cloudwatch::MetricQuery> queries;
    std::string result_id, error;
    try {
      const adapters::Options opt(options, what, "");
      queries = cloudwatch::queries_from_options(opt, &result_id);
      aws::ServiceSettings settings = adapters::aws_settings(opt, *timeout);
      settings.endpoint = opt.string("endpoint").value_or("");
      client = aws::make_service_client(
          io, adapters::shared_http_client(io, opt.tls()),
          {"CloudWatch", "monitoring", "monitoring", "2010-08-01", ""}, settings, &error);
    } catch (const adapters::OptionError& e) {
      throw std::runtime_error(e.what());
    }
    if (!client) throw std::runtime_error(what + ": " + error);
    std::int64_t period = 0;
    for (const auto& q : queries)
      if (q.expression.empty())
        period = period ? std::min(period, q.period_seconds) : q.period_seconds;
    // Chunks of at most 10,000 periods: a few pages each, well inside one call's 100,800 points.
    const double chunk = static_cast<double>(std::max<std::int64_t>(period, 1)) * 10000;
    PromSeries series;
    for (double from = start; from < end; from += chunk) {
      const double to = std::min(end, from + chunk);
      std::optional<cloudwatch::MetricDataOutcome> got;
      cloudwatch::get_metric_data(client, queries, from, to, 100, nullptr,
                                  [&](cloudwatch::MetricDataOutcome o) { got = std::move(o); });
      io.restart();
      while (!got && io.run_one()) {
      }
      if (!got) throw std::runtime_error(what + ": no answer");
      if (!got->query.ok())
        throw std::runtime_error(what + ": chunk " + format_timestamp(from) + " .. " +
                                 format_timestamp(to) + ": " + got->query.error);
      for (const auto& s : got->series)
        if (s.id == result_id)
          series.samples.insert(series.samples.end(), s.points.begin(), s.points.end());
      if (!quiet)
        std::cerr << "pulled " << name << " up to " << format_timestamp(to) << " ("
                  << series.samples.size() << " datapoints)\n";
    }
    std::sort(series.samples.begin(), series.samples.end());
    series.samples.erase(
        std::unique(series.samples.begin(), series.samples.end(),
                    [](const auto& a, const auto& b) { return a.first == b.first; }),
        series.samples.end());
    if (series.samples.empty())
      throw std::runtime_error(what + ": no datapoints over the whole range");
    for (const auto& c : columns)
      if (c.column == name) throw std::runtime_error(what + ": given twice");
    columns.push_back(NamedSeries{name, std::move(series)});
  }
  write_merged_csv(std::move(columns), "cloudwatch", csv_path);
}

ResolvedTraces resolve_traces(const std::vector<std::string>& traces, const PrometheusPullCli& pull,
                              bool quiet) {
  ResolvedTraces r;
  r.groups = group_trace_args(traces);
  if (!pull.url.empty() && !pull.cloudwatch.empty())
    throw std::runtime_error("--prometheus and --cloudwatch: pull from one of them at a time");
  if (!pull.url.empty() || !pull.cloudwatch.empty()) {
    std::string csv = pull.save_trace;
    if (csv.empty()) {
      std::string tmpl = (std::filesystem::temp_directory_path() / "luascale-pull-XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
      r.temp_dir_ = tmpl;
      csv = tmpl + "/pulled.csv";
    }
    if (!pull.url.empty())
      pull_prometheus_csv(pull, csv, quiet);
    else
      pull_cloudwatch_csv(pull, csv, quiet);
    r.groups.push_back({TraceArg{"", csv}});
  } else if (!pull.queries.empty() || !pull.save_trace.empty()) {
    throw std::runtime_error("--query and --save-trace need --prometheus URL (or --cloudwatch)");
  }
  if (r.groups.empty())
    throw std::runtime_error(
        "no trace: give --trace FILE (or --prometheus URL --query NAME=PROMQL, or --cloudwatch "
        "NAME=JSON)");
  return r;
}

}  // namespace luascale::cli
