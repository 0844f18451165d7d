// engine/cli/common.hpp — helpers shared by the CLI commands.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/config/config.hpp"

namespace luascale::cli {

bool ends_with(const std::string& s, const std::string& suffix);
// True for paths the CLI treats as a policy script rather than a config.
inline bool is_script(const std::string& path) {
  return ends_with(path, ".lua");
}

// The adapter catalog for validation (`require_known` in check and run).
AdapterCatalog adapter_catalog(bool require_known);

// The policies a command works on: a config's policies, or one bare script.
// Throws ConfigError / std::runtime_error.
std::vector<PolicyConfig> load_policies(const std::string& path, Config* config_out = nullptr,
                                        bool require_known_adapters = false);

// --from / --to of replay and tune: timestamps (unix seconds or RFC 3339), --from not after --to.
// Throws std::runtime_error naming the option.
struct TimeWindow {
  std::optional<double> from, to;
};
TimeWindow parse_time_window(const std::string& from, const std::string& to);

// The command line as a shell would read it back ("luascale replay 'a b.json' ..."), program
// name first as "luascale".
std::string shell_command_line(int argc, char** argv);

// Parses a JSON CLI argument (text or @file) that must be an object; what names it in errors.
Value json_arg(const std::string& arg, const std::string& what);

}  // namespace luascale::cli
