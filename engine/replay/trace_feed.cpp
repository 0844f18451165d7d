// engine/replay/trace_feed.cpp — see trace_feed.hpp.
#include "engine/replay/trace_feed.hpp"

#include <algorithm>
#include <cmath>

namespace luascale {

class TraceFeed::ColumnSource final : public Source {
 public:
  void fetch(std::function<void(SampleOutcome)> done) override {
    SampleOutcome out;
    const std::size_t n = pending_.size();
    if (n > 0) {
      for (std::size_t i = 0; i + 1 < n; ++i) out.earlier.push_back(sample(pending_[i]));
      out.sample = sample(pending_[n - 1]);
      pending_.clear();
      structured_.clear();
    }
    done(std::move(out));
  }
  void add(double time, double v) { pending_.push_back(Row{time, v, SIZE_MAX}); }
  void add(double time, const Value& v) {
    pending_.push_back(Row{time, 0, structured_.size()});
    structured_.push_back(v);
  }

 private:
  struct Row {
    double time;
    double number;
    std::size_t structured;  // index in structured_, SIZE_MAX for a number
  };
  Sample sample(const Row& r) {
    if (r.structured == SIZE_MAX) return Sample{Value(r.number), r.time};
    return Sample{std::move(structured_[r.structured]), r.time};
  }
  std::vector<Row> pending_;  // rows taken in since the last fetch, oldest first
  std::vector<Value> structured_;
};

TraceFeed::TraceFeed(TraceReader& reader, std::optional<double> start, std::optional<double> end)
    : reader_(reader), start_(start), end_(end) {}

TraceFeed::~TraceFeed() = default;

bool TraceFeed::begin() {
  have_ = reader_.next(row_);
  if (!have_) return false;
  const double trace_first = row_.time;
  double skipped_last = row_.time;
  while (have_ && start_ && row_.time < *start_) {
    skipped_last = row_.time;
    have_ = reader_.next(row_);
  }
  auto when = [](double t) { return format_timestamp(t); };
  const std::string window = "from " + (start_ ? when(*start_) : std::string("the start")) +
                             " to " + (end_ ? when(*end_) : std::string("the end"));
  if (!have_)
    throw TraceError(reader_.name() + ": no rows in the replay window (" + window +
                     "): the trace's rows run from " + when(trace_first) + " to " +
                     when(skipped_last));
  if (end_ && row_.time > *end_)
    throw TraceError(reader_.name() + ": no rows in the replay window (" + window +
                     "): the first row at or after its start is at " + when(row_.time) +
                     (row_.time == trace_first ? ", the trace's first row" : ""));
  ++rows_;
  last_time_ = row_.time;
  known_columns_ = reader_.columns().size();
  return true;
}

void TraceFeed::advance(double now, const std::function<void(std::size_t)>& new_column) {
  while (have_ && row_.time <= now) {
    if (reader_.columns().size() != known_columns_) {  // a JSON Lines row brought a column
      const std::size_t from = known_columns_;
      known_columns_ = reader_.columns().size();
      if (new_column)
        for (std::size_t c = from; c < known_columns_; ++c) new_column(c);
    }
    take(row_);
    have_ = reader_.next(row_);
    if (have_) {
      if (end_ && row_.time > *end_) {
        have_ = false;
      } else {
        ++rows_;
        last_time_ = row_.time;
      }
    }
  }
}

void TraceFeed::take(const TraceRow& row) {
  const std::size_t n = std::max(sources_.size(), watched_.size());
  for (std::size_t c = 0; c < n; ++c) {
    const bool number = c < row.numbers.size() && !std::isnan(row.numbers[c]);
    if (c < watched_.size() && watched_[c].on && number) {
      watched_[c].value = row.numbers[c];
      watched_[c].time = row.time;
      watched_[c].low = std::min(watched_[c].low, row.numbers[c]);
      watched_[c].high = std::max(watched_[c].high, row.numbers[c]);
    }
    if (c >= sources_.size()) continue;
    for (auto& s : sources_[c]) {
      if (number)
        s->add(row.time, row.numbers[c]);
      else if (row.has_structured && c < row.structured.size() && !row.structured[c].is_null())
        s->add(row.time, row.structured[c]);
    }
  }
}

Source& TraceFeed::add_source(std::size_t column) {
  if (sources_.size() <= column) sources_.resize(column + 1);
  sources_[column].push_back(std::make_unique<ColumnSource>());
  return *sources_[column].back();
}

void TraceFeed::watch(std::size_t column) {
  if (watched_.size() <= column) watched_.resize(column + 1);
  watched_[column].on = true;
}

double TraceFeed::latest(std::size_t column) const {
  return column < watched_.size() ? watched_[column].value
                                  : std::numeric_limits<double>::quiet_NaN();
}

double TraceFeed::latest_time(std::size_t column) const {
  return column < watched_.size() ? watched_[column].time : -1e300;
}

std::pair<double, double> TraceFeed::take_range(std::size_t column) {
  constexpr double kNone = std::numeric_limits<double>::quiet_NaN();
  if (column >= watched_.size()) return {kNone, kNone};
  Watched& w = watched_[column];
  std::pair<double, double> out{kNone, kNone};
  if (w.low <= w.high) out = {w.low, w.high};
  w.low = std::numeric_limits<double>::infinity();
  w.high = -w.low;
  return out;
}

}  // namespace luascale
