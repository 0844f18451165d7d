// engine/cli/cmd_check.cpp — `luascale check`: validate configs and policy scripts.
#include <iostream>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/loop/policy_runtime.hpp"

namespace luascale::cli {

int cmd_check(const CheckOptions& o) {
  int failed = 0;
  for (const auto& path : o.paths) {
    std::vector<PolicyConfig> pcs;
    try {
      pcs = load_policies(path, nullptr, /*require_known_adapters=*/true);
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems) std::cerr << p << "\n";
      ++failed;
      continue;
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      ++failed;
      continue;
    }
    bool ok = true;
    for (const auto& pc : pcs) {
      std::string err;
      if (!PolicyRuntime::create(pc, &err)) {
        std::cerr << err << "\n";
        ok = false;
      }
    }
    if (ok)
      std::cout << "ok: " << path << " (" << pcs.size()
                << (pcs.size() == 1 ? " policy" : " policies") << ")\n";
    else
      ++failed;
  }
  return failed ? 1 : 0;
}

}  // namespace luascale::cli
