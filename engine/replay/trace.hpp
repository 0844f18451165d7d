// engine/replay/trace.hpp — streaming readers for recorded metrics: CSV with a header
// (`timestamp,<signal>,...`) and JSON Lines (`{"ts": ..., "<signal>": ...}`). Rows are read one at
// a time, so memory stays constant in trace length. Every error names "file:line".
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/value.hpp"

namespace luascale {

// A malformed trace; what() is "file:line: message".
struct TraceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One row. numbers[i] is NaN when column i is empty/missing on that row; structured[i] holds a
// non-number JSON value (JSON Lines only; per-pod lists and the like), else null.
struct TraceRow {
  double time = 0;
  std::int64_t line = 0;
  std::vector<double> numbers;
  std::vector<Value> structured;
  bool has_structured = false;
};

class TraceReader {
 public:
  enum class Format { Csv, JsonLines };

  // Opens a trace; the format comes from the extension (.jsonl/.ndjson = JSON Lines, else CSV).
  // Throws TraceError.
  static std::unique_ptr<TraceReader> open(const std::string& path);
  // A reader over in-memory text (tests); `name` is how errors name it.
  static std::unique_ptr<TraceReader> from_text(std::string text, Format format, std::string name);
  virtual ~TraceReader() = default;

  // Column names besides the timestamp. For CSV: the header. For JSON Lines: the keys of the
  // first row, plus any key later rows add (columns only grow).
  const std::vector<std::string>& columns() const { return columns_; }
  std::optional<std::size_t> column(std::string_view name) const;
  // Registers a column that may appear later (JSON Lines); returns its index.
  std::size_t want(std::string_view name);

  // Reads the next row; false at the end. Timestamps must increase strictly (a repeated or earlier
  // time names both lines). Throws TraceError.
  virtual bool next(TraceRow& row) = 0;
  const std::string& name() const { return name_; }
  Format format() const { return format_; }

 protected:
  std::string name_;
  Format format_ = Format::Csv;
  std::vector<std::string> columns_;
  double last_time_ = -1e300;  // the previous row's time and line
  std::int64_t last_line_ = 0;
  [[noreturn]] void fail(std::int64_t line, const std::string& msg) const;
  void check_order(double t, std::int64_t line);
};

// Parses a trace timestamp: unix seconds (fractional allowed) or RFC 3339
// ("2023-11-16T00:00:00Z", "...+02:00", fractional seconds; a space instead of 'T' is accepted)
// with the shortenings TimestampSyntax::Rfc3339Shortened takes (a date alone, no seconds, no
// zone = UTC). Spaces around the text (and a trailing CR) are ignored.
std::optional<double> parse_timestamp(std::string_view text);
// True for unix seconds of the years 0000-9999 (what RFC 3339 can write); traces reject others.
bool unix_seconds_in_range(double t);
// RFC 3339 UTC text of unix seconds ("1995-07-01T04:00:00Z"; milliseconds when fractional).
std::string format_timestamp(double t);

}  // namespace luascale
