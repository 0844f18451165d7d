// engine/cli/common.cpp — helpers shared by the CLI commands.
#include "engine/cli/common.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "adapters/kubernetes/leader_election.hpp"
#include "engine/cli/commands.hpp"

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
