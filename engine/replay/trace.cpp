// engine/replay/trace.cpp — CSV and JSON Lines trace readers.
#include "engine/replay/trace.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>

#include "common/time/civil_time.hpp"
#include "common/time/timestamp_text.hpp"
#include "engine/core/csv_text.hpp"

namespace luascale {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<double> parse_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  // Plain integers (timestamps, counts) need no floating-point parse: exact below 2^53.
  if (!s.empty() && s.size() <= 15) {
    std::size_t i = s.front() == '-' ? 1 : 0;
    if (i < s.size()) {
      std::int64_t n = 0;
      std::size_t j = i;
      for (; j < s.size() && s[j] >= '0' && s[j] <= '9'; ++j) n = n * 10 + (s[j] - '0');
      if (j == s.size()) return static_cast<double>(i ? -n : n);
    }
  }
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Buffered line reader over a FILE* or a string.
class Lines {
 public:
  explicit Lines(std::FILE* f) : file_(f) { buf_.resize(1 << 16); }
  explicit Lines(std::string text) : text_(std::move(text)) {}
  ~Lines() {
    if (file_) std::fclose(file_);
  }
  // The next line without its terminator; false at the end.
  bool next(std::string_view& line) {
    if (!file_) {
      if (pos_ >= text_.size()) return false;
      std::size_t e = text_.find('\n', pos_);
      if (e == std::string::npos) e = text_.size();
      line = std::string_view(text_).substr(pos_, e - pos_);
      pos_ = e + 1;
      strip(line);
      return true;
    }
    for (;;) {
      const char* nl =
          static_cast<const char*>(std::memchr(buf_.data() + start_, '\n', end_ - start_));
      if (nl) {
        line = std::string_view(buf_.data() + start_, nl - (buf_.data() + start_));
        start_ = nl - buf_.data() + 1;
        strip(line);
        return true;
      }
      if (eof_) {
        if (start_ == end_) return false;
        line = std::string_view(buf_.data() + start_, end_ - start_);
        start_ = end_;
        strip(line);
        return true;
      }
      // Compact, grow if one line fills the buffer, refill.
      if (start_ > 0) {
        std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
        end_ -= start_;
        start_ = 0;
      }
      if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
      std::size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, file_);
      if (n == 0) eof_ = true;
      end_ += n;
    }
  }

 private:
  static void strip(std::string_view& line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  }
  std::FILE* file_ = nullptr;
  std::vector<char> buf_;
  std::size_t start_ = 0, end_ = 0;
  bool eof_ = false;
  std::string text_;
  std::size_t pos_ = 0;
};

bool is_time_column(std::string_view name) {
  return name == "timestamp" || name == "time" || name == "ts";
}

class CsvReader final : public TraceReader {
 public:
  CsvReader(std::unique_ptr<Lines> lines, std::string name) : lines_(std::move(lines)) {
    name_ = std::move(name);
    format_ = Format::Csv;
    std::string_view header;
    while (lines_->next(header)) {
      ++line_;
      if (!header.empty() && header.front() != '#') break;
      header = {};
    }
    if (header.empty())
      fail(line_ ? line_ : 1, "empty trace: expected a header line \"timestamp,<signal>,...\"");
    if (!split_csv(header, fields_, unquoted_))
      fail(line_, "malformed header (unterminated quote)");
    std::string first(fields_[0]);
    for (auto& ch : first) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (first.size() >= 3 && static_cast<unsigned char>(first[0]) == 0xEF)
      first = first.substr(3);  // BOM
    if (!is_time_column(first))
      fail(line_,
           "the first column must be \"timestamp\" (found \"" + std::string(fields_[0]) + "\")");
    for (std::size_t i = 1; i < fields_.size(); ++i) {
      std::string col(fields_[i]);
      while (!col.empty() && col.back() == ' ') col.pop_back();
      while (!col.empty() && col.front() == ' ') col.erase(0, 1);
      if (col.empty()) fail(line_, "column " + std::to_string(i + 1) + " has no name");
      for (auto& c : columns_)
        if (c == col) fail(line_, "duplicate column \"" + col + "\"");
      columns_.push_back(std::move(col));
    }
  }

  bool next(TraceRow& row) override {
    std::string_view line;
    for (;;) {
      if (!lines_->next(line)) return false;
      ++line_;
      if (!line.empty() && line.front() != '#') break;
    }
    row.line = line_;
    row.has_structured = false;
    row.numbers.resize(columns_.size());
    if (!split_csv(line, fields_, unquoted_)) fail(line_, "unterminated quote");
    if (fields_.size() != columns_.size() + 1)
      fail(line_, "expected " + std::to_string(columns_.size() + 1) + " fields, found " +
                      std::to_string(fields_.size()));
    auto t = parse_timestamp(fields_[0]);
    if (!t)
      fail(line_, "bad timestamp \"" + std::string(fields_[0]) + "\" (unix seconds or RFC 3339)");
    check_order(*t, line_);
    row.time = *t;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      std::string_view f = fields_[i + 1];
      bool blank = true;
      for (char c : f)
        if (c != ' ' && c != '\t') blank = false;
      if (blank || f == "NaN" || f == "nan" || f == "null") {
        row.numbers[i] = kNaN;
        continue;
      }
      auto v = parse_number(f);
      if (!v || !std::isfinite(*v))
        fail(line_, "column \"" + columns_[i] + "\": not a number: \"" + std::string(f) + "\"");
      row.numbers[i] = *v;
    }
    return true;
  }

 private:
  std::unique_ptr<Lines> lines_;
  std::int64_t line_ = 0;
  std::vector<std::string_view> fields_;
  std::string unquoted_;
};

class JsonLinesReader final : public TraceReader {
 public:
  JsonLinesReader(std::unique_ptr<Lines> lines, std::string name) : lines_(std::move(lines)) {
    name_ = std::move(name);
    format_ = Format::JsonLines;
    // Peek the first row so columns() is known before the first next().
    have_peek_ = read(peek_);
  }

  bool next(TraceRow& row) override {
    if (have_peek_) {
      have_peek_ = false;
      row = std::move(peek_);
      fit(row);
      return true;
    }
    if (!read(row)) return false;
    fit(row);
    return true;
  }

 private:
  void fit(TraceRow& row) {
    row.numbers.resize(columns_.size(), kNaN);
    row.structured.resize(columns_.size());
  }

  bool read(TraceRow& row) {
    std::string_view line;
    for (;;) {
      if (!lines_->next(line)) return false;
      ++line_;
      bool blank = true;
      for (char c : line)
        if (c != ' ' && c != '\t') blank = false;
      if (!blank) break;
    }
    Value v;
    try {
      v = parse_json(line);
    } catch (const JsonError& e) {
      fail(line_, std::string("invalid JSON: ") + e.what());
    }
    if (!v.is_object()) fail(line_, "expected a JSON object per line");
    row.line = line_;
    row.has_structured = false;
    std::fill(row.numbers.begin(), row.numbers.end(), kNaN);
    for (auto& s : row.structured) s = Value();
    bool have_time = false;
    for (auto& [k, val] : v.as_object()) {
      if (is_time_column(k)) {
        std::optional<double> t;
        if (val.is_number() && unix_seconds_in_range(val.as_number()))
          t = val.as_number();
        else if (val.is_string())
          t = parse_timestamp(val.as_string());
        if (!t) fail(line_, "\"" + k + "\": bad timestamp (unix seconds or RFC 3339 string)");
        row.time = *t;
        have_time = true;
        continue;
      }
      std::size_t i = want(k);
      if (row.numbers.size() < columns_.size()) {
        row.numbers.resize(columns_.size(), kNaN);
        row.structured.resize(columns_.size());
      }
      if (val.is_null()) continue;
      if (val.is_number()) {
        double d = val.as_number();
        if (!std::isfinite(d)) fail(line_, "\"" + k + "\": not a finite number");
        row.numbers[i] = d;
      } else if (val.is_bool() || val.is_string()) {
        fail(line_,
             "\"" + k + "\": expected a number, an array or an object, found " + val.kind_name());
      } else {
        row.structured[i] = std::move(val);
        row.has_structured = true;
      }
    }
    if (!have_time) fail(line_, "missing \"ts\" (or \"timestamp\")");
    check_order(row.time, line_);
    return true;
  }

  std::unique_ptr<Lines> lines_;
  std::int64_t line_ = 0;
  TraceRow peek_;
  bool have_peek_ = false;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

void TraceReader::fail(std::int64_t line, const std::string& msg) const {
  throw TraceError(name_ + ":" + std::to_string(line) + ": " + msg);
}

void TraceReader::check_order(double t, std::int64_t line) {
  if (t < last_time_)
    fail(line, "timestamp " + format_timestamp(t) + " goes back in time (line " +
                   std::to_string(last_line_) + " has " + format_timestamp(last_time_) + ")");
  if (t == last_time_)
    fail(line, "timestamp " + format_timestamp(t) + " repeats line " + std::to_string(last_line_) +
                   "'s (one row per time)");
  last_time_ = t;
  last_line_ = line;
}

std::optional<std::size_t> TraceReader::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i] == name) return i;
  return std::nullopt;
}

std::size_t TraceReader::want(std::string_view name) {
  if (auto i = column(name)) return *i;
  columns_.emplace_back(name);
  return columns_.size() - 1;
}

std::unique_ptr<TraceReader> TraceReader::open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw TraceError(path + ": cannot open: " + std::strerror(errno));
  auto lines = std::make_unique<Lines>(f);
  if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson"))
    return std::make_unique<JsonLinesReader>(std::move(lines), path);
  return std::make_unique<CsvReader>(std::move(lines), path);
}

std::unique_ptr<TraceReader> TraceReader::from_text(std::string text, Format format,
                                                    std::string name) {
  auto lines = std::make_unique<Lines>(std::move(text));
  if (format == Format::JsonLines) return std::make_unique<JsonLinesReader>(std::move(lines), name);
  return std::make_unique<CsvReader>(std::move(lines), name);
}

bool unix_seconds_in_range(double t) {
  return t >= -62167219200.0 && t < 253402300800.0;
}

std::optional<double> parse_timestamp(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  if (s.size() < 10 || s[4] != '-') {
    auto v = parse_number(s);
    if (!v || !unix_seconds_in_range(*v)) return std::nullopt;
    return v;
  }
  auto t = parse_timestamp_text(s, TimestampSyntax::Rfc3339Shortened);
  if (!t) return std::nullopt;
  return t->unix_seconds();
}

std::string format_timestamp(double t) {
  if (!std::isfinite(t)) return "?";
  if (std::fabs(t) > static_cast<double>(kMaxCivilUnixSeconds)) {  // beyond the calendar code
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", t);
    return buf;
  }
  const double whole = std::floor(t);
  auto secs = static_cast<std::int64_t>(whole);
  int ms = static_cast<int>(std::lround((t - whole) * 1000));
  if (ms == 1000) {
    ++secs;
    ms = 0;
  }
  return format_timestamp_text(UnixTime{secs, ms * 1'000'000}, TimestampSyntax::Rfc3339,
                               ms ? 3 : 0);
}

}  // namespace luascale
