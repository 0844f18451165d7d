// adapters/kubernetes/kube_config.cpp — kubeconfig and in-cluster configuration (see
// kube_config.hpp).
#include "adapters/kubernetes/kube_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/kubernetes/yaml_value.hpp"
#include "adapters/net/base64.hpp"
#include "adapters/net/url.hpp"

namespace luascale::kube {

namespace fs = std::filesystem;

namespace {

bool read_text(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string str(const Value& obj, std::string_view key) {
  const Value* v = obj.find(key);
  return v && v->is_string() ? v->as_string() : std::string();
}

// The entry of list (clusters/users/contexts) called name, or nullptr.
const Value* named(const Value& root, std::string_view list, const std::string& name,
                   std::string_view inner) {
  const Value* l = root.find(list);
  if (!l || !l->is_array()) return nullptr;
  for (const auto& item : l->as_array()) {
    if (str(item, "name") == name) {
      const Value* v = item.find(inner);
      static const Value empty = Value::object();
      return v && v->is_object() ? v : &empty;
    }
  }
  return nullptr;
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

}  // namespace

std::optional<KubeConnection> parse_kubeconfig(const std::string& text, const std::string& path,
                                               const std::string& context, std::string* error) {
  Value root;
  try {
    root = parse_yaml(text);
  } catch (const std::exception& e) {
    fail(error, "kubeconfig " + path + ": " + e.what());
    return std::nullopt;
  }
  if (!root.is_object()) {
    fail(error, "kubeconfig " + path + ": not a mapping");
    return std::nullopt;
  }
  std::string dir = fs::path(path).parent_path().string();
  std::string ctx_name = context.empty() ? str(root, "current-context") : context;
  std::string where = "kubeconfig " + path;
  if (ctx_name.empty()) {
    fail(error, where + ": no current-context (name one with \"context\")");
    return std::nullopt;
  }
  where += ", context " + ctx_name;
  const Value* ctx = named(root, "contexts", ctx_name, "context");
  if (!ctx) {
    fail(error, where + ": no such context");
    return std::nullopt;
  }
  KubeConnection c;
  c.origin = where;
  if (auto ns = str(*ctx, "namespace"); !ns.empty()) c.default_namespace = ns;
  std::string cluster_name = str(*ctx, "cluster");
  const Value* cluster = named(root, "clusters", cluster_name, "cluster");
  if (!cluster) {
    fail(error, where + ": cluster \"" + cluster_name + "\" not found");
    return std::nullopt;
  }
  c.server = str(*cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  std::string url_error;
  if (c.server.empty() || !net::parse_url(c.server, &url_error)) {
    fail(error, where + ": cluster \"" + cluster_name + "\" has no usable server" +
                    (url_error.empty() ? "" : " (" + url_error + ")"));
    return std::nullopt;
  }
  if (auto d = str(*cluster, "certificate-authority-data"); !d.empty()) {
    auto pem = net::base64_decode(d);
    if (!pem) {
      fail(error, where + ": certificate-authority-data is not base64");
      return std::nullopt;
    }
    c.tls.ca_pem = *pem;
  } else {
    c.tls.ca_file = resolve(dir, str(*cluster, "certificate-authority"));
  }
  c.tls.server_name = str(*cluster, "tls-server-name");
  c.tls.insecure_skip_verify = yaml_truthy(cluster->find("insecure-skip-tls-verify"));

  std::string user_name = str(*ctx, "user");
  if (!user_name.empty()) {
    const Value* user = named(root, "users", user_name, "user");
    if (!user) {
      fail(error, where + ": user \"" + user_name + "\" not found");
      return std::nullopt;
    }
    for (auto [data_key, file_key, pem, file] :
         {std::tuple{"client-certificate-data", "client-certificate", &c.tls.client_cert_pem,
                     &c.tls.client_cert_file},
          std::tuple{"client-key-data", "client-key", &c.tls.client_key_pem,
                     &c.tls.client_key_file}}) {
      if (auto d = str(*user, data_key); !d.empty()) {
        auto decoded = net::base64_decode(d);
        if (!decoded) {
          fail(error, where + ": " + data_key + " is not base64");
          return std::nullopt;
        }
        *pem = *decoded;
      } else {
        *file = resolve(dir, str(*user, file_key));
      }
    }
    c.token = str(*user, "token");
    c.token_file = resolve(dir, str(*user, "tokenFile"));
    c.username = str(*user, "username");
    c.password = str(*user, "password");
    if (user->find("exec") || user->find("auth-provider")) {
      if (c.token.empty() && c.token_file.empty() && c.tls.client_cert_pem.empty() &&
          c.tls.client_cert_file.empty()) {
        fail(error, where + ": user \"" + user_name +
                        "\" uses an exec/auth-provider credential plugin, which luascale does "
                        "not run; use a token, tokenFile or client certificate");
        return std::nullopt;
      }
    }
  }
  std::string tls_error = net::check_client_tls(c.tls);
  if (!tls_error.empty()) {
    fail(error, where + ": " + tls_error);
    return std::nullopt;
  }
  return c;
}

std::optional<KubeConnection> in_cluster_connection(const std::string& host,
                                                    const std::string& port,
                                                    const std::string& sa_dir, std::string* error) {
  KubeConnection c;
  c.origin = "in-cluster service account (" + sa_dir + ")";
  bool v6 = host.find(':') != std::string::npos;
  c.server = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port;
  c.token_file = (fs::path(sa_dir) / "token").string();
  c.tls.ca_file = (fs::path(sa_dir) / "ca.crt").string();
  std::string ns;
  if (read_text((fs::path(sa_dir) / "namespace").string(), &ns)) {
    while (!ns.empty() && (ns.back() == '\n' || ns.back() == ' ')) ns.pop_back();
    if (!ns.empty()) c.default_namespace = ns;
  }
  std::string token;
  if (!read_text(c.token_file, &token)) {
    fail(error, c.origin + ": cannot read " + c.token_file);
    return std::nullopt;
  }
  std::string tls_error = net::check_client_tls(c.tls);
  if (!tls_error.empty()) {
    fail(error, c.origin + ": " + tls_error);
    return std::nullopt;
  }
  return c;
}

std::optional<KubeConnection> load_kube_connection(const KubeConfigOptions& options,
                                                   std::string* error) {
  auto from_file = [&](const std::string& path) -> std::optional<KubeConnection> {
    std::string text;
    if (!read_text(path, &text)) {
      fail(error, "kubeconfig " + path + ": cannot read the file");
      return std::nullopt;
    }
    return parse_kubeconfig(text, path, options.context, error);
  };
  if (!options.kubeconfig.empty())
    return from_file(resolve(options.config_dir, options.kubeconfig));
  if (options.use_environment) {
    if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
      // Colon-separated: the first file that exists wins (no merging across files).
      std::string list = env;
      std::size_t start = 0;
      while (start <= list.size()) {
        auto end = list.find(':', start);
        std::string p = list.substr(start, end == std::string::npos ? end : end - start);
        if (!p.empty() && fs::exists(p)) return from_file(p);
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
  }
  const char* host = options.use_environment ? std::getenv("KUBERNETES_SERVICE_HOST") : nullptr;
  const char* port = options.use_environment ? std::getenv("KUBERNETES_SERVICE_PORT") : nullptr;
  if (host && *host && port && *port)
    return in_cluster_connection(host, port, options.service_account_dir, error);
  if (options.use_environment) {
    if (const char* home = std::getenv("HOME"); home && *home) {
      std::string p = (fs::path(home) / ".kube" / "config").string();
      if (fs::exists(p)) return from_file(p);
    }
  }
  fail(error,
       "no Kubernetes configuration: no \"kubeconfig\" set, $KUBECONFIG unset, not in a cluster "
       "(KUBERNETES_SERVICE_HOST unset) and no ~/.kube/config");
  return std::nullopt;
}

}  // namespace luascale::kube
