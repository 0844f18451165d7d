// engine/replay/tune.cpp — grid, random and coordinate search over config values by replay.
#include "engine/replay/tune.hpp"
#include "engine/core/text_table.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace luascale {
namespace {

// The shortest text of a parameter value ("120", "0.25").
std::string value_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

Value number_value(double v) {
  if (v == std::floor(v) && std::fabs(v) < 9e15) return Value(static_cast<std::int64_t>(v));
  return Value(v);
}

std::optional<double> parse_double(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// One step of a key path: an object key or an array index.
struct PathStep {
  std::string key;
  long index = -1;  // >= 0: an array index
};

std::vector<PathStep> split_path(const std::string& path) {
  std::vector<PathStep> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      auto close = path.find(']', i);
      if (close == std::string::npos) throw std::runtime_error(path + ": unterminated '['");
      auto n = parse_double(path.substr(i + 1, close - i - 1));
      if (!n || *n < 0 || *n != std::floor(*n)) throw std::runtime_error(path + ": bad index");
      out.push_back({"", static_cast<long>(*n)});
      i = close + 1;
      continue;
    }
    std::size_t e = path.find_first_of(".[", i);
    if (e == std::string::npos) e = path.size();
    out.push_back({path.substr(i, e - i), -1});
    i = e;
  }
  if (out.empty() || out.front().index >= 0)
    throw std::runtime_error("'" + path + "': not a key path");
  return out;
}

// Where a parameter lives: relative to the config root (replay.*) or to the policy object.
struct Target {
  bool root = false;
  std::vector<PathStep> steps;
};

const char* const kPolicyKeys[] = {"minReplicas", "maxReplicas", "min",     "max",
                                   "interval",    "cooldown",    "history", "behavior",
                                   "params",      "target",      "fallback"};

Target resolve(const std::string& name, const Value& policy) {
  Target t;
  t.steps = split_path(name);
  if (t.steps.front().key == "replay") {
    t.root = true;
    return t;
  }
  if (t.steps.size() == 1) {
    bool policy_key = policy.find(name) != nullptr;
    for (const char* k : kPolicyKeys) policy_key = policy_key || name == k;
    if (!policy_key) t.steps.insert(t.steps.begin(), PathStep{"params", -1});
  }
  return t;
}

void set_path(Value& base, const std::vector<PathStep>& steps, Value v, const std::string& name) {
  Value* cur = &base;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const bool last = i + 1 == steps.size();
    const PathStep& s = steps[i];
    if (s.index >= 0) {
      if (!cur->is_array() || static_cast<std::size_t>(s.index) >= cur->as_array().size())
        throw std::runtime_error(name + ": no element [" + std::to_string(s.index) +
                                 "] in the config");
      cur = &cur->as_array()[static_cast<std::size_t>(s.index)];
      if (last) *cur = std::move(v);
      continue;
    }
    if (!cur->is_object() && !cur->is_null())
      throw std::runtime_error(name + ": \"" + s.key + "\" is inside a " + cur->kind_name() +
                               ", not an object");
    if (last) {
      cur->set(s.key, std::move(v));
      return;
    }
    Value* next = cur->find(s.key);
    if (!next) next = &cur->set(s.key, steps[i + 1].index >= 0 ? Value::array() : Value::object());
    cur = next;
  }
}

// The number at a key path, if the config holds one there.
std::optional<double> get_number(const Value& base, const std::vector<PathStep>& steps) {
  const Value* cur = &base;
  for (const PathStep& s : steps) {
    if (s.index >= 0) {
      if (!cur->is_array() || static_cast<std::size_t>(s.index) >= cur->as_array().size())
        return std::nullopt;
      cur = &cur->as_array()[static_cast<std::size_t>(s.index)];
    } else {
      if (!cur->is_object()) return std::nullopt;
      cur = cur->find(s.key);
      if (!cur) return std::nullopt;
    }
  }
  if (!cur->is_number()) return std::nullopt;
  return cur->as_number();
}

std::size_t policy_index(const Config& config, const std::string& name) {
  if (name.empty()) return 0;
  for (std::size_t i = 0; i < config.policies.size(); ++i)
    if (config.policies[i].name == name) return i;
  throw std::runtime_error("no policy named \"" + name + "\" in " + config.path);
}

// The config document with one setting applied.
Value apply_setting(const Config& config, std::size_t pi, const TuneOptions& opts,
                    const std::vector<double>& values) {
  Value raw = config.raw;
  Value* policies = raw.find("policies");
  if (!policies || !policies->is_array() || pi >= policies->as_array().size())
    throw std::runtime_error(config.path + ": no policies to tune");
  Value& policy = policies->as_array()[pi];
  for (std::size_t k = 0; k < opts.params.size(); ++k) {
    Target t = resolve(opts.params[k].name, policy);
    set_path(t.root ? raw : policy, t.steps, number_value(values[k]), opts.params[k].name);
  }
  return raw;
}

// a dominates b: no worse in every objective, better in one.
bool dominates(const double a[3], const double b[3]) {
  bool better = false;
  for (int i = 0; i < 3; ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) better = true;
  }
  return better;
}

}  // namespace

TuneParam parse_tune_param(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::runtime_error("--param " + arg + ": expected NAME=LO:HI:STEP or NAME=V1,V2,...");
  TuneParam p;
  p.name = arg.substr(0, eq);
  std::string spec = arg.substr(eq + 1);
  split_path(p.name);  // validates
  if (spec.find(':') != std::string::npos) {
    std::vector<std::string> parts;
    std::size_t s = 0;
    for (;;) {
      auto c = spec.find(':', s);
      parts.push_back(spec.substr(s, c == std::string::npos ? std::string::npos : c - s));
      if (c == std::string::npos) break;
      s = c + 1;
    }
    std::optional<double> lo, hi, step;
    if (parts.size() == 3) {
      lo = parse_double(parts[0]);
      hi = parse_double(parts[1]);
      step = parse_double(parts[2]);
    }
    if (!lo || !hi || !step)
      throw std::runtime_error("--param " + arg + ": expected NAME=LO:HI:STEP with numbers");
    if (*step <= 0 || *hi < *lo)
      throw std::runtime_error("--param " + arg + ": needs LO <= HI and STEP > 0");
    if ((*hi - *lo) / *step > 1e6)
      throw std::runtime_error("--param " + arg + ": more than a million values");
    for (long i = 0;; ++i) {
      double v = *lo + static_cast<double>(i) * *step;
      if (v > *hi + *step * 1e-9) break;
      p.values.push_back(std::round(v * 1e9) / 1e9);
    }
  } else {
    std::size_t s = 0;
    for (;;) {
      auto c = spec.find(',', s);
      std::string piece = spec.substr(s, c == std::string::npos ? std::string::npos : c - s);
      auto v = parse_double(piece);
      if (!v) throw std::runtime_error("--param " + arg + ": not a number: \"" + piece + "\"");
      p.values.push_back(*v);
      if (c == std::string::npos) break;
      s = c + 1;
    }
  }
  return p;
}

double tune_cost(const TuneResult& r, const ReplaySummary& s) {
  return r.cost_is_money ? s.cost : s.replica_hours();
}

const char* tune_search_name(TuneSearch s) {
  switch (s) {
    case TuneSearch::Auto:
      return "auto";
    case TuneSearch::Grid:
      return "grid";
    case TuneSearch::Random:
      return "random";
    case TuneSearch::Coordinate:
      return "coordinate";
  }
  return "?";
}

TuneSearch parse_tune_search(const std::string& text) {
  for (TuneSearch s :
       {TuneSearch::Auto, TuneSearch::Grid, TuneSearch::Random, TuneSearch::Coordinate})
    if (text == tune_search_name(s)) return s;
  throw std::runtime_error("--search " + text + ": expected grid, random, coordinate or auto");
}

bool operator<(const TuneScore& a, const TuneScore& b) {
  if (a.failed != b.failed) return b.failed;
  if (a.violation != b.violation) return a.violation < b.violation;
  if (a.cost != b.cost) return a.cost < b.cost;
  if (a.under != b.under) return a.under < b.under;
  return a.flips < b.flips;
}

TuneScore tune_score(const TuneResult& r, const TuneOptions& opts, const TuneRun& run) {
  TuneScore s;
  if (!run.error.empty()) {
    s.failed = true;
    return s;
  }
  auto excess = [&](double value, double limit) {
    if (value <= limit + 1e-12) return 0.0;
    return (value - limit) / (limit != 0 ? std::fabs(limit) : 1.0);
  };
  for (const auto& slo : slo_bounds(opts.slos))
    s.violation += excess(slo.metric->value(run.summary), slo.limit);
  s.cost = tune_cost(r, run.summary);
  s.under = run.summary.under_share();
  s.flips = static_cast<double>(run.summary.direction_changes);
  return s;
}

CoordinateOutcome coordinate_descent(
    const std::vector<std::size_t>& sizes, std::vector<std::size_t> start, std::size_t budget,
    const std::function<std::vector<TuneScore>(const std::vector<std::vector<std::size_t>>&)>&
        score) {
  if (start.size() != sizes.size()) throw std::runtime_error("coordinate descent: bad start point");
  for (std::size_t k = 0; k < sizes.size(); ++k)
    if (sizes[k] == 0 || start[k] >= sizes[k])
      throw std::runtime_error("coordinate descent: bad start point");
  CoordinateOutcome out;
  std::map<std::vector<std::size_t>, TuneScore> memo;
  // Scores the settings not seen yet, in order, as far as the budget allows.
  auto evaluate = [&](const std::vector<std::vector<std::size_t>>& settings) {
    std::vector<std::vector<std::size_t>> fresh;
    for (const auto& s : settings) {
      if (memo.size() + fresh.size() >= budget) break;
      if (memo.count(s) || std::find(fresh.begin(), fresh.end(), s) != fresh.end()) continue;
      fresh.push_back(s);
    }
    if (fresh.empty()) return;
    std::vector<TuneScore> scores = score(fresh);
    if (scores.size() != fresh.size()) throw std::runtime_error("coordinate descent: lost scores");
    for (std::size_t i = 0; i < fresh.size(); ++i) memo.emplace(fresh[i], scores[i]);
  };
  evaluate({start});
  out.best = start;
  if (memo.empty()) return out;  // a budget of zero
  for (bool moved = true; moved;) {
    moved = false;
    ++out.sweeps;
    bool exhausted = false;
    for (std::size_t k = 0; k < sizes.size() && !exhausted; ++k) {
      if (sizes[k] < 2) continue;
      // The line through the current point along parameter k, nearest values first.
      std::vector<std::size_t> order(sizes[k]);
      std::iota(order.begin(), order.end(), std::size_t{0});
      const std::size_t here = out.best[k];
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        auto da = a > here ? a - here : here - a, db = b > here ? b - here : here - b;
        return da < db;
      });
      std::vector<std::vector<std::size_t>> line;
      for (std::size_t v : order) {
        line.push_back(out.best);
        line.back()[k] = v;
      }
      evaluate(line);
      const TuneScore current = memo.at(out.best);
      std::vector<std::size_t> pick = out.best;
      TuneScore pick_score = current;
      for (const auto& s : line) {  // nearest first: a tie keeps the nearer value
        auto it = memo.find(s);
        if (it == memo.end()) {
          exhausted = true;  // the budget ran out before this value
          continue;
        }
        if (it->second < pick_score) {
          pick = s;
          pick_score = it->second;
        }
      }
      if (pick != out.best) {
        out.best = pick;
        moved = true;
      }
      exhausted = exhausted || memo.size() >= budget;
    }
    if (exhausted) break;
    if (!moved) out.converged = true;
  }
  out.evaluations = memo.size();
  return out;
}

ReplaySummary replay_setting(const Config& config, const TuneOptions& opts,
                             const std::vector<double>& values, const TuneWindow& window,
                             ReplayProgress* progress) {
  const std::size_t pi = policy_index(config, opts.policy);
  Value raw = apply_setting(config, pi, opts, values);
  Config cfg = parse_config(to_json(raw, 2), config.path);
  std::string err;
  auto rt = PolicyRuntime::create(cfg.policies[pi], &err);
  if (!rt) throw std::runtime_error(err);
  ReplayOptions ro;
  ro.ready_delay_seconds = cfg.replay.ready_delay_seconds;
  ro.model = cfg.replay.model;
  ro.start_time = opts.start_time;
  ro.end_time = window.end ? window.end : opts.end_time;
  ro.measure_from = window.measure_from;
  ro.progress = progress;
  auto trace = opts.open_trace();
  return replay_trace(*rt, *trace, ro, nullptr);
}

TuneResult tune(const Config& config, const TuneOptions& opts) {
  if (opts.params.empty()) throw std::runtime_error("give at least one --param NAME=LO:HI:STEP");
  if (!opts.open_trace) throw std::runtime_error("no trace");
  const std::size_t pi = policy_index(config, opts.policy);
  for (const auto& p : opts.params)
    if (p.values.empty()) throw std::runtime_error("--param " + p.name + ": no values");
  // Validate every path once with the first values (a typo fails before any replay).
  apply_setting(config, pi, opts, [&] {
    std::vector<double> v;
    for (const auto& p : opts.params) v.push_back(p.values.front());
    return v;
  }());

  TuneResult result;
  result.grid_size = 1;
  for (const auto& p : opts.params) result.grid_size *= static_cast<double>(p.values.size());
  const std::size_t cap = std::max<std::size_t>(opts.max_runs, 1);
  const bool fits = result.grid_size <= static_cast<double>(cap);
  result.search = opts.search;
  if (result.search == TuneSearch::Auto)
    result.search = fits ? TuneSearch::Grid : TuneSearch::Coordinate;
  if (result.search == TuneSearch::Grid && !fits)
    throw std::runtime_error("the grid has " + value_text(result.grid_size) +
                             " settings, more than --max-runs " + std::to_string(cap) +
                             ": raise --max-runs or use --search coordinate or random");
  result.cost_is_money =
      config.replay.model.price_per_replica_hour > 0 || config.replay.model.price_per_node_hour > 0;

  // With a held-out part the search replays stop before it.
  TuneWindow search_window;
  if (opts.holdout_from)
    search_window.end =
        std::nextafter(*opts.holdout_from, -std::numeric_limits<double>::infinity());
  // Replays a batch of settings (value indices) in parallel and appends them to the runs.
  std::size_t done_total = 0;
  auto run_batch = [&](const std::vector<std::vector<std::size_t>>& picks, std::size_t total) {
    const std::size_t first = result.runs.size();
    result.runs.resize(first + picks.size());
    for (std::size_t r = 0; r < picks.size(); ++r)
      for (std::size_t k = 0; k < opts.params.size(); ++k)
        result.runs[first + r].values.push_back(opts.params[k].values[picks[r][k]]);
    std::atomic<std::size_t> next{first}, done{done_total};
    if (opts.progress) opts.progress(done_total, total);  // the total, before the first result
    auto worker = [&] {
      for (std::size_t r; (r = next++) < result.runs.size();) {
        TuneRun& run = result.runs[r];
        // Hands tick counts to ticks_progress as the replay goes.
        struct TickFeed final : ReplayProgress {
          const TuneOptions& o;
          std::int64_t told = 0;
          explicit TickFeed(const TuneOptions& opts) : o(opts) {}
          void advanced(const ReplaySummary& so_far, double) override { tell(so_far.ticks); }
          void tell(std::int64_t ticks) {
            if (ticks > told) o.ticks_progress(ticks - told);
            told = std::max(told, ticks);
          }
        } feed(opts);
        try {
          run.summary = replay_setting(config, opts, run.values, search_window,
                                       opts.ticks_progress ? &feed : nullptr);
          if (opts.ticks_progress) feed.tell(run.summary.ticks);
        } catch (const std::exception& e) {
          run.error = e.what();
        }
        std::size_t d = ++done;
        if (opts.progress) opts.progress(d, total);
      }
    };
    const unsigned workers =
        std::max(1u, std::min<unsigned>(opts.jobs, static_cast<unsigned>(picks.size())));
    if (workers == 1) {
      worker();
    } else {
      std::vector<std::thread> pool;
      for (unsigned w = 0; w < workers; ++w) pool.emplace_back(worker);
      for (auto& t : pool) t.join();
    }
    done_total = done;
  };

  std::vector<std::vector<std::size_t>> grid;  // every setting, the last parameter fastest
  if (fits) {
    std::vector<std::size_t> idx(opts.params.size(), 0);
    for (;;) {  // an odometer over the value indices
      grid.push_back(idx);
      bool wrapped = true;
      for (std::size_t k = opts.params.size(); k-- > 0;) {
        if (++idx[k] < opts.params[k].values.size()) {
          wrapped = false;
          break;
        }
        idx[k] = 0;
      }
      if (wrapped) break;
    }
  }
  switch (result.search) {
    case TuneSearch::Auto:
    case TuneSearch::Grid:
      run_batch(grid, grid.size());
      break;
    case TuneSearch::Random: {
      std::mt19937_64 rng(opts.seed);
      std::vector<std::vector<std::size_t>> picks;
      if (fits) {  // the whole grid, in a random order
        picks = grid;
        for (std::size_t i = picks.size(); i > 1; --i)
          std::swap(picks[i - 1], picks[std::uniform_int_distribution<std::size_t>(0, i - 1)(rng)]);
      } else {
        result.sampled = true;
        std::set<std::vector<std::size_t>> seen;
        for (std::size_t attempts = 0; picks.size() < cap && attempts < cap * 20; ++attempts) {
          std::vector<std::size_t> idx;
          for (const auto& p : opts.params)
            idx.push_back(std::uniform_int_distribution<std::size_t>(0, p.values.size() - 1)(rng));
          if (seen.insert(idx).second) picks.push_back(std::move(idx));
        }
      }
      run_batch(picks, picks.size());
      break;
    }
    case TuneSearch::Coordinate: {
      std::vector<std::size_t> sizes, start;
      const Value* policies = config.raw.find("policies");
      const Value* policy = policies && policies->is_array() && pi < policies->as_array().size()
                                ? &policies->as_array()[pi]
                                : nullptr;
      for (const auto& p : opts.params) {
        sizes.push_back(p.values.size());
        std::size_t at = (p.values.size() - 1) / 2;
        if (opts.start == TuneStart::Config && policy) {
          Target t = resolve(p.name, *policy);
          if (auto v = get_number(t.root ? config.raw : *policy, t.steps)) {
            at = 0;  // the nearest value (the lower of two as near)
            for (std::size_t i = 1; i < p.values.size(); ++i)
              if (std::fabs(p.values[i] - *v) < std::fabs(p.values[at] - *v)) at = i;
          }
        }
        start.push_back(at);
      }
      auto outcome = coordinate_descent(sizes, start, cap, [&](const auto& batch) {
        const std::size_t first = result.runs.size();
        run_batch(batch, 0);
        std::vector<TuneScore> scores;
        for (std::size_t r = first; r < result.runs.size(); ++r)
          scores.push_back(tune_score(result, opts, result.runs[r]));
        return scores;
      });
      result.sweeps = outcome.sweeps;
      result.converged = outcome.converged;
      break;
    }
  }

  for (const auto& run : result.runs)
    if (run.error.empty() && run.summary.cost > 0) result.cost_is_money = true;
  // Pareto front over (cost, under share, flips) among the runs that worked.
  auto objectives = [&](const TuneRun& run, double o[3]) {
    o[0] = tune_cost(result, run.summary);
    o[1] = run.summary.under_share();
    o[2] = static_cast<double>(run.summary.direction_changes);
  };
  for (auto& a : result.runs) {
    if (!a.error.empty()) continue;
    double oa[3];
    objectives(a, oa);
    a.pareto = true;
    for (const auto& b : result.runs) {
      if (!b.error.empty() || &a == &b) continue;
      double ob[3];
      objectives(b, ob);
      if (dominates(ob, oa)) {
        a.pareto = false;
        break;
      }
    }
  }
  const std::vector<MetricBound> slo = slo_bounds(opts.slos);
  for (std::size_t r = 0; r < result.runs.size(); ++r) {
    TuneRun& run = result.runs[r];
    if (!run.error.empty()) continue;
    run.meets_slo = missed_bounds(slo, run.summary).empty();
    if (!run.meets_slo) continue;
    if (result.best < 0) {
      result.best = static_cast<int>(r);
      continue;
    }
    const TuneRun& b = result.runs[static_cast<std::size_t>(result.best)];
    double ca = tune_cost(result, run.summary), cb = tune_cost(result, b.summary);
    // Cheapest; ties go to less under-provisioning, then fewer flips, then the earlier setting.
    if (ca < cb - 1e-9 || (std::fabs(ca - cb) <= 1e-9 &&
                           (run.summary.under_share() < b.summary.under_share() ||
                            (run.summary.under_share() == b.summary.under_share() &&
                             run.summary.direction_changes < b.summary.direction_changes))))
      result.best = static_cast<int>(r);
  }
  return result;
}

std::string tune_snippet(const Config& config, const TuneOptions& opts, const TuneRun& run) {
  const std::size_t pi = policy_index(config, opts.policy);
  Value raw = apply_setting(config, pi, opts, run.values);
  const Value& policy = raw.find("policies")->as_array()[pi];
  Value out = Value::object();
  Value replay = Value::object();
  for (const auto& p : opts.params) {
    Target t = resolve(p.name, policy);
    const std::string& top = t.root ? t.steps.at(1).key : t.steps.front().key;
    if (t.root) {
      if (const Value* v = raw.find("replay")->find(top)) replay.set(top, *v);
    } else if (const Value* v = policy.find(top)) {
      out.set(top, *v);
    }
  }
  if (!replay.as_object().empty()) out.set("replay", replay);
  return to_json(out, 2);
}

void print_tune_table(const TuneResult& r, const TuneOptions& opts, std::ostream& out) {
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head;
  for (const auto& p : opts.params) head.push_back(p.name);
  // The replay's own metrics, by their names and printed as everywhere else.
  const std::vector<const ReplayMetric*> shown = tune_table_metrics(r);
  for (const auto* m : shown) head.push_back(m->name);
  head.push_back("slo");
  cells.push_back(head);
  for (std::size_t i : pareto_order(r)) {
    const TuneRun& run = r.runs[i];
    std::vector<std::string> row;
    for (double v : run.values) row.push_back(value_text(v));
    for (const auto* m : shown)
      row.push_back(metric_measured(*m, run.summary) ? format_metric(*m, run.summary) : "-");
    row.push_back(static_cast<int>(i) == r.best ? "best" : run.meets_slo ? "yes" : "no");
    cells.push_back(std::move(row));
  }
  print_text_table(cells, out);
}

std::vector<std::size_t> pareto_order(const TuneResult& r) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < r.runs.size(); ++i)
    if (r.runs[i].pareto) order.push_back(i);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    double ca = tune_cost(r, r.runs[a].summary), cb = tune_cost(r, r.runs[b].summary);
    if (ca != cb) return ca < cb;
    return a < b;
  });
  return order;
}

std::vector<const ReplayMetric*> tune_table_metrics(const TuneResult& r) {
  std::vector<const ReplayMetric*> shown = {find_replay_metric("replica_hours")};
  if (r.cost_is_money) shown.push_back(find_replay_metric("cost"));
  shown.push_back(find_replay_metric("under"));
  // Slack, where some run measured it (a demand model with a capacity per replica).
  const ReplayMetric* slack = find_replay_metric("slack");
  for (const auto& run : r.runs)
    if (run.error.empty() && !std::isnan(slack->value(run.summary))) {
      shown.push_back(slack);
      break;
    }
  for (const char* name : {"flips", "errors"}) shown.push_back(find_replay_metric(name));
  return shown;
}

std::string tune_value_text(double v) {
  return value_text(v);
}

}  // namespace luascale
