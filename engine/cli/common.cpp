// engine/cli/common.cpp — helpers shared by the CLI commands.
#include "engine/cli/common.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>

#include "adapters/kubernetes/leader_election.hpp"
#include "engine/cli/commands.hpp"
#include "engine/replay/trace.hpp"

namespace luascale::cli {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

AdapterCatalog adapter_catalog(bool require_known) {
  AdapterCatalog c;
  c.sources = &builtin_sources();
  c.actuators = &builtin_actuators();
  c.require_known = require_known;
  c.leader_election_keys = &kube::leader_election_keys();
  return c;
}

std::vector<PolicyConfig> load_policies(const std::string& path, Config* config_out,
                                        bool require_known) {
  if (is_script(path)) return {policy_config_for_script(path)};
  Config cfg = load_config(path, adapter_catalog(require_known));
  std::vector<PolicyConfig> out = cfg.policies;
  if (config_out) *config_out = std::move(cfg);
  return out;
}

TimeWindow parse_time_window(const std::string& from, const std::string& to) {
  TimeWindow w;
  if (!from.empty()) {
    w.from = parse_timestamp(from);
    if (!w.from) throw std::runtime_error("--from: not a timestamp: " + from);
  }
  if (!to.empty()) {
    w.to = parse_timestamp(to);
    if (!w.to) throw std::runtime_error("--to: not a timestamp: " + to);
  }
  if (w.from && w.to && *w.from > *w.to)
    throw std::runtime_error("--from " + format_timestamp(*w.from) + " is after --to " +
                             format_timestamp(*w.to) + ": the window holds no time");
  return w;
}

std::string shell_command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string arg = i == 0 ? "luascale" : argv[i];
    bool plain = !arg.empty();
    for (char ch : arg)
      plain = plain && (std::isalnum(static_cast<unsigned char>(ch)) ||
                        std::string_view("-_./=:,@%+").find(ch) != std::string_view::npos);
    if (!plain) {  // single-quoted; a quote inside closes, escapes and reopens
      std::string quoted = "'";
      for (char ch : arg) quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
      arg = quoted + "'";
    }
    line += (i ? " " : "") + arg;
  }
  return line;
}

bool read_arg(const std::string& arg, std::string& out, std::string* error) {
  if (arg.empty() || arg[0] != '@') {
    out = arg;
    return true;
  }
  std::ifstream in(arg.substr(1), std::ios::binary);
  if (!in) {
    if (error) *error = arg.substr(1) + ": cannot read";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

Value json_arg(const std::string& arg, const std::string& what) {
  std::string text, err;
  if (!read_arg(arg, text, &err)) throw std::runtime_error(what + ": " + err);
  std::string name = arg.size() > 1 && arg[0] == '@' ? arg.substr(1) : what;
  Value v;
  try {
    v = parse_json(text);
  } catch (const JsonError& e) {
    throw std::runtime_error(name + ": " + e.what());
  }
  if (!v.is_object()) throw std::runtime_error(name + ": expected a JSON object");
  return v;
}

}  // namespace luascale::cli
