// engine/cli/main.cpp — `luascale` entry point: argument parsing and dispatch.
#include <CLI/CLI.hpp>
#include <csignal>

#include <iostream>

#include "engine/cli/commands.hpp"
#include "engine/cli/common.hpp"

using namespace luascale::cli;

namespace {

// --prometheus and friends, shared by replay and tune.
void add_pull_options(CLI::App* app, PrometheusPullCli& pull) {
  app->add_option("--prometheus", pull.url,
                  "Pull the trace from this Prometheus server (base URL) with --query");
  app->add_option("--query", pull.queries,
                  "NAME=PROMQL: a signal pulled with /api/v1/query_range (repeatable)");
  app->add_option("--start", pull.start, "Pull from this time (unix seconds or RFC 3339)");
  app->add_option("--end", pull.end, "Pull up to this time (unix seconds or RFC 3339)");
  app->add_option("--step", pull.step, "Pull resolution (default 15s)");
  app->add_option("--cloudwatch", pull.cloudwatch,
                  "NAME=JSON: a signal pulled from CloudWatch GetMetricData; JSON holds the "
                  "cloudwatch source's keys (repeatable)");
  app->add_option("--save-trace", pull.save_trace, "Keep the pulled trace as this CSV file");
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that closes its connection (an HTTP client, a server) or a reader that closes its
  // pipe is an error on that write, not a reason to end the process.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "luascale — scaling policies in sandboxed Lua, with guardrails, actuators and replay"};
  app.set_version_flag("--version", std::string("luascale ") + LUASCALE_VERSION);
  app.require_subcommand(1);

  EvalOptions eval;
  auto* e = app.add_subcommand(
      "eval", "Evaluate a policy once on given signals and print the decision as JSON");
  e->add_option("policy", eval.path, "Policy script (.lua) or config (.json)")->required();
  e->add_option(
      "--signals", eval.signals,
      "Signals as a JSON object (or @file): name -> number | list | {\"history\": [[t, v], ...]} "
      "(t <= 0, seconds before now; or {\"t\": t, \"v\": v}) | {\"value\": v, \"age\": s} | "
      "{\"error\": \"...\"}, as in test files");
  e->add_option(
      "--target", eval.target,
      "Target as JSON (or @file): {\"replicas\": N, \"ready\": N, \"min\": N, \"max\": N}");
  e->add_option("--params", eval.params, "Params as JSON (or @file), merged over the policy's");
  e->add_option("--state", eval.state,
                "Start from this state file (as replay --state-out and run write it)");
  e->add_option("--state-out", eval.state_out,
                "Write the state after this evaluation to this file");
  e->add_option("--name", eval.policy_name, "Policy of a config to evaluate (default: the first)");
  e->add_option("--now", eval.now, "Evaluation time, unix seconds (default: now)");

  CheckOptions check;
  auto* c =
      app.add_subcommand("check", "Validate configs and policies; errors as file:line or key path");
  c->add_option("paths", check.paths, "Config (.json) or policy (.lua) files")->required();

  ReplayOptionsCli replay;
  auto* r = app.add_subcommand("replay", "Dry-run policies over a recorded trace and summarise");
  r->add_option("config", replay.path, "Config (.json) or policy (.lua)")->required();
  r->add_option("--trace", replay.traces,
                "Trace file: CSV (timestamp,<signal>...) or JSON Lines; repeat for a fleet (one "
                "row per trace and policy); NAME=FILE.json arguments (Prometheus query_range "
                "answers) merge into one trace");
  add_pull_options(r, replay.pull);
  r->add_option("--report", replay.report,
                "Write a self-contained HTML report (charts per policy, comparison table)");
  r->add_option("--report-title", replay.report_title, "Title of the HTML report");
  r->add_option("--fail-if", replay.fail_if,
                "Exit 3 when a summary metric crosses a threshold, e.g. under>5%, errors>0, "
                "flips>=20 (repeatable)");
  r->add_option("--slo", replay.slos,
                "METRIC=LIMIT each policy should meet: under=1%, recover=5m, shortfall=2, "
                "flips=20 (repeatable; errors=0 implied); a verdict per policy, exit 3 when none "
                "meets it");
  r->add_flag("--allow-errors", replay.allow_errors,
              "Exit 0 even when evaluations failed (they hold the count; the summary counts them)");
  r->add_option("--jobs", replay.jobs,
                "Replay (trace, policy) pairs in parallel on this many threads")
      ->check(CLI::Range(1, 256));
  r->add_option(
      "--policy", replay.policies,
      "Replay this script in place of the config's policy (repeatable, compared side by side)");
  r->add_option("--out", replay.out, "Write every decision to this CSV file");
  r->add_option("--state-out", replay.state_out,
                "Write the state after the replay (state-file format)");
  r->add_option("--interval", replay.interval,
                "Evaluation interval for a bare policy (default 15s)");
  r->add_option("--start-replicas", replay.start_replicas,
                "Starting count of the simulated target");
  r->add_option("--ready-delay", replay.ready_delay,
                "New replicas become ready after this long (e.g. 90s)");
  r->add_option("--from", replay.from, "Start at this time (unix seconds or RFC 3339)");
  r->add_option("--to", replay.to, "Stop after this time (unix seconds or RFC 3339)");
  r->add_option("--holdout", replay.holdout,
                "Replay the whole trace but count only its held-out part, as tune --holdout "
                "judges it: FRACTION of the time span at the end (0.5, 30%) or the TIME it starts");
  r->add_flag("--quiet", replay.quiet,
              "Print only the summary table (no progress line on a terminal)");
  r->add_flag("--backtest", replay.backtest,
              "Compare what a forecasting policy forecast h steps ahead with what came: MAE, "
              "MAPE, bias and interval coverage per horizon, after the summary and in the report");
  r->add_option("--backtest-signal", replay.backtest_signal,
                "The trace column --backtest compares with (default: replay.demand, else the "
                "policy's signal param)");
  r->add_flag("--actuate", replay.actuate,
              "Closed loop through the config's target actuator (e.g. aws-asg at a test endpoint) "
              "instead of the simulated target");

  RunOptionsCli run;
  auto* u = app.add_subcommand(
      "run", "Run every policy on its interval against live signals and actuate (sidecar mode)");
  u->add_option("config", run.config, "Config (.json)")->required();
  u->add_option("--state", run.state_file, "State file (default: the config's state_file)");
  u->add_option("--listen", run.listen,
                "HTTP address for /metrics etc. (default: server.listen, 127.0.0.1:9464); \"off\" "
                "disables it");
  u->add_flag("--once", run.once, "Evaluate every policy once, actuate, and exit");
  u->add_option("--threads", run.threads, "Worker threads (default 1)")->check(CLI::Range(1, 64));
  u->add_option("--log-format", run.log_format,
                "Logs on stderr: json (one object per line) or text")
      ->check(CLI::IsMember({"json", "text"}));
  u->add_flag("--no-reload", run.no_reload,
              "Do not watch the config and scripts for changes (SIGHUP still reloads)");

  TuneOptionsCli tune;
  auto* n = app.add_subcommand("tune",
                               "Replay a config's policy over a grid of settings; print the Pareto "
                               "front and the cheapest setting meeting the SLO");
  n->add_option("config", tune.path, "Config (.json)")->required();
  n->add_option(
      "--trace", tune.traces,
      "Trace file (CSV, JSON Lines), or NAME=FILE.json query_range answers merged into one trace");
  add_pull_options(n, tune.pull);
  n->add_option("--param", tune.params,
                "NAME=LO:HI:STEP or NAME=V1,V2,...: a params key (per_replica), a policy key path "
                "(behavior.scaleDown.stabilizationWindowSeconds, params.metrics[0].target) or "
                "replay.KEY (repeatable)")
      ->required();
  n->add_option("--slo", tune.slos,
                "METRIC=LIMIT the best setting must meet: under=1%, flips=20, shortfall=2, "
                "recover=5m, errors=0 (repeatable)");
  n->add_option("--name", tune.policy, "Policy of the config to tune (default: the first)");
  n->add_option("--jobs", tune.jobs, "Parallel replays (default: one per core)")
      ->check(CLI::Range(1, 256));
  n->add_option("--max-runs", tune.max_runs, "Replay at most this many settings (default 256)");
  n->add_option(
       "--search", tune.search,
       "grid (every setting), random (--max-runs settings at random), coordinate (descent one "
       "parameter at a time), or auto: grid when it fits in --max-runs, else coordinate (default)")
      ->check(CLI::IsMember({"auto", "grid", "random", "coordinate"}));
  n->add_option("--search-start", tune.start,
                "Where coordinate descent starts: config (the config's values, default) or middle "
                "(the middle of each range)")
      ->check(CLI::IsMember({"config", "middle"}));
  n->add_option("--from", tune.from, "Replay from this time (unix seconds or RFC 3339)");
  n->add_option("--to", tune.to, "Replay up to this time (unix seconds or RFC 3339)");
  n->add_option("--holdout", tune.holdout,
                "Out-of-sample: search on the earlier part of the trace, replay the Pareto front "
                "on the held-out rest and pick by its figures. FRACTION of the time span held out "
                "at the end (0.5, 30%) or the TIME it starts (RFC 3339 or unix seconds)");
  n->add_option("--seed", tune.seed, "Seed of the random sample (default 1)");
  n->add_flag("--quiet", tune.quiet, "No progress on stderr (no progress line on a terminal)");

  ShadowReportOptions shadow;
  auto* w = app.add_subcommand("shadow-report",
                               "Compare what shadow policies would have set with the live counts, "
                               "from the shadow logs `run` wrote; optionally as an HTML report");
  w->add_option("logs", shadow.logs, "Shadow logs (CSV), oldest first: shadow.csv.1 shadow.csv")
      ->required();
  w->add_option("--policy", shadow.policies, "Only this policy (repeatable)");
  w->add_option("--from", shadow.from, "Only ticks from this time (unix seconds or RFC 3339)");
  w->add_option("--to", shadow.to, "Only ticks up to this time (unix seconds or RFC 3339)");
  w->add_option("--report", shadow.report,
                "Write a self-contained HTML report: shadow vs live, then the replay report's "
                "summaries and charts of both counts");
  w->add_option("--report-title", shadow.report_title, "Title of the HTML report");

  TestOptions test;
  auto* t = app.add_subcommand("test", "Run policy test files (*_test.lua)");
  t->add_option("paths", test.paths, "Test files or folders searched for *_test.lua")->required();

  replay.command_line = shadow.command_line = shell_command_line(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*e) return cmd_eval(eval);
    if (*c) return cmd_check(check);
    if (*r) return cmd_replay(replay);
    if (*t) return cmd_test(test);
    if (*n) return cmd_tune(tune);
    if (*u) return cmd_run(run);
    if (*w) return cmd_shadow_report(shadow);
  } catch (const std::exception& ex) {
    std::cerr << "luascale: " << ex.what() << "\n";
    return 1;
  }
  return 2;
}
