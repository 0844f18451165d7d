// tests/adapter_helpers.hpp — driving adapters from tests: build a source or actuator by name from
// the builtin table, and wait (bounded) for an async callback on a private io_context.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "engine/adapter.hpp"
#include "engine/core/value.hpp"

namespace luascale::test {

// Runs io until `done` holds (or 30 s pass, which throws).
template <class Pred>
void run_until(boost::asio::io_context& io, Pred done,
               std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  io.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) throw std::runtime_error("callback never ran");
    io.run_one_for(std::chrono::milliseconds(50));
    io.restart();
  }
}

inline std::unique_ptr<Source> make_source(AdapterContext& ctx, const std::string& json,
                                           double timeout_seconds = 5) {
  SignalSpec spec;
  spec.name = "sig";
  spec.options = parse_json(json);
  spec.source = spec.options.find("source")->as_string();
  spec.timeout_seconds = timeout_seconds;
  for (const auto& f : builtin_sources())
    if (spec.source == f.name) return f.make(ctx, spec);
  throw std::runtime_error("no source " + spec.source);
}

inline std::unique_ptr<Actuator> make_actuator(AdapterContext& ctx, const std::string& json) {
  Value target = parse_json(json);
  std::string kind = target.find("kind")->as_string();
  for (const auto& f : builtin_actuators())
    if (kind == f.kind) return f.make(ctx, "test-policy", target);
  throw std::runtime_error("no actuator " + kind);
}

inline SampleOutcome fetch(boost::asio::io_context& io, Source& source) {
  std::optional<SampleOutcome> out;
  source.fetch([&](SampleOutcome o) { out = std::move(o); });
  run_until(io, [&] { return out.has_value(); });
  return *out;
}

// The fetched number, or the error text prefixed with "ERROR: " (for readable CHECK failures).
inline std::string fetch_text(boost::asio::io_context& io, Source& source) {
  auto out = fetch(io, source);
  if (!out.sample) return "ERROR: " + out.error;
  return to_json(out.sample->value);
}

}  // namespace luascale::test
