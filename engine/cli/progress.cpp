// engine/cli/progress.cpp — the stderr progress line of `replay` and `tune`.
#include "engine/cli/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "engine/replay/trace.hpp"

namespace luascale::cli {
namespace {

constexpr double kRedrawSeconds = 0.1;  // at most ten redraws a second

std::string rate_text(double per_second) {
  char buf[32];
  if (per_second >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1fM", per_second / 1e6);
  else if (per_second >= 1e4)
    std::snprintf(buf, sizeof buf, "%.0fk", per_second / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", per_second);
  return buf;
}

std::string clock_text(double seconds) {
  long s = static_cast<long>(std::lround(std::max(0.0, std::min(seconds, 360000.0 - 1))));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::size_t terminal_width(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

void write_all(int fd, const std::string& s) {
  const char* p = s.data();
  std::size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) return;  // a progress line is not worth an error
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// The timestamp of a trace line's first field (CSV) or its "ts"/"timestamp" key (JSON Lines).
std::optional<double> line_time(const std::string& line, bool jsonl) {
  if (jsonl) {
    try {
      Value v = parse_json(line);
      const Value* t = v.find("ts");
      if (!t) t = v.find("timestamp");
      if (!t) return std::nullopt;
      if (t->is_number()) return t->as_number();
      if (t->is_string()) return parse_timestamp(t->as_string());
    } catch (const std::exception&) {
    }
    return std::nullopt;
  }
  std::string field = line.substr(0, line.find(','));
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"')
    field = field.substr(1, field.size() - 2);
  return parse_timestamp(field);
}

// The last timestamp of a CSV or JSON Lines file, read from its last 64 KiB.
std::optional<double> last_time_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - 65536);
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  const std::string ext = path.substr(path.rfind('.') + 1);
  const bool jsonl = ext == "jsonl" || ext == "ndjson";
  std::size_t end = tail.size();
  while (end > 0) {
    std::size_t begin = tail.rfind('\n', end - 1);
    begin = begin == std::string::npos ? 0 : begin + 1;
    if (begin == 0 && from > 0) return std::nullopt;  // a line longer than the tail
    std::string line = tail.substr(begin, end - begin);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line[0] != '#')
      if (auto t = line_time(line, jsonl)) return t;
    if (begin == 0) break;
    end = begin - 1;
  }
  return std::nullopt;
}

}  // namespace

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

ProgressBar::ProgressBar(std::string label, bool enabled, int fd)
    : label_(std::move(label)),
      enabled_(enabled),
      fd_(fd),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::add_total(double work) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  total_ += work;
}

void ProgressBar::add_done(double work, std::int64_t ticks) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += work;
  ticks_ += ticks;
  draw_locked(false);
}

void ProgressBar::set_detail(std::string text) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  detail_ = std::move(text);
  draw_locked(false);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (drawn_) write_all(fd_, "\r\x1b[K");
}

void ProgressBar::draw_locked(bool force) {
  if (finished_) return;
  const auto now = std::chrono::steady_clock::now();
  // The first update draws at once; later ones at most every kRedrawSeconds.
  if (drawn_ && !force && now - last_draw_ < std::chrono::duration<double>(kRedrawSeconds)) return;
  last_draw_ = now;
  drawn_ = true;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  write_all(fd_, "\r" +
                     render(label_, done_, total_, ticks_, elapsed, detail_, terminal_width(fd_)) +
                     "\x1b[K");
}

std::string ProgressBar::render(const std::string& label, double done, double total,
                                std::int64_t ticks, double elapsed, const std::string& detail,
                                std::size_t width) {
  std::string rest;
  char buf[64];
  const bool known = total > 0;
  const double frac = known ? std::clamp(done / total, 0.0, 1.0) : 0;
  if (known) {
    std::snprintf(buf, sizeof buf, "%3.0f%%", std::floor(100 * frac));
    rest += std::string("  ") + buf;
  }
  if (ticks > 0 && elapsed > 0)
    rest += "  " + rate_text(static_cast<double>(ticks) / elapsed) + " ticks/s";
  if (known && frac > 0 && frac < 1) rest += "  ETA " + clock_text(elapsed * (1 - frac) / frac);
  if (!detail.empty()) rest += "  " + detail;
  std::string line = label;
  if (known) {
    const std::size_t bar = 24;
    const std::size_t fill = static_cast<std::size_t>(std::floor(frac * static_cast<double>(bar)));
    line += " [" + std::string(fill, '#') + std::string(bar - fill, '-') + "]";
  }
  line += rest;
  // Never the terminal's last column: a full line would wrap and leave the bar behind.
  if (width > 1 && line.size() > width - 1) line.resize(width - 1);
  return line;
}

void ReplayBarFeed::advanced(const ReplaySummary& so_far, double now) {
  const double t = std::max(0.0, now - so_far.first_time);
  const double work = span_ ? std::min(t, *span_) - told_time_ : 0;
  bar_.add_done(std::max(0.0, work), so_far.ticks - told_ticks_);
  if (work > 0) told_time_ += work;
  told_ticks_ = so_far.ticks;
}

void ReplayBarFeed::finished(std::int64_t ticks) {
  const double work = span_ ? *span_ - told_time_ : 0;
  bar_.add_done(std::max(0.0, work), std::max<std::int64_t>(0, ticks - told_ticks_));
  told_time_ = span_.value_or(0);
  told_ticks_ = ticks;
}

std::optional<std::pair<double, double>> trace_time_span(const std::vector<TraceArg>& group,
                                                         std::optional<double> from,
                                                         std::optional<double> to) {
  try {
    std::optional<double> first, last;
    auto reader = open_trace_args(group);
    TraceRow row;
    while (reader->next(row)) {
      if (from && row.time < *from) continue;
      first = row.time;
      break;
    }
    if (!first) return std::nullopt;
    if (group.size() == 1 && group[0].name.empty() && !is_query_range_path(group[0].path)) {
      last = last_time_of_file(group[0].path);
    } else {  // merged query_range answers are in memory already
      last = row.time;
      while (reader->next(row)) last = row.time;
    }
    if (!last) return std::nullopt;
    if (to) last = std::min(*last, *to);
    if (*last < *first) return std::nullopt;
    return std::make_pair(*first, *last);
  } catch (const std::exception&) {
    return std::nullopt;  // the replay itself reports what is wrong with the trace
  }
}

}  // namespace luascale::cli
