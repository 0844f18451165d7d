// engine/cli/commands.hpp — the subcommands of the `luascale` CLI. main.cpp parses arguments
// (CLI11) into these option structs; each cmd_*.cpp runs one command and returns the exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/cli/trace_inputs.hpp"

namespace luascale::cli {

struct EvalOptions {
  std::string path;           // policy .lua or config .json
  std::string policy_name;    // which policy of a config ("" = the first)
  std::string signals;        // JSON object, or @file
  std::string target;         // JSON object {"replicas":N,"ready":N}, or @file
  std::string params;         // JSON object merged over the params, or @file
  std::string state;          // a state file (replay --state-out / run) to start from
  std::string state_out;      // write the state after the evaluation
  std::optional<double> now;  // unix seconds; default: the wall clock
};
int cmd_eval(const EvalOptions& o);

struct CheckOptions {
  std::vector<std::string> paths;
};
int cmd_check(const CheckOptions& o);

struct ReplayOptionsCli {
  std::string path;                   // config .json or policy .lua
  std::vector<std::string> traces;    // one or more traces (a fleet: one row per trace x policy)
  std::vector<std::string> policies;  // --policy: alternative scripts for the config's policy
  std::vector<std::string> fail_if;   // "under>5%": exit 3 when any holds
  std::vector<std::string> slos;      // --slo "under=5%": a verdict per policy
  bool allow_errors = false;          // evaluation errors do not fail the replay
  int jobs = 1;                       // parallel (trace, policy) replays
  std::string out;                    // decisions CSV
  std::string state_out;              // persisted state after the replay
  std::string interval;               // bare policies: evaluation interval (default 15s)
  std::optional<long long> start_replicas;
  std::string ready_delay;
  std::string from, to;  // timestamps bounding the replay
  std::string holdout;   // --holdout FRACTION|TIME: count only the held-out part
  bool quiet = false;
  PrometheusPullCli pull;  // --prometheus URL --query NAME=PROMQL ...: the trace pulled
  std::string report;      // --report: the HTML report file
  std::string report_title;
  bool backtest = false;        // --backtest: compare each policy's forecasts with what came
  std::string backtest_signal;  // --backtest-signal: the trace column compared with
  bool actuate = false;         // --actuate: drive the config's real target actuator
  std::string command_line;     // how luascale was invoked, for the report
};
int cmd_replay(const ReplayOptionsCli& o);

struct TuneOptionsCli {
  std::string path;                 // config .json
  std::vector<std::string> traces;  // --trace (NAME=FILE inputs merge into one trace)
  PrometheusPullCli pull;
  std::vector<std::string> params;  // --param NAME=LO:HI:STEP | NAME=V1,V2
  std::vector<std::string> slos;    // --slo under=1%
  std::string policy;               // --name: the config's policy to tune ("" = the first)
  int jobs = 0;                     // 0 = one per core
  long long max_runs = 256;         // at most this many replays
  std::string search = "auto";      // --search grid|random|coordinate|auto
  std::string start = "config";     // --search-start config|middle: where coordinate descent starts
  std::string from, to;             // timestamps bounding each replay
  std::string holdout;              // --holdout FRACTION|TIME: search before, judge after
  unsigned long long seed = 1;
  bool quiet = false;
};
int cmd_tune(const TuneOptionsCli& o);

struct RunOptionsCli {
  std::string config;
  std::string state_file;  // overrides the config's state_file
  std::string listen;      // overrides server.listen; "off" disables the HTTP server
  bool once = false;       // one tick per policy, then exit
  int threads = 1;
  bool no_reload = false;  // no mtime polling (SIGHUP still reloads)
  std::string log_format = "json";
};
int cmd_run(const RunOptionsCli& o);

struct ShadowReportOptions {
  std::vector<std::string> logs;      // shadow logs, oldest first (shadow.csv.1 shadow.csv)
  std::vector<std::string> policies;  // --policy: only these (default: every one)
  std::string from, to;               // timestamps bounding the ticks compared
  std::string report;                 // --report: the HTML report file
  std::string report_title;
  std::string command_line;  // how luascale was invoked, for the report
};
int cmd_shadow_report(const ShadowReportOptions& o);

struct TestOptions {
  std::vector<std::string> paths;
};
int cmd_test(const TestOptions& o);

// Reads "@file" as the file's text, anything else as itself. False + *error when unreadable.
bool read_arg(const std::string& arg, std::string& out, std::string* error);

}  // namespace luascale::cli
