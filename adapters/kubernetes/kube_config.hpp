// adapters/kubernetes/kube_config.hpp — where the Kubernetes API is and how to authenticate, found
// the way client-go / controller-runtime do: an explicit kubeconfig, else $KUBECONFIG, else the
// in-cluster service account, else ~/.kube/config.
#pragma once

#include <optional>
#include <string>

#include "adapters/net/tls.hpp"
#include "engine/core/value.hpp"

namespace luascale::kube {

// One resolved cluster + user.
struct KubeConnection {
  std::string server;         // "https://host:port", no trailing slash
  net::TlsClientOptions tls;  // CA, client certificate, tls-server-name, insecure flag
  std::string token;          // static bearer token ("" = none)
  std::string token_file;     // bearer token file, re-read every minute and on a 401
  std::string username;       // basic auth (kubeconfig username/password)
  std::string password;
  std::string default_namespace = "default";  // context namespace / service-account namespace
  std::string origin;  // for messages: "in-cluster service account" or "kubeconfig PATH, context C"
};

struct KubeConfigOptions {
  std::string kubeconfig;  // explicit path ("" = search); relative to config_dir
  std::string context;     // "" = current-context
  std::string config_dir;
  // Seams for tests; the defaults are what a pod sees.
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  bool use_environment = true;  // read KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT, HOME
};

// Resolves the connection; nullopt and *error (naming the file, context and key) on failure.
std::optional<KubeConnection> load_kube_connection(const KubeConfigOptions& options,
                                                   std::string* error);

// Parses kubeconfig YAML text (path is for relative file paths and messages).
std::optional<KubeConnection> parse_kubeconfig(const std::string& text, const std::string& path,
                                               const std::string& context, std::string* error);

// The in-cluster connection from host/port and the service-account directory.
std::optional<KubeConnection> in_cluster_connection(const std::string& host,
                                                    const std::string& port,
                                                    const std::string& sa_dir, std::string* error);

}  // namespace luascale::kube
