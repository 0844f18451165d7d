// engine/cli/cmd_run.cpp — `luascale run`: the sidecar/daemon.
#include <utility>

#include <boost/asio/io_context.hpp>
#include <iostream>
#include <thread>
#include <vector>

#include "engine/cli/commands.hpp"
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
