// adapters/actuators/aws_asg/asg_node_groups.cpp — see asg_node_groups.hpp. The groups are read
// and written one after another (each call already retries inside); the first failure ends the
// operation and is reported with the group's name.
#include "adapters/actuators/aws_asg/asg_node_groups.hpp"

#include <algorithm>
#include <functional>
#include <map>

namespace luascale::aws {

namespace {

class NodeGroupsActuator final : public Actuator {
 public:
  explicit NodeGroupsActuator(std::vector<std::pair<std::string, std::unique_ptr<Actuator>>> m)
      : members_(std::move(m)) {}

  void read(std::function<void(ReadOutcome)> done) override {
    auto sum = std::make_shared<ReadOutcome>();
    sum->state = TargetState{0, 0, 0, 0};
    read_from(0, sum, std::make_shared<std::vector<std::int64_t>>(), std::move(done));
  }

  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override {
    auto counts = std::make_shared<std::map<std::string, std::int64_t>>();
    for (const auto& [name, n] : info.groups) (*counts)[name] = n;
    for (const auto& [name, n] : *counts) {
      bool known = false;
      for (const auto& m : members_) known = known || m.first == name;
      if (!known) {
        ApplyOutcome out;
        out.error = "aws-asg: the decision names group \"" + name + "\", not in target.groups";
        return done(std::move(out));
      }
    }
    if (!counts->empty())
      return write_from(0, counts, info, std::make_shared<ApplyOutcome>(), done);
    // No split: the first group takes the whole difference.
    read([this, desired, info, done = std::move(done)](ReadOutcome r) mutable {
      if (!r.state) {
        ApplyOutcome out;
        out.error = r.error;
        return done(std::move(out));
      }
      auto counts = std::make_shared<std::map<std::string, std::int64_t>>();
      const std::int64_t first = last_read_.empty() ? 0 : last_read_[0];
      (*counts)[members_[0].first] = std::max<std::int64_t>(0, first + desired - r.state->replicas);
      write_from(0, counts, info, std::make_shared<ApplyOutcome>(), done);
    });
  }

 private:
  void read_from(std::size_t i, std::shared_ptr<ReadOutcome> sum,
                 std::shared_ptr<std::vector<std::int64_t>> each,
                 std::function<void(ReadOutcome)> done) {
    if (i == members_.size()) {
      last_read_ = *each;
      return done(std::move(*sum));
    }
    members_[i].second->read([this, i, sum, each, done = std::move(done)](ReadOutcome r) mutable {
      if (!r.state) {
        ReadOutcome out;
        out.error = "node group \"" + members_[i].first + "\": " + r.error;
        return done(std::move(out));
      }
      TargetState& s = *sum->state;
      s.replicas += r.state->replicas;
      s.ready += r.state->ready;
      s.min = *s.min + r.state->min.value_or(0);
      s.max = *s.max + r.state->max.value_or(0);
      each->push_back(r.state->replicas);
      read_from(i + 1, sum, each, std::move(done));
    });
  }

  // Sets each named group in config order; the other groups keep their counts.
  void write_from(std::size_t i, std::shared_ptr<std::map<std::string, std::int64_t>> counts,
                  ActuationInfo info, std::shared_ptr<ApplyOutcome> sum,
                  std::function<void(ApplyOutcome)> done) {
    if (i == members_.size()) {
      sum->ok = true;
      // What the target now holds: the groups written plus those left alone.
      read([sum, done = std::move(done)](ReadOutcome r) mutable {
        if (r.state) sum->applied = r.state->replicas;
        done(std::move(*sum));
      });
      return;
    }
    auto it = counts->find(members_[i].first);
    if (it == counts->end())
      return write_from(i + 1, counts, std::move(info), sum, std::move(done));
    ActuationInfo one = info;
    one.groups.clear();
    members_[i].second->apply(
        it->second, one,
        [this, i, counts, info, sum, done = std::move(done)](ApplyOutcome out) mutable {
          const std::string& name = members_[i].first;
          if (!out.note.empty())
            sum->note += (sum->note.empty() ? "" : "; ") + name + ": " + out.note;
          if (!out.ok) {
            sum->ok = false;
            sum->error = "node group \"" + name + "\": " + out.error;
            return done(std::move(*sum));
          }
          write_from(i + 1, counts, std::move(info), sum, std::move(done));
        });
  }

  std::vector<std::pair<std::string, std::unique_ptr<Actuator>>> members_;
  std::vector<std::int64_t> last_read_;  // each group's count at the last read, config order
};

}  // namespace

std::unique_ptr<Actuator> make_node_groups_actuator(
    std::vector<std::pair<std::string, std::unique_ptr<Actuator>>> members) {
  return std::make_unique<NodeGroupsActuator>(std::move(members));
}

}  // namespace luascale::aws
