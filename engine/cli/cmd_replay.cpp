// engine/cli/cmd_replay.cpp — `luascale replay`: dry-run over a recorded trace.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"
#include "engine/core/units.hpp"
#include "engine/replay/replay.hpp"
#include "engine/state/state_file.hpp"

namespace luascale::cli {

int cmd_replay(const ReplayOptionsCli& o) {
  Config config;
  std::vector<PolicyConfig> pcs = load_policies(o.path, &config);
  if (is_script(o.path) && !o.interval.empty()) {
    auto iv = parse_duration(o.interval);
    if (!iv || *iv <= 0) throw std::runtime_error("--interval: not a duration: " + o.interval);
    pcs.front().interval_seconds = *iv;
  } else if (!o.interval.empty()) {
    throw std::runtime_error("--interval applies to a bare policy; set \"interval\" in the config");
  }
  // --policy: the same config policy, run with other scripts, side by side.
  if (!o.policies.empty()) {
    std::vector<PolicyConfig> variants;
    for (const auto& script : o.policies) {
      PolicyConfig v = pcs.front();
      v.script_path = script;
      v.script_display = script;
      v.name = std::filesystem::path(script).stem().string();
      for (const auto& u : variants)
        if (u.name == v.name) v.name = script;
      variants.push_back(std::move(v));
    }
    pcs = std::move(variants);
  }

  ReplayOptions ro;
  if (o.start_replicas) {
    if (*o.start_replicas < 0) throw std::runtime_error("--start-replicas: must be >= 0");
    ro.start_replicas = *o.start_replicas;
  }
  ro.ready_delay_seconds = config.replay.ready_delay_seconds;
  if (!o.ready_delay.empty()) {
    auto d = parse_duration(o.ready_delay);
    if (!d) throw std::runtime_error("--ready-delay: not a duration: " + o.ready_delay);
    ro.ready_delay_seconds = *d;
  }
  if (!o.from.empty()) {
    ro.start_time = parse_timestamp(o.from);
    if (!ro.start_time) throw std::runtime_error("--from: not a timestamp: " + o.from);
  }
  if (!o.to.empty()) {
    ro.end_time = parse_timestamp(o.to);
    if (!ro.end_time) throw std::runtime_error("--to: not a timestamp: " + o.to);
  }

  std::ofstream csv_file;
  std::unique_ptr<DecisionCsvWriter> csv;
  if (!o.out.empty()) {
    csv_file.open(o.out, std::ios::binary | std::ios::trunc);
    if (!csv_file) throw std::runtime_error(o.out + ": cannot write");
    csv = std::make_unique<DecisionCsvWriter>(csv_file);
  }

  std::vector<ReplaySummary> rows;
  Value states = Value::object();
  for (const auto& pc : pcs) {
    std::string err;
    auto rt = PolicyRuntime::create(pc, &err);
    if (!rt) {
      std::cerr << err << "\n";
      return 1;
    }
    auto trace = TraceReader::open(o.trace);
    rows.push_back(replay_trace(*rt, *trace, ro, csv.get()));
    if (!o.state_out.empty()) {
      std::string serr;
      Value st = rt->save_state(&serr);
      if (!serr.empty()) std::cerr << "warning: " << serr << "\n";
      states.set(pc.name, st);
    }
    if (!o.quiet)
      std::cerr << "replayed " << pc.name << ": " << rows.back().rows << " rows, " << rows.back().ticks << " ticks\n";
  }
  if (csv_file.is_open()) {
    csv_file.flush();
    if (!csv_file) throw std::runtime_error(o.out + ": write failed");
  }
  print_summary_table(rows, std::cout);
  if (!o.state_out.empty()) {
    std::string err;
    if (!save_state_file(o.state_out, states, rows.empty() ? 0 : rows.back().last_time, &err)) {
      std::cerr << err << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace luascale::cli
