// adapters/sources/kubernetes/kubernetes_source.cpp — the `kubernetes` source. Queries:
//   pods     per-pod usage from metrics.k8s.io joined with the pods' requests and readiness, as
//            the list policies/hpa.lua takes: { {name=, value=cores|bytes|nil, request=, ready=} }
//   pending  unschedulable pods (phase Pending, PodScheduled=False reason Unschedulable) with
//            their requests, as policies/nodes.lua takes: { {name=, cpu=cores, memory=bytes,
//            count=1} }
//   replicas a workload's counts: {replicas=spec, status=status.replicas, ready=readyReplicas}, or
//            one of them as a number with "field".
#include "adapters/sources/kubernetes/kubernetes_source.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <map>
#include <stdexcept>
#include <utility>

#include "adapters/kubernetes/adapter_support.hpp"
#include "adapters/net/url.hpp"

namespace luascale::kube {

namespace {

using std::chrono::milliseconds;

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const Value* path(const Value& v, std::initializer_list<std::string_view> keys) {
  const Value* cur = &v;
  for (auto k : keys) {
    cur = cur->find(k);
    if (!cur) return nullptr;
  }
  return cur;
}

std::string str_at(const Value& v, std::initializer_list<std::string_view> keys) {
  const Value* x = path(v, keys);
  return x && x->is_string() ? x->as_string() : std::string();
}

// Sum of a resource over a pod's containers' requests; nullopt when any container lacks it.
std::optional<double> pod_request(const Value& pod, const std::string& resource) {
  const Value* containers = path(pod, {"spec", "containers"});
  if (!containers || !containers->is_array() || containers->as_array().empty()) return std::nullopt;
  double sum = 0;
  for (const auto& c : containers->as_array()) {
    const Value* q = path(c, {"resources", "requests"});
    const Value* r = q ? q->find(resource) : nullptr;
    if (!r) return std::nullopt;
    std::optional<double> v = r->is_string()
                                  ? parse_quantity(r->as_string())
                                  : (r->is_number() ? std::optional(r->as_number()) : std::nullopt);
    if (!v) return std::nullopt;
    sum += *v;
  }
  return sum;
}

bool condition_is(const Value& pod, std::string_view type, std::string_view status,
                  std::string_view reason = {}) {
  const Value* conds = path(pod, {"status", "conditions"});
  if (!conds || !conds->is_array()) return false;
  for (const auto& c : conds->as_array()) {
    if (str_at(c, {"type"}) == type && str_at(c, {"status"}) == status &&
        (reason.empty() || str_at(c, {"reason"}) == reason))
      return true;
  }
  return false;
}

enum class Query { Pods, Pending, Replicas };

struct Core : std::enable_shared_from_this<Core> {
  boost::asio::io_context& io;
  std::shared_ptr<KubeClient> client;
  Query query = Query::Pods;
  std::string ns;
  std::optional<ScaleTarget> target;  // pods (without selector) and replicas
  std::string selector;               // explicit label selector
  std::string metric = "cpu";         // pods: cpu | memory
  std::string field;                  // replicas: "" | replicas | status | ready
  milliseconds timeout{5000};

  explicit Core(boost::asio::io_context& i) : io(i) {}

  void fail(std::function<void(SampleOutcome)>& done, std::string error) {
    SampleOutcome out;
    out.error = std::move(error);
    done(std::move(out));
  }
  void succeed(std::function<void(SampleOutcome)>& done, Value v) {
    SampleOutcome out;
    out.sample = Sample{std::move(v), unix_now()};
    done(std::move(out));
  }

  void get(const std::string& p, KubeCallback cb) {
    client->request("GET", p, "", "", timeout, std::move(cb));
  }

  void fetch(std::function<void(SampleOutcome)> done) {
    switch (query) {
      case Query::Pods:
        return fetch_pods(std::move(done));
      case Query::Pending:
        return fetch_pending(std::move(done));
      case Query::Replicas:
        return fetch_replicas(std::move(done));
    }
  }

  // The label selector of the pods: explicit, or the scale subresource's status.selector.
  void with_selector(std::function<void(SampleOutcome)> done,
                     std::function<void(std::string, std::function<void(SampleOutcome)>)> next) {
    if (!selector.empty() || !target) return next(selector, std::move(done));
    auto self = shared_from_this();
    get(target->scale_path(),
        [self, done = std::move(done), next = std::move(next)](KubeResponse r) mutable {
          if (!r.ok())
            return self->fail(done, "get " + self->target->display() + "/scale: " + r.error);
          std::string sel = str_at(r.body, {"status", "selector"});
          if (sel.empty())
            return self->fail(done, self->target->display() + " reports no label selector");
          next(sel, std::move(done));
        });
  }

  void fetch_pods(std::function<void(SampleOutcome)> done) {
    auto self = shared_from_this();
    with_selector(std::move(done), [self](std::string sel,
                                          std::function<void(SampleOutcome)> done) {
      std::string q = "?labelSelector=" + net::percent_encode(sel);
      self->get("/api/v1/namespaces/" + self->ns + "/pods" + q, [self, q, done = std::move(done)](
                                                                    KubeResponse pods) mutable {
        if (!pods.ok()) return self->fail(done, "list pods: " + pods.error);
        self->get("/apis/metrics.k8s.io/v1beta1/namespaces/" + self->ns + "/pods" + q,
                  [self, pods = std::move(pods), done = std::move(done)](KubeResponse m) mutable {
                    if (!m.ok()) {
                      if (m.status == 404 || m.status == 503)
                        return self->fail(done,
                                          "metrics.k8s.io is not available (is metrics-server "
                                          "installed?): " +
                                              m.error);
                      return self->fail(done, "list pod metrics: " + m.error);
                    }
                    self->succeed(done, self->join(pods.body, m.body));
                  });
      });
    });
  }

  Value join(const Value& pods, const Value& metrics) const {
    std::map<std::string, double> usage;
    if (const Value* items = metrics.find("items"); items && items->is_array()) {
      for (const auto& pm : items->as_array()) {
        const Value* containers = pm.find("containers");
        if (!containers || !containers->is_array()) continue;
        double sum = 0;
        bool any = false;
        for (const auto& c : containers->as_array()) {
          std::string q = str_at(c, {"usage", metric});
          if (auto v = parse_quantity(q)) {
            sum += *v;
            any = true;
          }
        }
        if (any) usage[str_at(pm, {"metadata", "name"})] = sum;
      }
    }
    Value::Array out;
    if (const Value* items = pods.find("items"); items && items->is_array()) {
      for (const auto& pod : items->as_array()) {
        if (path(pod, {"metadata", "deletionTimestamp"})) continue;  // terminating
        std::string phase = str_at(pod, {"status", "phase"});
        if (phase == "Failed" || phase == "Succeeded") continue;
        std::string name = str_at(pod, {"metadata", "name"});
        Value entry = Value::object();
        entry.set("name", Value(name));
        if (auto it = usage.find(name); it != usage.end()) entry.set("value", Value(it->second));
        if (auto req = pod_request(pod, metric)) entry.set("request", Value(*req));
        entry.set("ready", Value(phase == "Running" && condition_is(pod, "Ready", "True")));
        out.push_back(std::move(entry));
      }
    }
    return Value(std::move(out));
  }

  void fetch_pending(std::function<void(SampleOutcome)> done) {
    std::string p =
        (ns.empty() || ns == "*") ? "/api/v1/pods" : "/api/v1/namespaces/" + ns + "/pods";
    std::string q = "?fieldSelector=" + net::percent_encode("status.phase=Pending");
    if (!selector.empty()) q += "&labelSelector=" + net::percent_encode(selector);
    auto self = shared_from_this();
    get(p + q, [self, done = std::move(done)](KubeResponse r) mutable {
      if (!r.ok()) return self->fail(done, "list pending pods: " + r.error);
      Value::Array out;
      if (const Value* items = r.body.find("items"); items && items->is_array()) {
        for (const auto& pod : items->as_array()) {
          if (str_at(pod, {"status", "phase"}) != "Pending") continue;
          if (!condition_is(pod, "PodScheduled", "False", "Unschedulable")) continue;
          Value entry = Value::object();
          entry.set("name", Value(str_at(pod, {"metadata", "name"})));
          entry.set("namespace", Value(str_at(pod, {"metadata", "namespace"})));
          entry.set("cpu", Value(pod_request(pod, "cpu").value_or(0)));
          entry.set("memory", Value(pod_request(pod, "memory").value_or(0)));
          entry.set("count", Value(1));
          out.push_back(std::move(entry));
        }
      }
      self->succeed(done, Value(std::move(out)));
    });
  }

  void fetch_replicas(std::function<void(SampleOutcome)> done) {
    auto self = shared_from_this();
    get(target->scale_path(), [self, done = std::move(done)](KubeResponse scale) mutable {
      if (!scale.ok())
        return self->fail(done, "get " + self->target->display() + "/scale: " + scale.error);
      auto finish = [self](std::function<void(SampleOutcome)>& done, std::int64_t spec,
                           std::int64_t status, std::int64_t ready) {
        if (self->field == "replicas") return self->succeed(done, Value(spec));
        if (self->field == "status") return self->succeed(done, Value(status));
        if (self->field == "ready") return self->succeed(done, Value(ready));
        Value v = Value::object();
        v.set("replicas", Value(spec));
        v.set("status", Value(status));
        v.set("ready", Value(ready));
        self->succeed(done, std::move(v));
      };
      auto num = [](const Value& v, std::initializer_list<std::string_view> k) -> std::int64_t {
        const Value* x = path(v, k);
        return integer_value(x);
      };
      std::int64_t spec = num(scale.body, {"spec", "replicas"});
      std::int64_t status = num(scale.body, {"status", "replicas"});
      if (!(self->target->group == "apps" || self->target->group.empty()))
        return finish(done, spec, status, status);
      self->get(self->target->object_path(), [self, spec, status, finish, num,
                                              done = std::move(done)](KubeResponse obj) mutable {
        if (!obj.ok()) return self->fail(done, "get " + self->target->display() + ": " + obj.error);
        finish(done, spec, status, num(obj.body, {"status", "readyReplicas"}));
      });
    });
  }
};

class KubernetesSource : public Source {
 public:
  explicit KubernetesSource(std::shared_ptr<Core> core) : core_(std::move(core)) {}
  void fetch(std::function<void(SampleOutcome)> done) override {
    try {
      core_->fetch(std::move(done));
    } catch (const std::exception& e) {
      SampleOutcome out;
      out.error = e.what();
      done(std::move(out));
    }
  }

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace

std::unique_ptr<Source> make_kubernetes_source(AdapterContext& ctx, const SignalSpec& spec) {
  const Value& o = spec.options;
  auto core = std::make_shared<Core>(ctx.io);
  std::string q = string_option(o, "query", "");
  if (q == "pods")
    core->query = Query::Pods;
  else if (q == "pending")
    core->query = Query::Pending;
  else if (q == "replicas")
    core->query = Query::Replicas;
  else
    throw std::runtime_error("\"query\" must be \"pods\", \"pending\" or \"replicas\"");
  core->client = make_kube_client(ctx, o);
  core->ns = string_option(o, "namespace", core->client->connection().default_namespace);
  core->selector = string_option(o, "selector", "");
  core->metric = string_option(o, "metric", "cpu");
  if (core->metric != "cpu" && core->metric != "memory")
    throw std::runtime_error("\"metric\" must be \"cpu\" or \"memory\"");
  core->field = string_option(o, "field", "");
  if (!core->field.empty() && core->field != "replicas" && core->field != "status" &&
      core->field != "ready")
    throw std::runtime_error("\"field\" must be \"replicas\", \"status\" or \"ready\"");
  std::string resource = string_option(o, "resource", "");
  if (!resource.empty()) {
    std::string error;
    core->target = parse_scale_target(resource, core->ns, &error);
    if (!core->target) throw std::runtime_error(error);
  }
  if (core->query == Query::Replicas && !core->target)
    throw std::runtime_error("query \"replicas\" needs \"resource\" (e.g. \"deployments/api\")");
  if (core->query == Query::Pods && !core->target && core->selector.empty())
    throw std::runtime_error("query \"pods\" needs \"resource\" or \"selector\"");
  if (spec.timeout_seconds > 0)
    core->timeout = milliseconds(static_cast<long long>(spec.timeout_seconds * 1000));
  return std::make_unique<KubernetesSource>(std::move(core));
}

const std::vector<ConfigKey>& kubernetes_source_keys() {
  static const std::vector<ConfigKey> keys = {
      {"query", "string", true, "pods | pending | replicas"},
      {"namespace", "string", false, "namespace (default: the context's; pending: \"*\" = all)"},
      {"resource", "string", false, "the workload (deployments/api): pods use its selector"},
      {"selector", "string", false, "label selector of the pods (instead of resource)"},
      {"metric", "string", false, "pods: cpu (cores) or memory (bytes); default cpu"},
      {"field", "string", false, "replicas: return one number: replicas | status | ready"},
      {"kubeconfig", "string", false,
       "kubeconfig path (default: $KUBECONFIG, in-cluster, ~/.kube/config)"},
      {"context", "string", false, "kubeconfig context (default: current-context)"},
  };
  return keys;
}

}  // namespace luascale::kube

namespace luascale::kube {

SourceFactory kubernetes_source_factory() {
  return {"kubernetes", kubernetes_source_keys(), &make_kubernetes_source};
}

}  // namespace luascale::kube
