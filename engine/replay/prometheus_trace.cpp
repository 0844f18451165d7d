// engine/replay/prometheus_trace.cpp — streaming query_range reader and merged traces.
#include "engine/replay/prometheus_trace.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace luascale {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
using json = nlohmann::json;

// Builds PromSeries from SAX events, tracking the key path for errors. Paths that matter:
//   status, error, errorType, data.resultType, data.result[i].metric.<label>,
//   data.result[i].values[j][0] (time), data.result[i].values[j][1] (value).
class QueryRangeSax : public nlohmann::json_sax<json> {
 public:
  explicit QueryRangeSax(std::string source) : source_(std::move(source)) {}

  std::vector<PromSeries> finish(NoSeries no_series) {
    if (status_ == "error")
      fail_at("status",
              "the query failed: " + (error_type_.empty() ? "" : error_type_ + ": ") + error_);
    if (!saw_root_) fail_at("", "expected a JSON object (a query_range response body)");
    if (status_.empty()) fail_at("status", "missing (not a Prometheus API response?)");
    if (status_ != "success") fail_at("status", "expected \"success\", found \"" + status_ + "\"");
    if (!saw_data_) fail_at("data", "missing");
    if (result_type_.empty()) fail_at("data.resultType", "missing");
    if (result_type_ != "matrix")
      fail_at("data.resultType", "expected \"matrix\" (a /api/v1/query_range answer), found \"" +
                                     result_type_ + "\"" +
                                     (result_type_ == "vector" ? " (an instant query)" : ""));
    if (!saw_result_) fail_at("data.result", "missing");
    if (series_.empty() && no_series == NoSeries::Error)
      fail_at("data.result", "no series (the query matched nothing)");
    for (auto& s : series_) std::sort(s.labels.begin(), s.labels.end());
    return std::move(series_);
  }

  bool null() override { return scalar(Kind::Null, 0, nullptr); }
  bool boolean(bool) override { return scalar(Kind::Other, 0, nullptr); }
  bool number_integer(number_integer_t v) override {
    return scalar(Kind::Number, static_cast<double>(v), nullptr);
  }
  bool number_unsigned(number_unsigned_t v) override {
    return scalar(Kind::Number, static_cast<double>(v), nullptr);
  }
  bool number_float(number_float_t v, const string_t&) override {
    return scalar(Kind::Number, v, nullptr);
  }
  bool string(string_t& s) override { return scalar(Kind::String, 0, &s); }
  bool binary(binary_t&) override { return scalar(Kind::Other, 0, nullptr); }

  bool start_object(std::size_t) override {
    if (frames_.empty()) saw_root_ = true;
    if (in_result_item_position()) series_.emplace_back();
    if (at_data()) saw_data_ = true;
    frames_.push_back(Frame{false, 0, {}});
    return true;
  }
  bool key(string_t& k) override {
    frames_.back().key = k;
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    value_done();
    return true;
  }
  bool start_array(std::size_t) override {
    if (frames_.empty())
      fail_at("", "expected a JSON object (a query_range response body), found an array");
    if (at_result()) saw_result_ = true;
    if (in_values() && frames_.size() == 5) {
      // A [time, "value"] pair starts.
      pair_time_ = kNaN;
      pair_value_ = kNaN;
      pair_count_ = 0;
    }
    frames_.push_back(Frame{true, 0, {}});
    return true;
  }
  bool end_array() override {
    if (frames_.size() == 6 && values_frame()) {
      if (pair_count_ != 2)
        fail_at(path(5),
                "expected [time, \"value\"], found " + std::to_string(pair_count_) + " elements");
      auto& samples = series_.back().samples;
      if (!samples.empty() && pair_time_ <= samples.back().first)
        fail_at(path(5),
                "timestamp " + format_timestamp(pair_time_) +
                    (pair_time_ == samples.back().first ? " repeats" : " goes back in time") +
                    " (previous sample " + format_timestamp(samples.back().first) + ")");
      samples.emplace_back(pair_time_, pair_value_);
    }
    frames_.pop_back();
    value_done();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    std::string what = ex.what();
    auto p = what.find("] ");  // "[json.exception.parse_error.101] parse error at ..."
    if (p != std::string::npos) what = what.substr(p + 2);
    throw TraceError(source_ + ": " + (frames_.empty() ? std::string() : path() + ": ") +
                     "invalid JSON at byte " + std::to_string(position) + ": " + what);
  }

 private:
  enum class Kind { Null, Number, String, Other };
  struct Frame {
    bool array;
    std::size_t index;  // arrays: the element being read
    std::string key;    // objects: the key being read
  };

  // frames_[0] root object, [1] data object, [2] result array, [3] series object,
  // [4] metric object or values array, [5] one pair.
  bool at_data() const {
    return frames_.size() == 1 && !frames_[0].array && frames_[0].key == "data";
  }
  bool at_result() const {
    return frames_.size() == 2 && frames_[0].key == "data" && !frames_[1].array &&
           frames_[1].key == "result";
  }
  bool in_result_item_position() const {
    return frames_.size() == 3 && frames_[0].key == "data" && frames_[1].key == "result" &&
           frames_[2].array;
  }
  bool in_series() const {
    return frames_.size() >= 4 && frames_[0].key == "data" && !frames_[1].array &&
           frames_[1].key == "result" && frames_[2].array && !frames_[3].array;
  }
  bool in_values() const { return in_series() && frames_[3].key == "values"; }
  bool values_frame() const { return in_values() && frames_[4].array && frames_[5].array; }

  bool scalar(Kind kind, double number, string_t* text) {
    if (frames_.empty()) fail_at("", "expected a JSON object (a query_range response body)");
    const std::size_t depth = frames_.size();
    if (depth == 1 && !frames_[0].array) {
      const std::string& k = frames_[0].key;
      if (k == "status" || k == "error" || k == "errorType") {
        std::string v = text ? *text : std::string();
        if (!text) fail_here("expected a string");
        (k == "status" ? status_ : k == "error" ? error_ : error_type_) = v;
      } else if (k == "data") {
        fail_here("expected an object");
      }
    } else if (depth == 2 && frames_[0].key == "data" && !frames_[1].array) {
      if (frames_[1].key == "resultType") {
        if (!text) fail_here("expected a string");
        result_type_ = *text;
      } else if (frames_[1].key == "result") {
        fail_here("expected an array of series");
      }
    } else if (depth == 5 && in_series() && frames_[3].key == "metric" && !frames_[4].array) {
      if (!text) fail_here("expected a string label value");
      series_.back().labels.emplace_back(frames_[4].key, *text);
    } else if (depth == 5 && in_values()) {
      fail_here("expected [time, \"value\"]");
    } else if (depth == 6 && values_frame()) {
      std::size_t i = frames_[5].index;
      ++pair_count_;
      if (i == 0) {
        if (kind == Kind::Number)
          pair_time_ = number;
        else if (kind == Kind::String) {
          auto t = parse_timestamp(*text);
          if (!t) fail_here("bad timestamp \"" + *text + "\"");
          pair_time_ = *t;
        } else {
          fail_here("expected a timestamp (unix seconds)");
        }
        if (!unix_seconds_in_range(pair_time_)) fail_here("bad timestamp");
      } else if (i == 1) {
        if (kind == Kind::Number) {
          pair_value_ = std::isfinite(number) ? number : kNaN;
        } else if (kind == Kind::String) {
          pair_value_ = parse_value(*text);
        } else if (kind == Kind::Null) {
          pair_value_ = kNaN;
        } else {
          fail_here("expected a number as a string");
        }
      }
    }
    value_done();
    return true;
  }

  double parse_value(const std::string& s) {
    if (s == "NaN" || s == "+Inf" || s == "-Inf" || s == "Inf") return kNaN;
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) fail_here("not a number: \"" + s + "\"");
    return std::isfinite(v) ? v : kNaN;
  }

  void value_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }

  // The key path through the first `depth` open containers (all by default).
  std::string path(std::size_t depth = std::string::npos) const {
    std::string p;
    for (std::size_t i = 0; i < frames_.size() && i < depth; ++i) {
      const Frame& f = frames_[i];
      if (f.array) {
        p += "[" + std::to_string(f.index) + "]";
      } else {
        if (!p.empty()) p += '.';
        p += f.key;
      }
    }
    return p;
  }
  [[noreturn]] void fail_here(const std::string& msg) const { fail_at(path(), msg); }
  [[noreturn]] void fail_at(const std::string& where, const std::string& msg) const {
    throw TraceError(source_ + ": " + (where.empty() ? "" : where + ": ") + msg);
  }

  std::string source_;
  std::vector<Frame> frames_;
  std::vector<PromSeries> series_;
  std::string status_, error_, error_type_, result_type_;
  bool saw_root_ = false, saw_data_ = false, saw_result_ = false;
  double pair_time_ = kNaN, pair_value_ = kNaN;
  std::size_t pair_count_ = 0;
};

std::string label_set(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first + "=\"";
    for (char c : labels[i].second) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

const std::string* label(const PromSeries& s, const std::string& name) {
  for (const auto& [k, v] : s.labels)
    if (k == name) return &v;
  return nullptr;
}

class MergedTrace final : public TraceReader {
 public:
  MergedTrace(std::vector<NamedSeries> columns, std::string name) : inputs_(std::move(columns)) {
    name_ = std::move(name);
    format_ = Format::Csv;  // fixed columns
    for (const auto& in : inputs_) {
      if (column(in.column)) throw TraceError(name_ + ": duplicate column \"" + in.column + "\"");
      columns_.push_back(in.column);
    }
    cursor_.assign(inputs_.size(), 0);
  }

  bool next(TraceRow& row) override {
    double t = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < inputs_.size(); ++i)
      if (cursor_[i] < inputs_[i].series.samples.size())
        t = std::min(t, inputs_[i].series.samples[cursor_[i]].first);
    if (!std::isfinite(t)) return false;
    row.time = t;
    row.line = ++rows_;
    row.has_structured = false;
    row.numbers.assign(inputs_.size(), kNaN);
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
      const auto& s = inputs_[i].series.samples;
      // Equal timestamps within one series (never from Prometheus): the last one wins.
      while (cursor_[i] < s.size() && s[cursor_[i]].first == t)
        row.numbers[i] = s[cursor_[i]++].second;
    }
    return true;
  }

 private:
  std::vector<NamedSeries> inputs_;
  std::vector<std::size_t> cursor_;
  std::int64_t rows_ = 0;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<PromSeries> read_query_range_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TraceError(path + ": cannot open: " + std::strerror(errno));
  QueryRangeSax sax(path);
  json::sax_parse(in, &sax);
  return sax.finish(NoSeries::Error);
}

std::vector<PromSeries> parse_query_range(const std::string& text, const std::string& source,
                                          NoSeries no_series) {
  QueryRangeSax sax(source);
  json::sax_parse(text, &sax);
  return sax.finish(no_series);
}

std::vector<std::string> series_column_names(const std::vector<PromSeries>& series,
                                             const std::string& name, const std::string& source) {
  std::vector<std::string> out;
  if (name.empty()) {
    for (std::size_t i = 0; i < series.size(); ++i) {
      const std::string* n = label(series[i], "__name__");
      if (!n)
        throw TraceError(
            source + ": data.result[" + std::to_string(i) +
            "].metric: no __name__ label to name the signal; name it: --trace NAME=" + source);
    }
  }
  if (series.size() == 1) {
    out.push_back(name.empty() ? *label(series[0], "__name__") : name);
    return out;
  }
  // The labels whose values differ between the series (a label missing on a series counts as "").
  std::set<std::string> names;
  for (const auto& s : series)
    for (const auto& [k, v] : s.labels) names.insert(k);
  std::vector<std::string> differing;
  for (const auto& k : names) {
    if (name.empty() && k == "__name__") continue;
    std::set<std::string> values;
    for (const auto& s : series) {
      const std::string* v = label(s, k);
      values.insert(v ? *v : "");
    }
    if (values.size() > 1) differing.push_back(k);
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::vector<std::pair<std::string, std::string>> picked;
    for (const auto& k : differing) {
      const std::string* v = label(series[i], k);
      picked.emplace_back(k, v ? *v : "");
    }
    std::string base = name.empty() ? *label(series[i], "__name__") : name;
    std::string col = picked.empty() ? base : base + label_set(picked);
    if (!seen.insert(col).second)
      throw TraceError(source + ": data.result[" + std::to_string(i) +
                       "]: two series are both named \"" + col + "\"");
    out.push_back(std::move(col));
  }
  return out;
}

std::unique_ptr<TraceReader> merged_series_trace(std::vector<NamedSeries> columns,
                                                 std::string name) {
  return std::make_unique<MergedTrace>(std::move(columns), std::move(name));
}

TraceArg parse_trace_arg(const std::string& arg) {
  // NAME=FILE when the part before '=' looks like a signal name (no path separators).
  auto eq = arg.find('=');
  if (eq != std::string::npos && eq > 0 && arg.find('/') > eq) {
    std::string name = arg.substr(0, eq);
    bool ok = true;
    for (char c : name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
                  c == ':');
    if (ok) return {name, arg.substr(eq + 1)};
  }
  return {"", arg};
}

bool is_query_range_path(const std::string& path) {
  return ends_with(path, ".json");
}

std::unique_ptr<TraceReader> open_trace_args(const std::vector<TraceArg>& args) {
  if (args.empty()) throw TraceError("no trace given");
  if (args.size() == 1 && args[0].name.empty() && !is_query_range_path(args[0].path))
    return TraceReader::open(args[0].path);
  std::vector<NamedSeries> columns;
  for (const auto& a : args) {
    if (!is_query_range_path(a.path))
      throw TraceError(a.path + ": " + (a.name.empty() ? "" : a.name + "=") +
                       "FILE merges Prometheus query_range answers (.json); a CSV or JSON Lines "
                       "trace is given alone");
    auto series = read_query_range_file(a.path);
    auto names = series_column_names(series, a.name, a.path);
    for (std::size_t i = 0; i < series.size(); ++i) {
      for (const auto& c : columns)
        if (c.column == names[i])
          throw TraceError(a.path + ": column \"" + names[i] +
                           "\" is already given by another --trace");
      columns.push_back(NamedSeries{names[i], std::move(series[i])});
    }
  }
  return merged_series_trace(std::move(columns), trace_group_name(args));
}

std::vector<std::vector<TraceArg>> group_trace_args(const std::vector<std::string>& args) {
  std::vector<std::vector<TraceArg>> out;
  std::optional<std::size_t> named;
  for (const auto& a : args) {
    TraceArg t = parse_trace_arg(a);
    if (t.name.empty()) {
      out.push_back({t});
    } else {
      if (!named) {
        named = out.size();
        out.emplace_back();
      }
      out[*named].push_back(t);
    }
  }
  return out;
}

std::string trace_group_name(const std::vector<TraceArg>& group) {
  if (group.size() == 1 && group[0].name.empty()) return group[0].path;
  std::string out;
  for (const auto& a : group) {
    if (!out.empty()) out += '+';
    out += a.name.empty() ? a.path : a.name + "=" + a.path;
  }
  return out;
}

}  // namespace luascale
