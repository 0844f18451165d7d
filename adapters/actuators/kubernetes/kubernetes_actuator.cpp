// adapters/actuators/kubernetes/kubernetes_actuator.cpp — the `kubernetes` actuator: reads a
// workload's scale subresource and sets spec.replicas with a JSON merge patch to it (never a PUT of
// the workload). No request when the count is already right; 409/429/5xx/transport errors are
// retried with capped, jittered backoff inside the apply budget; 403 becomes an RBAC message that
// names the verb, resource and group. Optionally annotates the workload with the last decision.
#include "adapters/actuators/kubernetes/kubernetes_actuator.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <stdexcept>
#include <utility>

#include "adapters/kubernetes/adapter_support.hpp"

namespace luascale::kube {

namespace {

using std::chrono::milliseconds;

std::int64_t int_at(const Value& v, std::string_view a, std::string_view b, std::int64_t def = 0) {
  const Value* x = v.find(a);
  if (!x) return def;
  const Value* y = x->find(b);
  return integer_value(y, def);
}

struct Core : std::enable_shared_from_this<Core> {
  boost::asio::io_context& io;
  std::shared_ptr<KubeClient> client;
  ScaleTarget target;
  std::string policy;
  bool annotate = false;
  milliseconds budget{10000};          // per read/apply, retries included
  milliseconds request_timeout{5000};  // per HTTP request

  Core(boost::asio::io_context& i) : io(i) {}

  bool builtin() const { return target.group == "apps" || target.group.empty(); }

  milliseconds timeout_before(Clock::time_point deadline) const {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    return std::max(milliseconds(50), std::min(request_timeout, left));
  }

  // Turns a failed response into the operator-facing message for verb on the scale subresource.
  std::string explain(const KubeResponse& r, const std::string& verb, const std::string& what,
                      int attempts) const {
    std::string rbac_resource = target.resource + (what == "scale" ? "/scale" : "");
    if (r.status == 403) {
      return "RBAC: not allowed to " + verb + " " + rbac_resource + " in API group " +
             target.group_display() + " in namespace " + target.namespace_ +
             " — grant a Role rule {apiGroups: [\"" + target.group + "\"], resources: [\"" +
             rbac_resource + "\"], verbs: [\"get\", \"patch\"]} to this identity (" +
             client->connection().origin + "); server said: " + r.error;
    }
    if (r.status == 404) {
      return target.display() + " not found in namespace " + target.namespace_ +
             (what == "scale" ? " (or the resource has no scale subresource)" : "") + ": " +
             r.error;
    }
    std::string out =
        verb + " " + target.display() + (what == "scale" ? "/scale" : "") + ": " + r.error;
    if (attempts > 1) out += " (after " + std::to_string(attempts) + " attempts)";
    return out;
  }

  void get_scale(Clock::time_point deadline, std::function<void(KubeResponse, int)> done) {
    auto self = shared_from_this();
    retry_until(
        io,
        [self, deadline](std::function<void(KubeResponse)> cb) {
          self->client->request("GET", self->target.scale_path(), "", "",
                                self->timeout_before(deadline), std::move(cb));
        },
        deadline, std::move(done));
  }

  void read(std::function<void(ReadOutcome)> done) {
    auto deadline = Clock::now() + budget;
    auto self = shared_from_this();
    get_scale(deadline,
              [self, deadline, done = std::move(done)](KubeResponse r, int attempts) mutable {
                if (!r.ok()) {
                  ReadOutcome out;
                  out.error = self->explain(r, "get", "scale", attempts);
                  return done(std::move(out));
                }
                TargetState st;
                st.replicas = int_at(r.body, "spec", "replicas");
                st.ready = int_at(r.body, "status", "replicas");
                if (!self->builtin()) {
                  ReadOutcome out;
                  out.state = st;
                  return done(std::move(out));
                }
                // Built-in workloads report readiness on the object itself.
                self->client->request("GET", self->target.object_path(), "", "",
                                      self->timeout_before(deadline),
                                      [self, st, done = std::move(done)](KubeResponse obj) mutable {
                                        ReadOutcome out;
                                        if (obj.ok()) {
                                          st.ready = int_at(obj.body, "status", "readyReplicas");
                                        } else {
                                          out.error = self->explain(obj, "get", "object", 1);
                                          return done(std::move(out));
                                        }
                                        out.state = st;
                                        done(std::move(out));
                                      });
              });
  }

  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) {
    if (desired < 0) {
      ApplyOutcome out;
      out.error = "refusing to set a negative replica count (" + std::to_string(desired) + ")";
      return asio_post(std::move(done), std::move(out));
    }
    auto deadline = Clock::now() + budget;
    auto self = shared_from_this();
    auto previous = std::make_shared<std::int64_t>(-1);
    auto patched = std::make_shared<bool>(false);
    auto failed_verb = std::make_shared<std::string>("get");
    // One attempt: read the scale, and patch it when the count differs. Retried as a whole, so a
    // retry after a conflict starts from what the server has now.
    Attempt attempt = [self, desired, deadline, previous, patched,
                       failed_verb](std::function<void(KubeResponse)> cb) {
      self->client->request(
          "GET", self->target.scale_path(), "", "", self->timeout_before(deadline),
          [self, desired, deadline, previous, patched, failed_verb,
           cb = std::move(cb)](KubeResponse r) mutable {
            if (!r.ok()) {
              *failed_verb = "get";
              return cb(std::move(r));
            }
            std::int64_t current = int_at(r.body, "spec", "replicas");
            if (*previous < 0) *previous = current;
            if (current == desired) return cb(std::move(r));  // idempotent: nothing to send
            std::string body = "{\"spec\":{\"replicas\":" + std::to_string(desired) + "}}";
            self->client->request("PATCH", self->target.scale_path(), body,
                                  "application/merge-patch+json", self->timeout_before(deadline),
                                  [patched, failed_verb, cb = std::move(cb)](KubeResponse p) {
                                    if (p.ok())
                                      *patched = true;
                                    else
                                      *failed_verb = "patch";
                                    cb(std::move(p));
                                  });
          });
    };
    retry_until(io, std::move(attempt), deadline,
                [self, desired, info, previous, patched, failed_verb, deadline,
                 done = std::move(done)](KubeResponse r, int attempts) mutable {
                  ApplyOutcome out;
                  if (!r.ok()) {
                    out.error = self->explain(r, *failed_verb, "scale", attempts);
                    return done(std::move(out));
                  }
                  out.ok = true;
                  out.applied = int_at(r.body, "spec", "replicas", desired);
                  if (!*patched) out.note = "already at " + std::to_string(out.applied);
                  if (out.applied != desired)
                    out.note = "the server set " + std::to_string(out.applied);
                  if (!*patched || !self->annotate) return done(std::move(out));
                  self->annotate_decision(*previous, out.applied, info, deadline, std::move(out),
                                          std::move(done));
                });
  }

  // Records the decision on the workload so `kubectl describe` shows why it scaled. A failure
  // here is a note on a successful apply, never an error.
  void annotate_decision(std::int64_t previous, std::int64_t applied, const ActuationInfo& info,
                         Clock::time_point deadline, ApplyOutcome out,
                         std::function<void(ApplyOutcome)> done) {
    std::string text = std::to_string(previous) + " -> " + std::to_string(applied) + " at " +
                       micro_time_now().substr(0, 19) + "Z by policy " + info.policy;
    if (!info.reason.empty()) text += ": " + info.reason;
    if (!info.bound_by.empty()) text += " [bound by " + info.bound_by + "]";
    Value patch = Value::object();
    Value annotations = Value::object();
    annotations.set("luascale.io/last-decision", Value(text));
    Value metadata = Value::object();
    metadata.set("annotations", std::move(annotations));
    patch.set("metadata", std::move(metadata));
    auto self = shared_from_this();
    client->request("PATCH", target.object_path(), to_json(patch), "application/merge-patch+json",
                    timeout_before(deadline),
                    [self, out = std::move(out), done = std::move(done)](KubeResponse r) mutable {
                      if (!r.ok()) {
                        if (!out.note.empty()) out.note += "; ";
                        out.note +=
                            "annotation not written: " + self->explain(r, "patch", "object", 1);
                      }
                      done(std::move(out));
                    });
  }

  template <class F, class T>
  void asio_post(F done, T value) {
    boost::asio::post(io, [done = std::move(done), value = std::move(value)]() mutable {
      done(std::move(value));
    });
  }
};

class KubernetesActuator : public Actuator {
 public:
  explicit KubernetesActuator(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  void read(std::function<void(ReadOutcome)> done) override { core_->read(std::move(done)); }
  void apply(std::int64_t desired, const ActuationInfo& info,
             std::function<void(ApplyOutcome)> done) override {
    core_->apply(desired, info, std::move(done));
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<Actuator> make_kubernetes_actuator(AdapterContext& ctx, const std::string& policy,
                                                   const Value& target) {
  auto core = std::make_shared<Core>(ctx.io);
  core->client = make_kube_client(ctx, target);
  core->policy = policy;
  std::string ns = string_option(target, "namespace", core->client->connection().default_namespace);
  std::string resource = string_option(target, "resource", "");
  if (resource.empty())
    throw std::runtime_error("\"resource\" is required (e.g. \"deployments/api\")");
  std::string error;
  auto t = parse_scale_target(resource, ns, &error);
  if (!t) throw std::runtime_error(error);
  core->target = *t;
  if (const Value* a = target.find("annotate")) {
    if (!a->is_bool()) throw std::runtime_error("\"annotate\" must be true or false");
    core->annotate = a->as_bool();
  }
  core->budget = duration_option(target, "timeout", core->budget);
  core->request_timeout = std::min(core->request_timeout, core->budget);
  return std::make_unique<KubernetesActuator>(std::move(core));
}

const std::vector<ConfigKey>& kubernetes_actuator_keys() {
  static const std::vector<ConfigKey> keys = {
      {"resource", "string", true,
       "deployments/NAME, statefulsets/NAME, replicasets/NAME, replicationcontrollers/NAME or "
       "GROUP/VERSION/RESOURCE/NAME (anything with a scale subresource)"},
      {"namespace", "string", false, "namespace of the workload (default: the context's)"},
      {"kubeconfig", "string", false,
       "kubeconfig path (default: $KUBECONFIG, in-cluster, ~/.kube/config)"},
      {"context", "string", false, "kubeconfig context (default: current-context)"},
      {"annotate", "boolean", false,
       "write luascale.io/last-decision on the workload after scaling (needs patch on it)"},
      {"timeout", "duration", false, "budget for one read or apply, retries included (10s)"},
  };
  return keys;
}

}  // namespace luascale::kube

namespace luascale::kube {

ActuatorFactory kubernetes_actuator_factory() {
  return {"kubernetes", kubernetes_actuator_keys(), &make_kubernetes_actuator};
}

}  // namespace luascale::kube
