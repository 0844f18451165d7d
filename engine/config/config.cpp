// engine/config/config.cpp — config loading: JSON -> typed structs with key-path errors.
#include "engine/config/config.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/core/suggest.hpp"
#include "engine/core/units.hpp"

namespace fs = std::filesystem;

namespace luascale {

namespace {

std::string join_problems(const std::vector<std::string>& p) {
  std::string s;
  for (const auto& e : p) {
    if (!s.empty()) s += '\n';
    s += e;
  }
  return s;
}

// Walks a Value with a key path, collecting problems instead of stopping at the first.
class Reader {
 public:
  Reader(std::string file, std::vector<std::string>& problems)
      : file_(std::move(file)), problems_(problems) {}

  void problem(const std::string& path, const std::string& msg) {
    problems_.push_back(file_ + ": " + path + ": " + msg);
  }

  // Rejects keys of `obj` not in `allowed` (and `extra`), naming the accepted keys and the
  // nearest one.
  void only_keys(const Value& obj, const std::string& path,
                 std::initializer_list<const char*> allowed,
                 const std::vector<ConfigKey>* extra = nullptr) {
    if (!obj.is_object()) return;
    std::vector<std::string> accepted(allowed.begin(), allowed.end());
    if (extra)
      for (const auto& e : *extra) accepted.emplace_back(e.key);
    for (const auto& [k, v] : obj.as_object())
      if (std::find(accepted.begin(), accepted.end(), k) == accepted.end())
        problem(join(path, k), "unknown key" + did_you_mean(k, accepted) +
                                   "; accepted keys: " + word_list(accepted));
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  std::optional<std::string> string(const Value& obj, const std::string& path, const char* key,
                                    bool required = false) {
    const Value* v = obj.find(key);
    if (!v || v->is_null()) {
      if (required) problem(join(path, key), "required");
      return std::nullopt;
    }
    if (!v->is_string()) {
      problem(join(path, key), std::string("must be a string, not ") + v->kind_name());
      return std::nullopt;
    }
    return v->as_string();
  }

  std::optional<double> duration(const Value& obj, const std::string& path, const char* key) {
    const Value* v = obj.find(key);
    if (!v || v->is_null()) return std::nullopt;
    if (v->is_number()) {
      if (v->as_number() < 0) {
        problem(join(path, key), "must be >= 0");
        return std::nullopt;
      }
      return v->as_number();
    }
    if (v->is_string()) {
      if (auto d = parse_duration(v->as_string())) return d;
      problem(join(path, key),
              "'" + v->as_string() + "' is not a duration (e.g. \"15s\", \"5m\", \"1h\")");
      return std::nullopt;
    }
    problem(join(path, key), "must be a duration string or seconds");
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(const Value& obj, const std::string& path, const char* key,
                                      std::int64_t lo, std::int64_t hi) {
    const Value* v = obj.find(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_number() || v->as_number() != std::floor(v->as_number())) {
      problem(join(path, key), "must be an integer");
      return std::nullopt;
    }
    double d = v->as_number();
    if (d < static_cast<double>(lo) || d > static_cast<double>(hi)) {
      problem(join(path, key),
              "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
      return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
  }

  std::optional<double> number(const Value& obj, const std::string& path, const char* key,
                               double lo = 0) {
    const Value* v = obj.find(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_number()) {
      problem(join(path, key), std::string("must be a number, not ") + v->kind_name());
      return std::nullopt;
    }
    if (v->as_number() < lo) {
      problem(join(path, key), "must be >= " + std::to_string(static_cast<long long>(lo)));
      return std::nullopt;
    }
    return v->as_number();
  }

  std::optional<bool> boolean(const Value& obj, const std::string& path, const char* key) {
    const Value* v = obj.find(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_bool()) {
      problem(join(path, key), std::string("must be true or false, not ") + v->kind_name());
      return std::nullopt;
    }
    return v->as_bool();
  }

  const Value* object(const Value& obj, const std::string& path, const char* key) {
    const Value* v = obj.find(key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_object()) {
      problem(join(path, key), std::string("must be an object, not ") + v->kind_name());
      return nullptr;
    }
    return v;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string>& problems_;
};

void read_rules(Reader& r, const Value& v, const std::string& path, HpaScalingRules& rules) {
  r.only_keys(v, path, {"stabilizationWindowSeconds", "selectPolicy", "policies", "tolerance"});
  rules.stabilization_window_seconds = r.integer(v, path, "stabilizationWindowSeconds", 0, 3600);
  if (const Value* t = v.find("tolerance"); t && !t->is_null()) {
    // A Kubernetes quantity: a number, or text such as "0.05" or "50m" (milli).
    std::optional<double> tol;
    if (t->is_number()) {
      tol = t->as_number();
    } else if (t->is_string() && !t->as_string().empty()) {
      std::string text = t->as_string();
      double scale = 1;
      if (text.back() == 'm') text.pop_back(), scale = 0.001;
      char* end = nullptr;
      const double d = std::strtod(text.c_str(), &end);
      if (!text.empty() && end && *end == '\0') tol = d * scale;
    }
    if (!tol || !(*tol >= 0) || !std::isfinite(*tol))
      r.problem(Reader::join(path, "tolerance"), "must be a quantity >= 0 (e.g. 0.05 or \"50m\")");
    else
      rules.tolerance = *tol;
  }
  if (auto s = r.string(v, path, "selectPolicy")) {
    if (*s == "Max")
      rules.select = HpaScalingRules::Select::Max;
    else if (*s == "Min")
      rules.select = HpaScalingRules::Select::Min;
    else if (*s == "Disabled")
      rules.select = HpaScalingRules::Select::Disabled;
    else
      r.problem(Reader::join(path, "selectPolicy"), "must be Max, Min or Disabled");
  }
  if (const Value* ps = v.find("policies")) {
    if (!ps->is_array()) {
      r.problem(Reader::join(path, "policies"), "must be an array");
      return;
    }
    for (std::size_t i = 0; i < ps->as_array().size(); ++i) {
      const Value& p = ps->as_array()[i];
      std::string pp = Reader::join(path, "policies") + "[" + std::to_string(i) + "]";
      if (!p.is_object()) {
        r.problem(pp, "must be an object {type, value, periodSeconds}");
        continue;
      }
      r.only_keys(p, pp, {"type", "value", "periodSeconds"});
      HpaScalingPolicy pol;
      auto type = r.string(p, pp, "type", true);
      if (type) {
        if (*type == "Pods")
          pol.type = HpaScalingPolicy::Type::Pods;
        else if (*type == "Percent")
          pol.type = HpaScalingPolicy::Type::Percent;
        else
          r.problem(Reader::join(pp, "type"), "must be Pods or Percent");
      }
      auto value = r.integer(p, pp, "value", 1, 2147483647);
      if (!p.find("value")) r.problem(Reader::join(pp, "value"), "required");
      auto period = r.integer(p, pp, "periodSeconds", 1, 1800);
      if (!p.find("periodSeconds")) r.problem(Reader::join(pp, "periodSeconds"), "required");
      if (value) pol.value = *value;
      if (period) pol.period_seconds = *period;
      rules.policies.push_back(pol);
    }
  }
}

const std::vector<ConfigKey>* source_keys(const AdapterCatalog& c, const std::string& name) {
  if (!c.sources) return nullptr;
  for (const auto& f : *c.sources)
    if (name == f.name) return &f.keys;
  return nullptr;
}

const std::vector<ConfigKey>* actuator_keys(const AdapterCatalog& c, const std::string& kind) {
  if (!c.actuators) return nullptr;
  for (const auto& f : *c.actuators)
    if (kind == f.kind) return &f.keys;
  return nullptr;
}

void check_required(Reader& r, const Value& obj, const std::string& path,
                    const std::vector<ConfigKey>& keys) {
  for (const auto& k : keys)
    if (k.required && !obj.find(k.key)) r.problem(Reader::join(path, k.key), "required");
}

std::string resolve(const std::string& dir, const std::string& rel) {
  fs::path p(rel);
  if (p.is_absolute() || dir.empty()) return p.lexically_normal().string();
  return (fs::path(dir) / p).lexically_normal().string();
}

PolicyConfig read_policy(Reader& r, const Value& p, std::size_t index, const std::string& dir,
                         const AdapterCatalog& catalog) {
  PolicyConfig pc;
  const std::string path = "policies[" + std::to_string(index) + "]";
  pc.key_path = path;
  r.only_keys(
      p, path,
      {"name", "script", "params", "interval", "target", "minReplicas", "maxReplicas", "min", "max",
       "behavior", "cooldown", "fallback", "signals", "limits", "history", "shadow", "shadow_log"});
  if (auto n = r.string(p, path, "name", true)) pc.name = *n;
  if (auto s = r.string(p, path, "script", true)) {
    pc.script_display = *s;
    pc.script_path = resolve(dir, *s);
  }
  if (const Value* params = r.object(p, path, "params")) pc.params = *params;
  if (auto d = r.duration(p, path, "interval")) {
    if (*d <= 0)
      r.problem(path + ".interval", "must be > 0");
    else
      pc.interval_seconds = *d;
  }
  if (auto d = r.duration(p, path, "history")) {
    pc.history_seconds = *d;
    pc.history_set = true;
  }
  if (auto s = r.boolean(p, path, "shadow")) pc.shadow = *s;
  if (auto l = r.string(p, path, "shadow_log")) {
    if (l->empty())
      r.problem(path + ".shadow_log", "must name a file");
    else if (!pc.shadow)
      r.problem(path + ".shadow_log", "only a shadow policy records (set \"shadow\": true)");
    else
      pc.shadow_log = resolve(dir, *l);
  }

  // Target.
  if (const Value* t = r.object(p, path, "target")) {
    const std::string tp = path + ".target";
    pc.target.options = *t;
    if (auto k = r.string(*t, tp, "kind")) pc.target.kind = *k;
    pc.target.replicas = r.integer(*t, tp, "replicas", 0, kMaxCount);
    const auto* keys = actuator_keys(catalog, pc.target.kind);
    if (pc.target.kind.empty() || keys) {
      r.only_keys(*t, tp, {"kind", "replicas"}, keys);
      if (keys) check_required(r, *t, tp, *keys);
    } else if (catalog.require_known) {
      std::vector<std::string> kinds;
      if (catalog.actuators)
        for (const auto& f : *catalog.actuators) kinds.emplace_back(f.kind);
      r.problem(tp + ".kind", "unknown target kind '" + pc.target.kind + "'" +
                                  did_you_mean(pc.target.kind, kinds) +
                                  "; kinds: " + word_list(kinds));
    }
  }

  // Bounds.
  auto min = r.integer(p, path, "minReplicas", 0, kMaxCount);
  if (!min) min = r.integer(p, path, "min", 0, kMaxCount);
  auto max = r.integer(p, path, "maxReplicas", 0, kMaxCount);
  if (!max) max = r.integer(p, path, "max", 0, kMaxCount);
  if (min) pc.guard.min = *min;
  if (max) pc.guard.max = *max;
  if (pc.guard.min > pc.guard.max)
    r.problem(path + ".minReplicas", "minReplicas " + std::to_string(pc.guard.min) +
                                         " is above maxReplicas " + std::to_string(pc.guard.max));

  if (const Value* b = r.object(p, path, "behavior")) {
    pc.guard.has_behavior = true;
    const std::string bp = path + ".behavior";
    r.only_keys(*b, bp, {"scaleUp", "scaleDown"});
    if (const Value* up = r.object(*b, bp, "scaleUp"))
      read_rules(r, *up, bp + ".scaleUp", pc.guard.scale_up);
    if (const Value* down = r.object(*b, bp, "scaleDown"))
      read_rules(r, *down, bp + ".scaleDown", pc.guard.scale_down);
  }
  if (const Value* c = p.find("cooldown")) {
    if (c->is_object()) {
      r.only_keys(*c, path + ".cooldown", {"scaleUp", "scaleDown"});
      if (auto d = r.duration(*c, path + ".cooldown", "scaleUp")) pc.guard.cooldown_up_seconds = *d;
      if (auto d = r.duration(*c, path + ".cooldown", "scaleDown"))
        pc.guard.cooldown_down_seconds = *d;
    } else if (auto d = r.duration(p, path, "cooldown")) {
      pc.guard.cooldown_up_seconds = pc.guard.cooldown_down_seconds = *d;
    }
  }
  if (const Value* f = r.object(p, path, "fallback")) {
    const std::string fp = path + ".fallback";
    r.only_keys(*f, fp, {"failureThreshold", "replicas", "behavior"});
    if (auto t = r.integer(*f, fp, "failureThreshold", 1, 1000000))
      pc.guard.fallback_failure_threshold = *t;
    pc.guard.fallback_replicas = r.integer(*f, fp, "replicas", 0, kMaxCount);
    using FB = GuardrailConfig::FallbackBehavior;
    if (auto b = r.string(*f, fp, "behavior")) {
      if (*b == "static")
        pc.guard.fallback_behavior = FB::Static;
      else if (*b == "currentReplicas")
        pc.guard.fallback_behavior = FB::CurrentReplicas;
      else if (*b == "currentReplicasIfHigher")
        pc.guard.fallback_behavior = FB::CurrentReplicasIfHigher;
      else if (*b == "currentReplicasIfLower")
        pc.guard.fallback_behavior = FB::CurrentReplicasIfLower;
      else
        r.problem(fp + ".behavior",
                  "must be static, currentReplicas, currentReplicasIfHigher or "
                  "currentReplicasIfLower");
    }
    if (!f->find("replicas") && pc.guard.fallback_behavior != FB::CurrentReplicas)
      r.problem(fp + ".replicas", "required");
  }
  if (const Value* l = r.object(p, path, "limits")) {
    const std::string lp = path + ".limits";
    r.only_keys(*l, lp, {"instructions", "memory", "timeout", "shared_state"});
    if (const Value* ss = l->find("shared_state")) {
      if (!ss->is_bool())
        r.problem(lp + ".shared_state", "must be true or false");
      else
        pc.limits.shared_state = ss->as_bool();
    }
    if (auto i = r.integer(*l, lp, "instructions", 1000, 100'000'000'000))
      pc.limits.instructions = *i;
    if (const Value* m = l->find("memory")) {
      std::optional<double> bytes;
      if (m->is_number())
        bytes = m->as_number();
      else if (m->is_string())
        bytes = parse_size(m->as_string());
      if (!bytes || *bytes < (1 << 20) || *bytes > (4.0 * (1ull << 30)))
        r.problem(lp + ".memory", "must be a size between 1Mi and 4Gi (e.g. \"32Mi\")");
      else
        pc.limits.memory_bytes = static_cast<std::size_t>(*bytes);
    }
    if (auto t = r.duration(*l, lp, "timeout")) {
      if (*t <= 0)
        r.problem(lp + ".timeout", "must be > 0");
      else
        pc.limits.timeout_seconds = *t;
    }
  }

  // Signals.
  if (const Value* sigs = r.object(p, path, "signals")) {
    for (const auto& [name, s] : sigs->as_object()) {
      const std::string sp = path + ".signals." + name;
      SignalConfig sc;
      sc.name = name;
      if (!s.is_object()) {
        r.problem(sp, "must be an object {\"source\": ..., ...}");
        continue;
      }
      sc.options = s;
      if (auto src = r.string(s, sp, "source")) sc.source = *src;
      sc.column = r.string(s, sp, "column").value_or(name);
      sc.stale_after = r.duration(s, sp, "stale_after");
      if (auto t = r.duration(s, sp, "timeout")) sc.timeout_seconds = *t;
      sc.optional = r.boolean(s, sp, "optional").value_or(false);
      const auto* keys = source_keys(catalog, sc.source);
      if (sc.source.empty() || keys) {
        r.only_keys(s, sp, {"source", "column", "stale_after", "timeout", "optional"}, keys);
        if (keys) check_required(r, s, sp, *keys);
      } else if (catalog.require_known) {
        std::vector<std::string> names;
        if (catalog.sources)
          for (const auto& f : *catalog.sources) names.emplace_back(f.name);
        r.problem(sp + ".source", "unknown source '" + sc.source + "'" +
                                      did_you_mean(sc.source, names) +
                                      "; sources: " + word_list(names));
      }
      pc.signals.push_back(std::move(sc));
    }
  }
  return pc;
}

}  // namespace

ConfigError::ConfigError(std::vector<std::string> p)
    : std::runtime_error(join_problems(p)), problems(std::move(p)) {}

Config parse_config(const std::string& text, const std::string& path,
                    const AdapterCatalog& catalog) {
  Config cfg;
  cfg.path = path;
  cfg.dir = fs::path(path).parent_path().string();
  try {
    cfg.raw = parse_json(text);
  } catch (const JsonError& e) {
    // what() starts "line L, column C: "; say it once, as file:line:column.
    std::string msg = e.what();
    if (auto colon = msg.find(": "); msg.rfind("line ", 0) == 0 && colon != std::string::npos)
      msg = msg.substr(colon + 2);
    throw ConfigError(
        {path + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": " + msg});
  }
  std::vector<std::string> problems;
  Reader r(path, problems);
  const Value& root = cfg.raw;
  if (!root.is_object()) throw ConfigError({path + ": the config must be a JSON object"});
  r.only_keys(root, "", {"policies", "server", "state_file", "replay", "leader_election"});
  if (const Value* le = r.object(root, "", "leader_election")) {
    r.only_keys(*le, "leader_election", {"enabled"}, catalog.leader_election_keys);
    const Value* en = le->find("enabled");
    if (en && !en->is_bool()) r.problem("leader_election.enabled", "must be true or false");
    if (!en || (en->is_bool() && en->as_bool())) cfg.leader_election = *le;
  }
  const Value* pols = root.find("policies");
  if (!pols || !pols->is_array() || pols->as_array().empty()) {
    r.problem("policies", "required: a non-empty array of policies");
  } else {
    std::set<std::string> names;
    for (std::size_t i = 0; i < pols->as_array().size(); ++i) {
      const Value& p = pols->as_array()[i];
      if (!p.is_object()) {
        r.problem("policies[" + std::to_string(i) + "]", "must be an object");
        continue;
      }
      PolicyConfig pc = read_policy(r, p, i, cfg.dir, catalog);
      if (!pc.name.empty() && !names.insert(pc.name).second)
        r.problem("policies[" + std::to_string(i) + "].name",
                  "duplicate policy name '" + pc.name + "'");
      cfg.policies.push_back(std::move(pc));
    }
  }
  if (const Value* s = r.object(root, "", "server")) {
    r.only_keys(*s, "server", {"listen", "token", "token_file"});
    if (auto l = r.string(*s, "server", "listen")) cfg.server.listen = *l;
    if (auto t = r.string(*s, "server", "token")) cfg.server.token = *t;
    if (auto t = r.string(*s, "server", "token_file")) cfg.server.token_file = resolve(cfg.dir, *t);
  }
  if (auto sf = r.string(root, "", "state_file")) cfg.state_file = resolve(cfg.dir, *sf);
  if (const Value* rp = r.object(root, "", "replay")) {
    cfg.replay.options = *rp;
    const std::string rpath = "replay";
    r.only_keys(*rp, rpath,
                {"ready_delay_seconds", "ready_delay", "demand", "capacity_per_replica",
                 "target_utilization", "margin", "closed_loop", "utilization_signal", "queue",
                 "price_per_replica_hour", "nodes", "node_groups", "pending"});
    if (auto d = r.duration(*rp, rpath, "ready_delay_seconds")) cfg.replay.ready_delay_seconds = *d;
    if (auto d = r.duration(*rp, rpath, "ready_delay")) cfg.replay.ready_delay_seconds = *d;
    DemandModel& m = cfg.replay.model;
    if (auto v = r.string(*rp, rpath, "demand")) m.demand_column = *v;
    if (auto v = r.number(*rp, rpath, "capacity_per_replica")) m.capacity_per_replica = *v;
    if (auto v = r.number(*rp, rpath, "target_utilization")) m.target_utilization = *v;
    if (auto v = r.number(*rp, rpath, "margin")) m.margin = *v;
    if (auto v = r.boolean(*rp, rpath, "closed_loop")) m.closed_loop = *v;
    if (auto v = r.string(*rp, rpath, "utilization_signal")) m.utilization_signal = *v;
    if (auto v = r.number(*rp, rpath, "price_per_replica_hour")) m.price_per_replica_hour = *v;
    if (const Value* q = r.object(*rp, rpath, "queue")) {
      r.only_keys(*q, "replay.queue", {"signal", "service_rate_per_replica", "slo"});
      if (auto v = r.string(*q, "replay.queue", "signal", true)) m.queue_signal = *v;
      if (auto v = r.number(*q, "replay.queue", "service_rate_per_replica"))
        m.service_rate_per_replica = *v;
      else
        r.problem("replay.queue.service_rate_per_replica", "required");
      if (auto v = r.duration(*q, "replay.queue", "slo")) m.queue_slo_seconds = *v;
    }
    if (const Value* n = r.object(*rp, rpath, "nodes")) {
      r.only_keys(*n, "replay.nodes", {"pods_per_node", "provisioning_delay", "price_per_hour"});
      if (auto v = r.number(*n, "replay.nodes", "pods_per_node", 1))
        m.pods_per_node = *v;
      else
        r.problem("replay.nodes.pods_per_node", "required");
      if (auto v = r.duration(*n, "replay.nodes", "provisioning_delay"))
        m.node_provisioning_seconds = *v;
      if (auto v = r.number(*n, "replay.nodes", "price_per_hour")) m.price_per_node_hour = *v;
    }
    if (const Value* pd = r.object(*rp, rpath, "pending")) {
      const std::string pp = "replay.pending";
      r.only_keys(*pd, pp, {"signal", "pods_per_node", "cpu", "memory", "name"});
      if (auto v = r.string(*pd, pp, "signal", true)) m.pending_signal = *v;
      if (auto v = r.number(*pd, pp, "pods_per_node", 1))
        m.pending_pods_per_node = *v;
      else if (!pd->find("pods_per_node"))
        r.problem(pp + ".pods_per_node", "required");
      if (auto v = r.number(*pd, pp, "cpu")) m.pod_cpu = *v;
      if (const Value* mem = pd->find("memory"); mem && !mem->is_null()) {
        std::optional<double> bytes;
        if (mem->is_number()) bytes = mem->as_number();
        if (mem->is_string()) bytes = parse_size(mem->as_string());
        if (!bytes)
          r.problem(pp + ".memory", "must be a size such as \"2Gi\" or bytes");
        else
          m.pod_memory = *bytes;
      }
      if (auto v = r.string(*pd, pp, "name")) m.pod_name = *v;
    }
    if (const Value* groups = rp->find("node_groups"); groups && !groups->is_null()) {
      if (!groups->is_array()) {
        r.problem("replay.node_groups",
                  "must be a list of {\"name\": ..., \"price_per_hour\": ...}");
      } else {
        for (std::size_t i = 0; i < groups->as_array().size(); ++i) {
          const Value& g = groups->as_array()[i];
          const std::string gp = "replay.node_groups[" + std::to_string(i) + "]";
          if (!g.is_object()) {
            r.problem(gp, "must be an object {\"name\": ..., \"price_per_hour\": ...}");
            continue;
          }
          r.only_keys(g, gp, {"name", "price_per_hour"});
          auto name = r.string(g, gp, "name", true);
          auto price = r.number(g, gp, "price_per_hour");
          if (!g.find("price_per_hour")) r.problem(gp + ".price_per_hour", "required");
          if (name && price && !m.group_price_per_hour.emplace(*name, *price).second)
            r.problem(gp + ".name", "duplicate group '" + *name + "'");
        }
      }
    }
    if (!m.demand_column.empty() && m.capacity_per_replica <= 0 && m.queue_signal.empty() &&
        m.pending_signal.empty())
      r.problem("replay.capacity_per_replica", "required (> 0) with a demand column");
    if (m.demand_column.empty() &&
        (m.closed_loop || !m.queue_signal.empty() || !m.pending_signal.empty()))
      r.problem("replay.demand", "required: the trace column that holds the demand");
    if (m.closed_loop && m.utilization_signal.empty() && m.queue_signal.empty() &&
        m.pending_signal.empty())
      r.problem("replay.closed_loop",
                "needs utilization_signal, queue.signal or pending.signal to feed back");
    if (!m.pending_signal.empty() && !m.closed_loop)
      r.problem("replay.pending", "needs closed_loop: true (pending pods follow the simulation)");
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return cfg;
}

Config load_config(const std::string& path, const AdapterCatalog& catalog) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError({path + ": cannot read the config file"});
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path, catalog);
}

PolicyConfig policy_config_for_script(const std::string& script_path) {
  PolicyConfig pc;
  pc.name = fs::path(script_path).stem().string();
  pc.script_path = script_path;
  pc.script_display = script_path;
  pc.guard.min = 0;
  pc.key_path = "";
  pc.bare = true;
  return pc;
}

std::string stdlib_dir() {
  if (const char* env = std::getenv("LUASCALE_STDLIB"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const char* rel : {"../policies/lib", "../share/luascale/policies/lib", "policies/lib"}) {
      fs::path cand = exe.parent_path() / rel;
      if (fs::exists(cand / "luascale", ec)) return cand.lexically_normal().string();
    }
  }
  return std::string(LUASCALE_SOURCE_DIR) + "/policies/lib";
}

}  // namespace luascale
