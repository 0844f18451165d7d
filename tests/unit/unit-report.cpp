// tests/unit/unit-report.cpp — the HTML replay report: self-contained, escaped, the expected
// elements per policy, bounded in size.
#include <doctest/doctest.h>

#include <cmath>
#include <regex>
#include <sstream>

#include "engine/replay/report.hpp"
#include "fixtures.hpp"

using namespace luascale;

namespace {

// Two policies over six hours at 15 s: a daily-ish wave of demand, one under-provisioned
// stretch, scale events and one error.
void sample(std::vector<ReplaySummary>& rows, std::vector<ReplaySeries>& series) {
  for (int k = 0; k < 2; ++k) {
    ReplaySeries s(512);
    s.policy = k == 0 ? "hpa" : "predictive <b>&co</b>";
    s.demand_label = "requests_per_second";
    std::int64_t replicas = 2, prev = 2;
    for (int i = 0; i < 1440; ++i) {
      SeriesPoint p;
      p.time = 1700000000.0 + i * 15;
      p.demand = 100 + 80 * std::sin(i / 150.0);
      if (i >= 300 && i < 320) p.demand = NAN;  // a gap in the trace
      p.utilization = p.demand / (static_cast<double>(replicas) * 60) * 100;
      replicas = std::max<std::int64_t>(
          1, static_cast<std::int64_t>(
                 std::ceil((p.demand == p.demand ? p.demand : 100) / (k ? 45 : 50))));
      p.replicas = replicas;
      p.ready = i % 200 < 4 ? replicas - 1 : replicas;
      p.recommended = replicas + (i % 97 == 0 ? 1 : 0);
      p.nodes = k == 1 ? (replicas + 2) / 3 : -1;
      p.under = i > 600 && i < 680;
      p.scaled = replicas != prev;
      p.error = k == 1 && i == 900;
      prev = replicas;
      s.add(p);
    }
    series.push_back(std::move(s));
    ReplaySummary r;
    r.policy = series.back().policy;
    r.script = k == 0 ? "policies/hpa.lua" : "policies/predictive.lua";
    r.trace = "trace.csv";
    r.has_demand = true;
    r.has_nodes = k == 1;
    r.first_time = 1700000000;
    r.last_time = 1700000000 + 1439 * 15;
    r.ticks = 1440;
    r.replica_seconds = 3.5 * 6 * 3600 + k * 1000;
    r.under_ticks = 79;
    r.under_seconds = 79 * 15;
    r.scale_ups = 10 + k;
    r.scale_downs = 9;
    r.direction_changes = 18;
    r.errors = k;
    r.first_error = k ? "2023-11-14T23:00:00Z: boom <script>" : "";
    r.bound_by["scaleUpLimit"] = 3;
    r.max_replicas = 4;
    r.min_replicas = 1;
    rows.push_back(r);
  }
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("html_escape escapes the five special characters") {
  CHECK(html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(html_escape("plain") == "plain");
}

TEST_CASE("the report holds the comparison table and per-policy charts") {
  std::vector<ReplaySummary> rows;
  std::vector<ReplaySeries> series;
  sample(rows, series);
  std::ostringstream out;
  render_html_report(out, "Replay <report>", rows, series);
  std::string html = out.str();
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count(html, "<table class=\"comparison\">") == 1);
  CHECK(count(html, "<section class=\"policy\"") == 2);
  CHECK(count(html, "<svg class=\"chart demand-chart\"") == 2);
  CHECK(count(html, "<svg class=\"chart replicas-chart\"") == 2);
  CHECK(count(html, "<svg class=\"chart strip\"") == 2);
  CHECK(count(html, "<path class=\"nodes\"") == 1);  // only the policy that simulates nodes
  CHECK(count(html, "<rect class=\"error-mark\"") >= 1);
  CHECK(count(html, "<line class=\"scale-event") >= 10);
  // One contiguous under-provisioned stretch, shaded in both charts of both policies.
  CHECK(count(html, "<rect class=\"under\"") == 4);
  // The demand gap breaks the line: two pieces.
  std::smatch m;
  REQUIRE(std::regex_search(html, m, std::regex("<path class=\"demand\" d=\"([^\"]*)\"")));
  CHECK(count(m[1].str(), "M") == 2);
  // Escaped, and nothing external or scripted.
  CHECK(html.find("<b>&co</b>") == std::string::npos);
  CHECK(html.find("predictive &lt;b&gt;&amp;co&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("boom &lt;script&gt;") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("<title>Replay &lt;report&gt;</title>") != std::string::npos);
  // The cheaper policy's replica-hours are marked best.
  CHECK(html.find("<td class=\"best\">21.0</td>") != std::string::npos);
}

TEST_CASE("the report size is bounded by the series capacity, not the trace length") {
  std::vector<ReplaySummary> rows(1);
  std::vector<ReplaySeries> series;
  series.emplace_back(256);
  for (int i = 0; i < 200000; ++i) {
    SeriesPoint p;
    p.time = i * 15.0;
    p.demand = i % 1000;
    p.replicas = 1 + i % 7;
    p.ready = p.replicas;
    p.scaled = true;
    series.back().add(p);
  }
  rows[0].ticks = 200000;
  rows[0].last_time = 199999 * 15.0;
  std::ostringstream out;
  render_html_report(out, "big", rows, series);
  CHECK(out.str().size() < 200 * 1024);
}

TEST_CASE("write_html_report replaces the file and reports unwritable paths") {
  test::TempDir dir;
  std::vector<ReplaySummary> rows;
  std::vector<ReplaySeries> series;
  sample(rows, series);
  std::string err;
  auto path = (dir.path() / "r.html").string();
  REQUIRE(write_html_report(path, "t", rows, series, &err));
  CHECK(test::read_file(path).find("</html>") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  CHECK_FALSE(
      write_html_report((dir.path() / "no/such/dir/r.html").string(), "t", rows, series, &err));
  CHECK(err.find("no/such/dir/r.html: cannot write") != std::string::npos);
}

TEST_CASE("without a demand model under-provisioning is not shown as measured") {
  std::vector<ReplaySummary> rows(1);
  rows[0].policy = "p";
  rows[0].ticks = 10;
  std::ostringstream out;
  render_html_report(out, "t", rows, {});
  CHECK(out.str().find("under-provisioned") == std::string::npos);
  CHECK(out.str().find("node-hours") == std::string::npos);
}

TEST_CASE("an empty report still renders") {
  std::ostringstream out;
  render_html_report(out, "nothing", {}, {});
  CHECK(out.str().find("No replays to report.") != std::string::npos);
}
