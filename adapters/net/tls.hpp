// adapters/net/tls.hpp — TLS settings for the HTTP client (CA, client certificate, server name,
// verification) and server (certificate, optional client-certificate check), and the functions
// that turn them into OpenSSL contexts. Asio's ssl::context stays opaque outside tls.cpp and the
// HTTP translation units.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;  // OpenSSL's SSL

namespace luascale::net {

// How the client authenticates servers and, optionally, itself. Mirrors a kubeconfig cluster/user.
struct TlsClientOptions {
  // Trusted CAs. When either is set, only these are trusted (as client-go does); when both are
  // empty, the system store is used (OpenSSL defaults, honouring SSL_CERT_FILE / SSL_CERT_DIR).
  std::string ca_file;  // path to a PEM bundle
  std::string ca_pem;   // inline PEM (e.g. base64-decoded certificate-authority-data)
  // Client certificate for mutual TLS: a file or inline PEM for each; cert and key must match.
  std::string client_cert_file;
  std::string client_cert_pem;  // may hold a chain, leaf first
  std::string client_key_file;
  std::string client_key_pem;
  // Overrides the URL host for SNI and certificate name checks (kubeconfig tls-server-name).
  std::string server_name;
  // Turns certificate and host name verification off. Only an explicit setting (kubeconfig
  // insecure-skip-tls-verify: true) may set it; nothing in net/ ever does.
  bool insecure_skip_verify = false;
};

// A server certificate and key (file or inline PEM each) and an optional client-certificate check.
struct TlsServerOptions {
  std::string cert_file;
  std::string cert_pem;  // leaf first, then intermediates
  std::string key_file;
  std::string key_pem;
  // CAs that sign acceptable client certificates. When set, clients are asked for a certificate
  // and one that does not verify is rejected; require_client_cert also rejects clients sending
  // none.
  std::string client_ca_pem;
  bool require_client_cert = false;
};

// Builds a client context (TLS >= 1.2). On failure returns nullptr and sets *error to a message
// naming the setting and file, e.g. "TLS: cannot load ca_file /x/ca.crt: no such file".
std::shared_ptr<boost::asio::ssl::context> make_client_context(const TlsClientOptions& options,
                                                               std::string* error);
// Builds a server context (TLS >= 1.2); same error contract.
std::shared_ptr<boost::asio::ssl::context> make_server_context(const TlsServerOptions& options,
                                                               std::string* error);

// Validates options by building the context; "" when they load (for `luascale check`).
std::string check_client_tls(const TlsClientOptions& options);

// Prepares one client connection before its handshake: SNI (omitted for IP literals, as RFC 6066
// requires) and the name the certificate must match (DNS name or IP address SAN), from
// options.server_name when set, else host. Returns "" or an error.
std::string prepare_client_session(ssl_st* ssl, const TlsClientOptions& options,
                                   std::string_view host);

// After a failed handshake: "certificate verify failed: <OpenSSL's reason>" when certificate
// verification was the cause, else "".
std::string describe_verify_failure(const ssl_st* ssl);

// The subject common name of the verified peer certificate, or "" when there is none.
std::string peer_common_name(const ssl_st* ssl);

}  // namespace luascale::net
