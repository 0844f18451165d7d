// engine/cli/trace_inputs.cpp — trace arguments and the Prometheus pull for replay and tune.
#include "engine/cli/trace_inputs.hpp"

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>

#include "adapters/net/http_client.hpp"
#include "adapters/net/url.hpp"
#include "engine/core/units.hpp"
#include "engine/replay/replay.hpp"

namespace luascale::cli {
namespace {

constexpr double kMaxStepsPerRequest = 10000;  // Prometheus refuses > 11,000 points per series

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
  std::string url_error;
  auto base = net::parse_url(pull.url, &url_error);
  if (!base) throw std::runtime_error("--prometheus: " + url_error);
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

  std::string endpoint = pull.url;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  endpoint += "/api/v1/query_range";

  std::vector<NamedSeries> columns;
  for (const auto& q : pull.queries) {
    auto eq = q.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == q.size())
      throw std::runtime_error("--query " + q + ": expected NAME=PROMQL");
    const std::string name = q.substr(0, eq), promql = q.substr(eq + 1);
    // Series of this query by label set; chunks append in time order.
    std::map<std::vector<std::pair<std::string, std::string>>, PromSeries> by_labels;
    std::vector<std::vector<std::pair<std::string, std::string>>> order;
    const double chunk = *step * kMaxStepsPerRequest;
    for (double s = start; s <= end; s += chunk + *step) {
      const double e = std::min(end, s + chunk);
      net::HttpRequest req;
      req.method = "POST";  // long queries fit; Prometheus takes the form body
      req.url = endpoint;
      req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
      req.body = net::build_query({{"query", promql},
                                   {"start", number_text(s)},
                                   {"end", number_text(e)},
                                   {"step", number_text(*step)}});
      req.timeout = std::chrono::milliseconds(static_cast<long long>(*timeout * 1000));
      req.max_body_bytes = 256 * 1024 * 1024;
      const std::string source = "prometheus query " + name + " [" + format_timestamp(s) + ", " +
                                 format_timestamp(e) + "]";
      net::HttpResult res = net::http_request_sync(req);
      if (!res.ok()) throw std::runtime_error(source + ": " + res.error);
      if (res.status != 200 && (res.body.empty() || res.body.front() != '{'))
        throw std::runtime_error(source + ": HTTP " + std::to_string(res.status) + ": " +
                                 res.body.substr(0, 200));
      std::vector<PromSeries> got;
      try {
        got = parse_query_range(res.body, source);
      } catch (const TraceError& err) {
        // An empty chunk is a gap, not an error: the query may match nothing for a while.
        if (std::string(err.what()).find("no series (the query matched nothing)") ==
            std::string::npos)
          throw;
      }
      for (auto& series : got) {
        auto it = by_labels.find(series.labels);
        if (it == by_labels.end()) {
          order.push_back(series.labels);
          by_labels.emplace(series.labels, std::move(series));
        } else {
          auto& dst = it->second.samples;
          dst.insert(dst.end(), series.samples.begin(), series.samples.end());
        }
      }
      if (!quiet)
        std::cerr << "pulled " << name << " up to " << format_timestamp(e) << " ("
                  << by_labels.size() << " series)\n";
    }
    if (by_labels.empty())
      throw std::runtime_error("prometheus query " + name +
                               ": no series over the whole range (the query matched nothing)");
    std::vector<PromSeries> series;
    for (const auto& labels : order) series.push_back(std::move(by_labels[labels]));
    auto names = series_column_names(series, name, "prometheus query " + name);
    for (std::size_t i = 0; i < series.size(); ++i) {
      for (const auto& c : columns)
        if (c.column == names[i])
          throw std::runtime_error("--query " + name + ": column \"" + names[i] + "\" given twice");
      columns.push_back(NamedSeries{names[i], std::move(series[i])});
    }
  }

  auto merged = merged_series_trace(std::move(columns), pull.url);
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
