// engine/replay/prometheus_trace.hpp — Prometheus `/api/v1/query_range` answers as traces, and
// traces merged from several named inputs (`--trace cpu=cpu.json --trace rps=rps.json`).
// A query_range body is read with a streaming (SAX) parser: the document is never held whole,
// only its samples, 16 bytes each (Prometheus caps an answer at 11,000 points per series).
// Merging never interpolates: a row carries the samples stamped at exactly its time; every
// other column is empty on that row (a gap stays a gap; the replay's staleness turns it into nil).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/replay/trace.hpp"

namespace luascale {

// One series of a query_range answer: its labels and its samples in time order.
struct PromSeries {
  std::vector<std::pair<std::string, std::string>> labels;  // sorted by name
  std::vector<std::pair<double, double>> samples;           // (unix seconds, value); NaN = gap
};

// What an answer without series is: an error (a file, which must give a column), or a gap (one
// chunk of a pull from a server: the query may match nothing for a while).
enum class NoSeries { Error, Gap };

// Parses a query_range body (`{"status":"success","data":{"resultType":"matrix","result":[...]}}`)
// from a file or from text. `source` names the input in errors, which read
// "<source>: <key path>: message" (e.g. "cpu.json: data.result[0].values[17][1]: not a number").
// Non-finite values ("NaN", "+Inf", "-Inf") are gaps. Throws TraceError.
std::vector<PromSeries> read_query_range_file(const std::string& path);
std::vector<PromSeries> parse_query_range(const std::string& text, const std::string& source,
                                          NoSeries no_series = NoSeries::Error);

// Column names for the series of one input named `name`: `name` for a single series; with
// several, `name{label="value",...}` over the labels whose values differ between the series.
// With an empty `name` the series' `__name__` label is used (an error when it is missing).
std::vector<std::string> series_column_names(const std::vector<PromSeries>& series,
                                             const std::string& name, const std::string& source);

// One named input of a merged trace.
struct NamedSeries {
  std::string column;
  PromSeries series;
};

// A trace over in-memory series, one column each, rows at the union of their timestamps.
// `name` is how errors and summaries name the trace. Throws TraceError on duplicate columns.
std::unique_ptr<TraceReader> merged_series_trace(std::vector<NamedSeries> columns,
                                                 std::string name);

// A trace argument as given to `replay --trace` / `tune --trace`: "FILE" or "NAME=FILE".
struct TraceArg {
  std::string name;  // "" for a plain file
  std::string path;
};
TraceArg parse_trace_arg(const std::string& arg);

// True when `path` names a query_range body (extension .json).
bool is_query_range_path(const std::string& path);

// Opens one trace made of the given arguments. One plain CSV / JSON Lines file opens as it is;
// query_range files (NAME=FILE.json, or FILE.json named by `__name__`) are merged by timestamp.
// Throws TraceError.
std::unique_ptr<TraceReader> open_trace_args(const std::vector<TraceArg>& args);

// Groups `--trace` arguments into traces: NAME=FILE arguments together form one merged trace
// (in the position of the first of them); every plain FILE is a trace of its own.
std::vector<std::vector<TraceArg>> group_trace_args(const std::vector<std::string>& args);

// How a group of trace arguments is named in summaries ("cpu=cpu.json+rps=rps.json").
std::string trace_group_name(const std::vector<TraceArg>& group);

}  // namespace luascale
