// tests/unit/unit-report.cpp — the HTML replay report: self-contained, escaped, the expected
// elements per policy, every peak kept, the SLO verdict and "best" among the policies meeting
// it, what was replayed shown, bounded in size.
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
ReportInputs sample() {
  ReportInputs in;
  in.title = "Replay <report>";
  in.command = "luascale replay c.json --trace trace.csv --report r.html";
  in.config_path = "c.json";
  in.model_json = "{\"demand\": \"requests_per_second\"}";
  for (int k = 0; k < 2; ++k) {
    ReplaySeries s(512);
    s.policy = k == 0 ? "api/hpa.lua" : "api/predictive <b>&co</b>";
    s.demand_label = "requests_per_second";
    s.demand_model = true;
    std::int64_t replicas = 2, prev = 2;
    for (int i = 0; i < 1440; ++i) {
      SeriesPoint p;
      p.time = 1700000000.0 + i * 15;
      p.demand = 100 + 80 * std::sin(i / 150.0);
      if (i >= 300 && i < 320) p.demand = NAN;  // a gap in the trace
      p.utilization = p.demand / (static_cast<double>(replicas) * 60) * 100 * (k ? 3 : 1);
      replicas = std::max<std::int64_t>(
          1, static_cast<std::int64_t>(
                 std::ceil((p.demand == p.demand ? p.demand : 100) / (k ? 45 : 50))));
      p.replicas = replicas;
      p.ready = i % 200 < 4 ? replicas - 1 : replicas;
      p.recommended = replicas + (i % 97 == 0 ? 1 : 0);
      p.nodes = k == 1 ? (replicas + 2) / 3 : -1;
      p.under = i > 600 && i < 680;
      p.scaled = replicas > prev ? 1 : replicas < prev ? -1 : 0;
      p.error = k == 1 && i == 900;
      prev = replicas;
      s.add(p);
    }
    in.series.push_back(std::move(s));
    ReplaySummary r;
    r.policy = in.series.back().policy;
    r.script = k == 0 ? "policies/hpa.lua" : "policies/predictive.lua";
    r.trace = "trace.csv";
    r.rows = 1440;
    r.has_demand = true;
    r.has_nodes = k == 1;
    r.first_time = 1700000000;
    r.last_time = 1700000000 + 1439 * 15;
    r.ticks = 1440;
    r.replica_seconds = 3.5 * 6 * 3600 + k * 1000;
    r.under_ticks = 79 + k * 100;
    r.under_seconds = r.under_ticks * 15;
    r.scale_ups = 10 + k;
    r.scale_downs = 9;
    r.direction_changes = 18;
    r.errors = k;
    r.first_error = k ? "2023-11-14T23:00:00Z: boom <script>" : "";
    r.bound_by["scaleUpLimit"] = 3;
    r.max_replicas = 4;
    r.min_replicas = 1;
    in.rows.push_back(r);
    ReportPolicy pol;
    pol.params_json = "{\"target\": " + std::to_string(70 + k) + "}";
    pol.guardrails_json = "{\"maxReplicas\": 9}";
    pol.interval_seconds = 15;
    in.policies.push_back(pol);
  }
  return in;
}

std::string render(const ReportInputs& in) {
  std::ostringstream out;
  render_html_report(out, in);
  return out.str();
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

// The y coordinates of every point of an SVG path (M/L x y, V y).
std::vector<double> path_ys(const std::string& d) {
  std::vector<double> ys;
  std::regex point("([MLV])([-0-9.]+)(?: ([-0-9.]+))?");
  for (auto it = std::sregex_iterator(d.begin(), d.end(), point); it != std::sregex_iterator();
       ++it) {
    const auto& m = *it;
    ys.push_back(std::stod(m[1] == "V" ? m[2].str() : m[3].str()));
  }
  return ys;
}

std::vector<std::string> paths(const std::string& html, const std::string& cls) {
  std::vector<std::string> out;
  std::regex re("<path class=\"" + cls + "\" d=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back((*it)[1].str());
  return out;
}

// The 200,000-tick trace of the issue: demand 10, one tick of 1,000; replicas 2, one tick of 9.
ReportInputs long_trace(std::size_t capacity) {
  ReportInputs in;
  in.series.emplace_back(capacity);
  in.series.back().demand_label = "rps";
  in.series.back().demand_model = true;
  for (int i = 0; i < 200000; ++i) {
    SeriesPoint p;
    p.time = i * 15.0;
    p.demand = i == 123457 ? 1000 : 10;
    p.replicas = i == 123457 ? 9 : 2;
    p.ready = p.replicas;
    p.scaled = i == 123457 ? 1 : i == 123458 ? -1 : (i % 3 == 0 ? 1 : 0);
    in.series.back().add(p);
  }
  in.rows.resize(1);
  in.rows[0].policy = "p";
  in.rows[0].ticks = 200000;
  in.rows[0].max_replicas = 9;
  in.rows[0].last_time = 199999 * 15.0;
  return in;
}

}  // namespace

TEST_CASE("html_escape escapes the five special characters") {
  CHECK(html_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&#39;");
  CHECK(html_escape("plain") == "plain");
}

TEST_CASE("the report holds the comparison table and per-policy charts") {
  std::string html = render(sample());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count(html, "<table class=\"comparison\">") == 1);
  CHECK(count(html, "<section class=\"policy\"") == 2);
  CHECK(count(html, "<svg class=\"chart demand-chart\"") == 2);
  CHECK(count(html, "<svg class=\"chart replicas-chart\"") == 2);
  CHECK(count(html, "<svg class=\"chart strip\"") == 2);
  CHECK(count(html, "<path class=\"nodes\"") == 1);  // only the policy that simulates nodes
  CHECK(count(html, "<rect class=\"error-mark\"") == 1);
  CHECK(count(html, "<rect class=\"scale-event up\"") >= 5);
  CHECK(count(html, "<rect class=\"scale-event down\"") >= 5);
  // One contiguous under-provisioned stretch, shaded in both charts of both policies.
  CHECK(count(html, "<rect class=\"under\"") == 4);
  // The demand gap breaks the line: two pieces.
  auto demand = paths(html, "demand");
  REQUIRE(demand.size() == 2);
  CHECK(count(demand[0], "M") == 2);
  // Escaped, and nothing external or scripted.
  CHECK(html.find("<b>&co</b>") == std::string::npos);
  CHECK(html.find("predictive &lt;b&gt;&amp;co&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("boom &lt;script&gt;") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.find("<title>Replay &lt;report&gt;</title>") != std::string::npos);
  // Columns are the policies' names, with their scripts beneath.
  CHECK(html.find("<th><a href=\"#policy-0\">api/hpa.lua</a><span class=\"script\">"
                  "policies/hpa.lua</span></th>") != std::string::npos);
  // Without --slo the cheaper policy's replica_hours are marked best.
  CHECK(html.find("<td class=\"best\">21.0</td>") != std::string::npos);
  CHECK(html.find("class=\"verdict\"") == std::string::npos);
}

TEST_CASE(
    "the report shows what was replayed: command, config, traces, model, params, "
    "guardrails") {
  std::string html = render(sample());
  CHECK(html.find("<code>luascale replay c.json --trace trace.csv --report r.html</code>") !=
        std::string::npos);
  CHECK(html.find("<dt>config</dt><dd><code>c.json</code></dd>") != std::string::npos);
  CHECK(html.find("<li><code>trace.csv</code>: 1440 rows replayed, 2023-11-14T22:13:20Z – "
                  "2023-11-15T04:13:05Z (6h)</li>") != std::string::npos);
  CHECK(html.find("{&quot;demand&quot;: &quot;requests_per_second&quot;}") != std::string::npos);
  CHECK(html.find("<pre class=\"params\">{&quot;target&quot;: 70}</pre>") != std::string::npos);
  CHECK(html.find("<pre class=\"params\">{&quot;target&quot;: 71}</pre>") != std::string::npos);
  CHECK(count(html, "<pre class=\"guardrails\">{&quot;maxReplicas&quot;: 9}</pre>") == 2);
  CHECK(html.find(", every 15s</p>") != std::string::npos);
  // Metrics by their names, values printed as the summary table prints them.
  CHECK(html.find("<code>under</code>") != std::string::npos);
  CHECK(html.find("<td>12.43%</td>") != std::string::npos);  // 179 of 1440 ticks
  CHECK(html.find("<code>under_time</code>") != std::string::npos);
  CHECK(html.find("44m45s") != std::string::npos);  // 179 ticks of 15 s
}

TEST_CASE("--slo: a verdict per policy, and best only among the policies that meet it") {
  ReportInputs in = sample();
  in.slos.push_back(parse_slo("under=10%"));  // the first policy (5.49 %) meets it, not the second
  std::string html = render(in);
  CHECK(count(html, "<td class=\"meets\">meets</td>") == 1);
  CHECK(html.find("<td class=\"misses\">misses: under 12.43% &gt; 10.00%, errors 1 &gt; 0</td>") !=
        std::string::npos);
  // The second policy is cheaper, but misses: with one policy left, nothing is marked best.
  CHECK(html.find("class=\"best\"") == std::string::npos);
  CHECK(html.find("<code>under=10%, errors=0</code>") != std::string::npos);

  // Both meet a looser SLO: best is marked again, and goes to the cheaper.
  ReportInputs loose = sample();
  loose.slos.push_back(parse_slo("under=20%"));
  loose.slos.push_back(parse_slo("errors=1"));
  std::string html2 = render(loose);
  CHECK(count(html2, "<td class=\"meets\">meets</td>") == 2);
  CHECK(html2.find("<td class=\"best\">21.0</td>") != std::string::npos);
}

TEST_CASE("one utilization axis, the time zone on the time axis, demand named only with a model") {
  const ReportInputs in = sample();
  std::string html = render(in);
  auto util_max = [](const ReplaySeries& s) {
    double m = 0;
    for (const auto& b : s.buckets()) m = std::max(m, b.utilization.max);
    return m;
  };
  // Both policies' right axes end at the same top: the busier one's, far above the other's.
  std::regex top("text-anchor=\"start\">([0-9.]+)%</text>");
  std::vector<std::string> tops;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), top); it != std::sregex_iterator();
       ++it)
    tops.push_back((*it)[1].str());
  REQUIRE(!tops.empty());
  const double highest = std::stod(*std::max_element(
      tops.begin(), tops.end(), [](auto& a, auto& b) { return std::stod(a) < std::stod(b); }));
  CHECK(highest >= util_max(in.series[1]));
  CHECK(util_max(in.series[0]) < highest / 1.5);
  CHECK(count(html, ">" + std::to_string(static_cast<int>(highest)) + "%</text>") == 2);
  CHECK(count(html, "text-anchor=\"start\">UTC</text>") == 4);  // each chart's time axis
  CHECK(html.find("demand: requests_per_second (left axis)") != std::string::npos);

  ReportInputs plain = sample();
  for (auto& s : plain.series) s.demand_model = false;
  for (auto& r : plain.rows) r.has_demand = false;
  plain.model_json.clear();
  std::string html2 = render(plain);
  CHECK(html2.find("signal requests_per_second (left axis)") != std::string::npos);
  CHECK(html2.find("demand:") == std::string::npos);
  CHECK(html2.find("<path class=\"demand\"") == std::string::npos);
  CHECK(html2.find("<path class=\"signal\"") != std::string::npos);
  CHECK(html2.find("under-provisioning is not measured") != std::string::npos);
}

TEST_CASE("the charts keep every bucket's extremes: the chart's maximum is the data's") {
  ReportInputs in = long_trace(4096);
  std::string html = render(in);
  // The demand line reaches the one tick of 1,000 (the axis top, y = 10) and the axis says so.
  auto demand = paths(html, "demand");
  REQUIRE(demand.size() == 1);
  auto ys = path_ys(demand[0]);
  REQUIRE(!ys.empty());
  CHECK(*std::min_element(ys.begin(), ys.end()) == doctest::Approx(10.0));
  CHECK(html.find(">max 1000</text>") != std::string::npos);
  CHECK(html.find(">1000</text>") != std::string::npos);  // the left axis' top tick
  // The replicas line reaches 9, the table's max_replicas.
  auto replicas = paths(html, "replicas");
  REQUIRE(replicas.size() == 1);
  auto ry = path_ys(replicas[0]);
  const double top_y = *std::min_element(ry.begin(), ry.end());
  CHECK(html.find(">max 9</text>") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(html, m,
                            std::regex("<td>([0-9]+)</td></tr>\n<tr><th scope=\"row\">"
                                       "<code>final_replicas")));
  CHECK(m[1].str() == "9");
  CHECK(top_y == doctest::Approx(146 - 0.9 * 136));  // 9 on an axis to 10: the spike is drawn
}

TEST_CASE("event strips stay readable on long traces: bars per stretch, never more than fit") {
  ReportInputs in = long_trace(4096);
  std::string html = render(in);
  const std::size_t ups = count(html, "<rect class=\"scale-event up\"");
  CHECK(ups > 100);
  CHECK(ups <= 240);
  CHECK(count(html, "<rect class=\"scale-event down\"") == 1);  // the one scale-down
  // A bar says how many events it holds; the note gives the stretch and the full-height count.
  CHECK(html.find("scale-ups, ") != std::string::npos);
  CHECK(html.find("<p class=\"strip-note\">Each bar counts the events of 3h28m (UTC); a "
                  "full-height bar is ") != std::string::npos);
}

TEST_CASE("the report size is bounded by the series capacity, not the trace length") {
  ReportInputs in = long_trace(256);
  CHECK(render(in).size() < 200 * 1024);
  ReportInputs big = long_trace(4096);
  CHECK(render(big).size() < 400 * 1024);
}

TEST_CASE("write_html_report replaces the file and reports unwritable paths") {
  test::TempDir dir;
  ReportInputs in = sample();
  std::string err;
  auto path = (dir.path() / "r.html").string();
  REQUIRE(write_html_report(path, in, &err));
  CHECK(test::read_file(path).find("</html>") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  CHECK_FALSE(write_html_report((dir.path() / "no/such/dir/r.html").string(), in, &err));
  CHECK(err.find("no/such/dir/r.html: cannot write") != std::string::npos);
}

TEST_CASE("without a demand model under-provisioning is not shown as measured") {
  ReportInputs in;
  in.rows.resize(1);
  in.rows[0].policy = "p";
  in.rows[0].ticks = 10;
  std::string html = render(in);
  CHECK(html.find("<code>under</code>") == std::string::npos);
  CHECK(html.find("<code>node_hours</code>") == std::string::npos);
}

TEST_CASE("an empty report still renders") {
  ReportInputs in;
  CHECK(render(in).find("No replays to report.") != std::string::npos);
}
