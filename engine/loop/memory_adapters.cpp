// engine/loop/memory_adapters.cpp — see memory_adapters.hpp.
#include "engine/loop/memory_adapters.hpp"

#include <algorithm>

namespace luascale {

void MemorySource::push(double time, Value v) {
  queued_.push_back(Sample{std::move(v), time});
}

void MemorySource::fail(std::string error) {
  error_ = std::move(error);
  queued_.clear();
}

void MemorySource::fetch(std::function<void(SampleOutcome)> done) {
  SampleOutcome out;
  if (!error_.empty()) {
    out.error.swap(error_);
  } else if (!queued_.empty()) {
    std::stable_sort(queued_.begin(), queued_.end(),
                     [](const Sample& a, const Sample& b) { return a.timestamp < b.timestamp; });
    out.sample = std::move(queued_.back());
    queued_.pop_back();
    out.earlier.swap(queued_);
  }
  done(std::move(out));
}

void MemoryTarget::read(std::function<void(ReadOutcome)> done) {
  ReadOutcome out;
  out.state = state;
  done(std::move(out));
}

void MemoryTarget::apply(std::int64_t desired, const ActuationInfo&,
                         std::function<void(ApplyOutcome)> done) {
  state.replicas = state.ready = desired;
  writes.push_back(desired);
  ApplyOutcome out;
  out.ok = true;
  out.applied = desired;
  done(std::move(out));
}

}  // namespace luascale
