// engine/cli/cmd_check.cpp — `luascale check`: validate configs and policy scripts as `run` would:
// the config's shape, every script, and what run needs beyond the shape (adapters built from
// their options, listen address, token file, state folder, leader election). What only run needs
// and a replay-only config leaves out is a note on its own line, not a failure.
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "adapters/kubernetes/leader_election.hpp"
#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/config/run_validation.hpp"
#include "engine/loop/policy_runtime.hpp"

namespace luascale::cli {
namespace {

// The leader election block built as run builds it (nothing starts), as run reports it.
std::string leader_election_problem(const Config& cfg) {
  if (cfg.leader_election.is_null()) return "";
  boost::asio::io_context scratch;
  AdapterContext actx{scratch, cfg.dir};
  try {
    kube::make_leader_elector(actx, cfg.leader_election);
  } catch (const std::exception& e) {
    return cfg.path + ": leader_election: " + e.what();
  }
  return "";
}

}  // namespace

int cmd_check(const CheckOptions& o) {
  int failed = 0;
  for (const auto& path : o.paths) {
    std::vector<PolicyConfig> pcs;
    Config cfg;
    try {
      pcs = load_policies(path, &cfg, /*require_known_adapters=*/true);
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
    RunValidation run;
    if (!is_script(path)) {
      run = validate_for_run(cfg, builtin_sources(), builtin_actuators());
      if (auto p = leader_election_problem(cfg); !p.empty()) run.problems.push_back(p);
    }
    for (const auto& p : run.problems) {
      std::cerr << p << "\n";
      ok = false;
    }
    if (!ok) {
      ++failed;
      continue;
    }
    std::cout << "ok: " << path << " (" << pcs.size() << (pcs.size() == 1 ? " policy" : " policies")
              << ")" << (run.run_only.empty() ? "" : "; for replay, eval and tune, not for run")
              << "\n";
    for (const auto& n : run.run_only) std::cout << "note: " << n << "\n";
  }
  return failed ? 1 : 0;
}

}  // namespace luascale::cli
