// adapters/kubernetes/kube_client.cpp — see kube_client.hpp.
#include "adapters/kubernetes/kube_client.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <charconv>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>
#include <utility>

#include "adapters/net/ascii_text.hpp"
#include "adapters/net/base64.hpp"
#include "adapters/net/http_client.hpp"
#include "common/time/timestamp_text.hpp"

namespace luascale::kube {

using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTokenRefresh = std::chrono::seconds(60);  // client-go's cached token file period

}  // namespace

struct KubeClient::Impl : std::enable_shared_from_this<KubeClient::Impl> {
  Impl(boost::asio::io_context& io, KubeConnection c)
      : connection(std::move(c)), http(io, make_options(connection)) {
    token = connection.token;
  }

  static net::HttpClientOptions make_options(const KubeConnection& c) {
    net::HttpClientOptions o;
    o.tls = c.tls;
    o.max_body_bytes = 64 * 1024 * 1024;  // large pod lists
    return o;
  }

  KubeConnection connection;
  net::HttpClient http;
  std::mutex mu;  // guards the token state
  std::string token;
  Clock::time_point token_read{};
  bool token_loaded = false;

  // The bearer token to send now ("" = none). Re-reads token_file when due or when forced.
  std::string current_token(bool force_reload) {
    std::lock_guard lock(mu);
    if (connection.token_file.empty()) return token;
    auto now = Clock::now();
    if (force_reload || !token_loaded || now - token_read >= kTokenRefresh) {
      std::ifstream in(connection.token_file, std::ios::binary);
      if (in) {
        std::stringstream ss;
        ss << in.rdbuf();
        std::string t = net::trim_space(ss.str());
        if (!t.empty()) token = t;
      }
      token_read = now;
      token_loaded = true;
    }
    return token;
  }

  void send(std::string method, std::string path, std::string body, std::string content_type,
            std::chrono::milliseconds timeout, bool retried_401, KubeCallback done) {
    net::HttpRequest req;
    req.method = method;
    req.url = connection.server + path;
    req.timeout = timeout;
    req.body = body;
    req.headers.emplace_back("Accept", "application/json");
    if (!body.empty() || method == "PATCH" || method == "PUT" || method == "POST")
      req.headers.emplace_back("Content-Type",
                               content_type.empty() ? "application/json" : content_type);
    std::string tok = current_token(retried_401);
    if (!tok.empty()) {
      req.headers.emplace_back("Authorization", "Bearer " + tok);
    } else if (!connection.username.empty()) {
      req.headers.emplace_back(
          "Authorization",
          "Basic " + net::base64_encode(connection.username + ":" + connection.password));
    }
    req.headers.emplace_back("User-Agent", std::string("luascale/") + LUASCALE_VERSION);
    auto self = shared_from_this();
    http.request(std::move(req), [self, method, path, body, content_type, timeout, retried_401,
                                  done = std::move(done)](net::HttpResult r) mutable {
      // A rotated service-account token: read the file again and retry once.
      if (r.ok() && r.status == 401 && !retried_401 && !self->connection.token_file.empty()) {
        self->send(std::move(method), std::move(path), std::move(body), std::move(content_type),
                   timeout, true, std::move(done));
        return;
      }
      done(to_response(method, path, std::move(r)));
    });
  }

  static KubeResponse to_response(const std::string& method, const std::string& path,
                                  net::HttpResult r) {
    KubeResponse out;
    if (!r.ok()) {
      out.error = method + " " + path + ": " + r.error;
      return out;
    }
    return parse_kube_response(r.status, r.header("Retry-After"), r.body);
  }
};

KubeClient::KubeClient(boost::asio::io_context& io, KubeConnection connection)
    : impl_(std::make_shared<Impl>(io, std::move(connection))) {}

KubeClient::~KubeClient() = default;

void KubeClient::request(const std::string& method, const std::string& path,
                         const std::string& body, const std::string& content_type,
                         std::chrono::milliseconds timeout, KubeCallback done) {
  impl_->send(method, path, body, content_type, timeout, false, std::move(done));
}

const KubeConnection& KubeClient::connection() const {
  return impl_->connection;
}

std::string KubeClient::user_agent() const {
  return std::string("luascale/") + LUASCALE_VERSION;
}

// --- ScaleTarget -------------------------------------------------------------------------------

std::string ScaleTarget::object_path() const {
  std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  return base + "/namespaces/" + namespace_ + "/" + resource + "/" + name;
}

std::string ScaleTarget::scale_path() const {
  return object_path() + "/scale";
}

std::string ScaleTarget::display() const {
  return resource + (group.empty() ? "" : "." + group) + "/" + name;
}

std::optional<ScaleTarget> parse_scale_target(std::string_view text, const std::string& ns,
                                              std::string* error) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  auto bad = [&](const std::string& why) -> std::optional<ScaleTarget> {
    if (error) *error = "resource \"" + std::string(text) + "\": " + why;
    return std::nullopt;
  };
  for (const auto& p : parts)
    if (p.empty()) return bad("empty path segment");
  ScaleTarget t;
  t.namespace_ = ns;
  if (parts.size() == 2) {
    t.resource = parts[0];
    t.name = parts[1];
    if (t.resource == "deployment" || t.resource == "deploy") t.resource = "deployments";
    if (t.resource == "statefulset" || t.resource == "sts") t.resource = "statefulsets";
    if (t.resource == "replicaset" || t.resource == "rs") t.resource = "replicasets";
    if (t.resource == "replicationcontroller" || t.resource == "rc")
      t.resource = "replicationcontrollers";
    if (t.resource == "deployments" || t.resource == "statefulsets" ||
        t.resource == "replicasets") {
      t.group = "apps";
      t.version = "v1";
    } else if (t.resource == "replicationcontrollers") {
      t.version = "v1";
    } else {
      return bad("unknown kind \"" + parts[0] +
                 "\" (use deployments/, statefulsets/, replicasets/, replicationcontrollers/ or "
                 "GROUP/VERSION/RESOURCE/NAME for a custom resource)");
    }
  } else if (parts.size() == 4) {
    t.group = parts[0] == "core" ? "" : parts[0];
    t.version = parts[1];
    t.resource = parts[2];
    t.name = parts[3];
  } else {
    return bad("expected KIND/NAME (deployments/api) or GROUP/VERSION/RESOURCE/NAME");
  }
  if (ns.empty()) return bad("no namespace");
  return t;
}

// --- quantities ---------------------------------------------------------------------------------

std::string selector_from_labels(const Value& match_labels) {
  if (!match_labels.is_object()) return "";
  std::vector<std::pair<std::string, std::string>> kv;
  for (const auto& [k, v] : match_labels.as_object())
    kv.emplace_back(k, v.is_string() ? v.as_string() : to_json(v));
  std::sort(kv.begin(), kv.end());
  std::string out;
  for (const auto& [k, v] : kv) {
    if (!out.empty()) out += ',';
    out += k + "=" + v;
  }
  return out;
}

// --- backoff ------------------------------------------------------------------------------------

Backoff::Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap, std::uint64_t seed)
    : base_(base), cap_(cap), rng_(seed) {}

std::chrono::milliseconds Backoff::next(double retry_after) {
  double d = static_cast<double>(base_.count()) * std::pow(2.0, std::min(attempts_, 20));
  d = std::min(d, static_cast<double>(cap_.count()));
  ++attempts_;
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  d *= jitter(rng_);
  if (retry_after >= 0) d = std::max(d, std::min(retry_after * 1000.0, 4.0 * cap_.count()));
  return std::chrono::milliseconds(static_cast<long long>(d));
}

// --- time ---------------------------------------------------------------------------------------

std::string micro_time_now() {
  return format_timestamp_text(from_system_clock(std::chrono::system_clock::now()),
                               TimestampSyntax::Rfc3339, 6);
}

}  // namespace luascale::kube
