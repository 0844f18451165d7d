// engine/loop/memory_adapters.hpp — a source and a target held in memory, for the commands and
// tests that drive the tick path without a network (`eval`, `test`): the source hands over the
// samples (or the error) queued since its last fetch; the target is a count that follows every
// write. Both answer at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/adapter.hpp"

namespace luascale {

class MemorySource final : public Source {
 public:
  // Queues a sample for the next fetch (samples are handed over in time order).
  void push(double time, Value v);
  // Makes the next fetch fail with `error` (queued samples are dropped).
  void fail(std::string error);
  void fetch(std::function<void(SampleOutcome)> done) override;

 private:
  std::vector<Sample> queued_;
  std::string error_;
};

class MemoryTarget final : public Actuator {
 public:
  TargetState state;                 // what read() reports
  std::vector<std::int64_t> writes;  // every count written, in order

  void read(std::function<void(ReadOutcome)> done) override;
  // Sets replicas (and ready) to `desired`.
  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override;
};

}  // namespace luascale
