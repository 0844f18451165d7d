// engine/cli/cmd_run.cpp — `luascale run`: the sidecar/daemon.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <iostream>
#include <thread>
#include <vector>

#include "adapters/kubernetes/leader_election.hpp"
#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/loop/runner.hpp"

namespace luascale::cli {

int cmd_run(const RunOptionsCli& o) {
  boost::asio::io_context io;
  RunOptions ro;
  ro.config_path = o.config;
  ro.state_file = o.state_file;
  ro.listen = o.listen;
  ro.once = o.once;
  if (o.no_reload) ro.reload_poll_seconds = 0;
  ro.log_json = o.log_format != "text";
  ro.leader_election_keys = &kube::leader_election_keys();
  // Leader election (Kubernetes Lease): only the holder actuates; the others evaluate and serve.
  std::unique_ptr<kube::LeaderElector> elector;
  {
    Config cfg;
    try {
      cfg = load_config(o.config, adapter_catalog(true));
    } catch (const ConfigError& e) {
      for (const auto& p : e.problems) std::cerr << p << "\n";
      return 1;
    }
    if (!cfg.leader_election.is_null()) {
      AdapterContext actx{io, cfg.dir};
      try {
        elector = kube::make_leader_elector(actx, cfg.leader_election);
      } catch (const std::exception& e) {
        std::cerr << cfg.path << ": leader_election: " << e.what() << "\n";
        return 1;
      }
      elector->start();
      ro.is_leader = [p = elector.get()] { return p->is_leader(); };
      // On shutdown, stop campaigning and release the lease so a standby takes over at once.
      ro.on_stop = [p = elector.get()] { p->stop(); };
    }
  }
  Runner runner(io, ro, builtin_sources(), builtin_actuators());
  std::string err;
  if (!runner.start(&err)) {
    std::cerr << err << "\n";
    return 1;
  }
  std::vector<std::thread> workers;
  for (int i = 1; i < o.threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& w : workers) w.join();
  return 0;
}

}  // namespace luascale::cli
