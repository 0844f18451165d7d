// adapters/kubernetes/leader_election.cpp — client-go's tryAcquireOrRenew on a Lease (see
// leader_election.hpp). Expiry is judged by the local time at which the lease record last changed
// (observedTime), never by the renewTime written by another machine, so clock skew does not matter.
#include "adapters/kubernetes/leader_election.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>

#include "adapters/kubernetes/adapter_support.hpp"

namespace luascale::kube {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr double kJitterFactor = 1.2;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

struct Record {
  std::string holder;
  std::int64_t duration_seconds = 0;
  std::string acquire_time, renew_time;
  std::int64_t transitions = 0;
  bool operator==(const Record&) const = default;
};

Record record_of(const Value& lease) {
  Record r;
  const Value* spec = lease.find("spec");
  if (!spec) return r;
  auto s = [&](const char* k) {
    const Value* v = spec->find(k);
    return v && v->is_string() ? v->as_string() : std::string();
  };
  auto i = [&](const char* k) {
    const Value* v = spec->find(k);
    return integer_value(v);
  };
  r.holder = s("holderIdentity");
  r.duration_seconds = i("leaseDurationSeconds");
  r.acquire_time = s("acquireTime");
  r.renew_time = s("renewTime");
  r.transitions = i("leaseTransitions");
  return r;
}

Value spec_of(const Record& r) {
  Value spec = Value::object();
  if (!r.holder.empty()) spec.set("holderIdentity", Value(r.holder));
  spec.set("leaseDurationSeconds", Value(r.duration_seconds));
  spec.set("acquireTime", Value(r.acquire_time));
  spec.set("renewTime", Value(r.renew_time));
  spec.set("leaseTransitions", Value(r.transitions));
  return spec;
}

std::string default_identity() {
  std::string base;
  if (const char* pod = std::getenv("POD_NAME"); pod && *pod) base = pod;
  if (base.empty()) {
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) == 0) base = host;
  }
  if (base.empty()) base = "luascale";
  std::mt19937_64 rng{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  return base + "_" + suffix;
}

}  // namespace

std::string validate(const LeaderElectionOptions& o) {
  if (o.retry_period.count() <= 0) return "retry_period must be > 0";
  if (o.renew_deadline.count() <= 0) return "renew_deadline must be > 0";
  if (o.lease_duration <= o.renew_deadline)
    return "lease_duration must be greater than renew_deadline";
  if (o.renew_deadline.count() <= kJitterFactor * o.retry_period.count())
    return "renew_deadline must be greater than retry_period x 1.2";
  if (o.lease_duration.count() % 1000 != 0)
    return "lease_duration must be whole seconds (leaseDurationSeconds is an integer)";
  if (o.lease_name.empty()) return "the lease needs a name";
  return "";
}

struct LeaderElector::Impl : std::enable_shared_from_this<LeaderElector::Impl> {
  Impl(asio::io_context& io_, std::shared_ptr<KubeClient> c, LeaderElectionOptions o)
      : io(io_),
        strand(asio::make_strand(io_)),
        timer(strand),
        client(std::move(c)),
        opts(std::move(o)) {
    if (opts.lease_namespace.empty()) opts.lease_namespace = client->connection().default_namespace;
    if (opts.identity.empty()) opts.identity = default_identity();
    path = "/apis/coordination.k8s.io/v1/namespaces/" + opts.lease_namespace + "/leases/" +
           opts.lease_name;
  }

  asio::io_context& io;
  asio::strand<asio::io_context::executor_type> strand;
  asio::steady_timer timer;
  std::shared_ptr<KubeClient> client;
  LeaderElectionOptions opts;
  std::string path;
  std::mt19937_64 rng{std::random_device{}()};

  // Strand-only state.
  bool running = false;
  bool busy = false;  // a tryAcquireOrRenew is in flight
  Record observed;
  Clock::time_point observed_time{};
  std::string resource_version;    // of the lease as last read or written
  Clock::time_point last_renew{};  // last successful acquire/renew while leading
  std::function<void(bool)> on_change;

  // Read from any thread.
  std::atomic<bool> leading{false};
  std::atomic<std::int64_t> valid_until_ns{0};  // leadership expires here without a renewal
  mutable std::mutex holder_mu;
  std::string holder_seen;

  bool is_leader() const { return leading.load() && now_ns() < valid_until_ns.load(); }

  milliseconds jittered_retry() {
    std::uniform_real_distribution<double> d(0.0, kJitterFactor);
    return milliseconds(static_cast<long long>(opts.retry_period.count() * (1.0 + d(rng))));
  }

  void set_leading(bool now_leading) {
    bool was = leading.exchange(now_leading);
    if (!now_leading) valid_until_ns = 0;
    if (was != now_leading && on_change) {
      auto cb = on_change;
      asio::post(io, [cb, now_leading] { cb(now_leading); });
    }
  }

  void schedule(milliseconds delay) {
    if (!running) return;
    timer.expires_after(delay);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->tick();
    });
  }

  void tick() {
    if (!running || busy) return;
    // Leading but not renewed within the renew deadline: stop leading now.
    if (leading.load() && Clock::now() - last_renew >= opts.renew_deadline) set_leading(false);
    busy = true;
    try_acquire_or_renew([self = shared_from_this()](bool ok) {
      self->busy = false;
      if (ok) {
        self->last_renew = Clock::now();
        self->valid_until_ns =
            now_ns() +
            std::chrono::duration_cast<std::chrono::nanoseconds>(self->opts.renew_deadline).count();
        self->set_leading(true);
      } else if (self->leading.load() &&
                 Clock::now() - self->last_renew >= self->opts.renew_deadline) {
        self->set_leading(false);
      }
      // Leaders renew every retry period; candidates retry with jitter.
      self->schedule(self->leading.load() ? self->opts.retry_period : self->jittered_retry());
    });
  }

  void request(const std::string& method, const std::string& p, const std::string& body,
               std::function<void(KubeResponse)> cb) {
    auto self = shared_from_this();
    client->request(method, p, body, "", std::min(opts.retry_period * 2, opts.renew_deadline),
                    [self, cb = std::move(cb)](KubeResponse r) mutable {
                      asio::post(self->strand, [cb = std::move(cb), r = std::move(r)]() mutable {
                        cb(std::move(r));
                      });
                    });
  }

  Value lease_object(const Record& r, const std::string& rv) const {
    Value md = Value::object();
    md.set("name", Value(opts.lease_name));
    md.set("namespace", Value(opts.lease_namespace));
    if (!rv.empty()) md.set("resourceVersion", Value(rv));
    Value lease = Value::object();
    lease.set("apiVersion", Value("coordination.k8s.io/v1"));
    lease.set("kind", Value("Lease"));
    lease.set("metadata", std::move(md));
    lease.set("spec", spec_of(r));
    return lease;
  }

  void note_holder(const std::string& h) {
    std::lock_guard lock(holder_mu);
    holder_seen = h;
  }

  // client-go tryAcquireOrRenew; done(true) when we hold the lease afterwards.
  void try_acquire_or_renew(std::function<void(bool)> done) {
    auto self = shared_from_this();
    std::int64_t duration_s = opts.lease_duration.count() / 1000;
    request("GET", path, "", [self, duration_s, done = std::move(done)](KubeResponse r) mutable {
      std::string now = micro_time_now();
      if (r.status == 404) {
        Record mine{self->opts.identity, duration_s, now, now, 0};
        self->request(
            "POST",
            "/apis/coordination.k8s.io/v1/namespaces/" + self->opts.lease_namespace + "/leases",
            to_json(self->lease_object(mine, "")),
            [self, mine, done = std::move(done)](KubeResponse c) mutable {
              if (!c.ok()) return done(false);
              self->adopt(mine, c);
              done(true);
            });
        return;
      }
      if (!r.ok()) return done(false);
      Record rec = record_of(r.body);
      self->note_holder(rec.holder);
      if (!(rec == self->observed)) {
        self->observed = rec;
        self->observed_time = Clock::now();
      }
      std::string rv;
      if (const Value* md = r.body.find("metadata"))
        if (const Value* v = md->find("resourceVersion"); v && v->is_string()) rv = v->as_string();
      bool mine_now = rec.holder == self->opts.identity;
      bool expired =
          Clock::now() >= self->observed_time + std::chrono::seconds(rec.duration_seconds);
      if (!rec.holder.empty() && !mine_now && !expired) return done(false);
      Record next{self->opts.identity, duration_s, rec.acquire_time, now, rec.transitions};
      if (!mine_now) {
        next.acquire_time = now;
        next.transitions = rec.transitions + 1;
      }
      self->request("PUT", self->path, to_json(self->lease_object(next, rv)),
                    [self, next, done = std::move(done)](KubeResponse u) mutable {
                      if (!u.ok()) return done(false);  // 409: someone else won this round
                      self->adopt(next, u);
                      done(true);
                    });
    });
  }

  void adopt(const Record& r, const KubeResponse& written) {
    observed = r;
    observed_time = Clock::now();
    note_holder(r.holder);
    resource_version.clear();
    if (const Value* md = written.body.find("metadata"))
      if (const Value* v = md->find("resourceVersion"); v && v->is_string())
        resource_version = v->as_string();
  }

  void release(std::function<void()> done) {
    if (!leading.load() || resource_version.empty()) {
      set_leading(false);
      return done();
    }
    set_leading(false);  // stop actuating before the release is even sent
    std::string now = micro_time_now();
    Record released{"", 1, now, now, observed.transitions};
    auto self = shared_from_this();
    request("PUT", path, to_json(lease_object(released, resource_version)),
            [self, released, done = std::move(done)](KubeResponse r) {
              if (r.ok()) self->adopt(released, r);
              done();
            });
  }
};

LeaderElector::LeaderElector(asio::io_context& io, std::shared_ptr<KubeClient> client,
                             LeaderElectionOptions options) {
  std::string why = validate(options);
  if (!why.empty()) throw std::runtime_error("leader_election: " + why);
  impl_ = std::make_shared<Impl>(io, std::move(client), std::move(options));
}

LeaderElector::~LeaderElector() {
  auto impl = impl_;
  impl->leading = false;
  asio::post(impl->strand, [impl] {
    impl->running = false;
    impl->timer.cancel();
  });
}

void LeaderElector::start() {
  auto impl = impl_;
  asio::post(impl->strand, [impl] {
    if (impl->running) return;
    impl->running = true;
    impl->tick();
  });
}

void LeaderElector::stop(std::function<void()> done) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, done = std::move(done)]() mutable {
    impl->running = false;
    impl->timer.cancel();
    auto finish = [impl, done = std::move(done)]() mutable {
      if (done) asio::post(impl->io, std::move(done));
    };
    if (impl->opts.release_on_stop) {
      impl->release(std::move(finish));
    } else {
      impl->set_leading(false);
      finish();
    }
  });
}

bool LeaderElector::is_leader() const {
  return impl_->is_leader();
}

const std::string& LeaderElector::identity() const {
  return impl_->opts.identity;
}

std::string LeaderElector::observed_holder() const {
  std::lock_guard lock(impl_->holder_mu);
  return impl_->holder_seen;
}

void LeaderElector::on_change(std::function<void(bool)> callback) {
  auto impl = impl_;
  asio::post(impl->strand, [impl, callback = std::move(callback)]() mutable {
    impl->on_change = std::move(callback);
  });
}

std::unique_ptr<LeaderElector> make_leader_elector(AdapterContext& ctx, const Value& options) {
  LeaderElectionOptions o;
  o.lease_namespace = string_option(options, "namespace", "");
  o.lease_name = string_option(options, "name", o.lease_name);
  o.identity = string_option(options, "identity", "");
  o.lease_duration = duration_option(options, "lease_duration", o.lease_duration);
  o.renew_deadline = duration_option(options, "renew_deadline", o.renew_deadline);
  o.retry_period = duration_option(options, "retry_period", o.retry_period);
  if (const Value* r = options.find("release_on_stop")) {
    if (!r->is_bool())
      throw std::runtime_error("leader_election.release_on_stop must be a boolean");
    o.release_on_stop = r->as_bool();
  }
  std::string why = validate(o);
  if (!why.empty()) throw std::runtime_error("leader_election: " + why);
  return std::make_unique<LeaderElector>(ctx.io, make_kube_client(ctx, options), std::move(o));
}

const std::vector<ConfigKey>& leader_election_keys() {
  static const std::vector<ConfigKey> keys = {
      {"enabled", "boolean", false, "campaign for the lease; only the holder actuates"},
      {"namespace", "string", false, "namespace of the Lease (default: the context's)"},
      {"name", "string", false, "Lease name (default luascale)"},
      {"identity", "string", false, "holder identity (default: $POD_NAME or hostname + random)"},
      {"lease_duration", "duration", false, "15s"},
      {"renew_deadline", "duration", false, "10s"},
      {"retry_period", "duration", false, "2s"},
      {"release_on_stop", "boolean", false, "release the lease on shutdown (default true)"},
      {"kubeconfig", "string", false, "kubeconfig path"},
      {"context", "string", false, "kubeconfig context"},
  };
  return keys;
}

}  // namespace luascale::kube
