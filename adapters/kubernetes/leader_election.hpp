// adapters/kubernetes/leader_election.hpp — leader election on a coordination.k8s.io/v1 Lease, with
// client-go's algorithm and timing (lease 15 s, renew deadline 10 s, retry 2 s, jitter 1.2): only
// the holder actuates. is_leader() turns false the moment the renew deadline passes without a
// successful renewal, before any other candidate may take over (lease duration > renew deadline).
//
//   follower --(lease free or expired; update/create wins)--> leader
//   leader   --(renewed within renew deadline)--------------> leader
//   leader   --(renew deadline passed / lease lost)----------> follower (keeps trying)
//   leader   --(stop with release)--> lease released (holder "", 1 s) --> stopped
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/kubernetes/kube_client.hpp"
#include "engine/adapter.hpp"

namespace luascale::kube {

struct LeaderElectionOptions {
  std::string lease_namespace;  // "" = the connection's default namespace
  std::string lease_name = "luascale";
  std::string identity;  // "" = $POD_NAME or hostname, + "_" + random suffix
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  bool release_on_stop = true;  // ReleaseOnCancel: a successor takes over in ~retry_period
};

// "" when valid; else why (client-go's rule: lease > renew > 1.2 x retry > 0, whole seconds lease).
std::string validate(const LeaderElectionOptions& options);

class LeaderElector {
 public:
  LeaderElector(boost::asio::io_context& io, std::shared_ptr<KubeClient> client,
                LeaderElectionOptions options);
  // Stops without releasing (as a crash would); prefer stop() first.
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void start();
  // Stops campaigning; when leading and release_on_stop, releases the lease first. done (optional)
  // runs on the io_context when that is finished.
  void stop(std::function<void()> done = {});

  // Thread-safe. True only while this process holds a lease renewed within the renew deadline.
  bool is_leader() const;
  const std::string& identity() const;
  // The holder seen in the last read of the lease ("" = none/unknown). Thread-safe.
  std::string observed_holder() const;
  // Called (on the io_context) whenever leadership is gained or lost.
  void on_change(std::function<void(bool leading)> callback);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// From a config block {"namespace", "name", "identity", "lease_duration", "renew_deadline",
// "retry_period", "release_on_stop", "kubeconfig", "context"}; throws std::runtime_error.
std::unique_ptr<LeaderElector> make_leader_elector(AdapterContext& ctx, const Value& options);
// The keys make_leader_elector accepts (plus "enabled"), for the config loader.
const std::vector<ConfigKey>& leader_election_keys();

}  // namespace luascale::kube
