// adapters/net/tls.cpp — builds OpenSSL contexts from TlsClientOptions / TlsServerOptions and sets
// up per-connection SNI and name verification. Files are read here so errors name the file.
#include "adapters/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/context.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "adapters/net/ascii_text.hpp"
#include "adapters/net/url.hpp"

namespace luascale::net {

namespace ssl = boost::asio::ssl;

namespace {

// The most specific OpenSSL reason for a failed call, lowercase.
std::string openssl_reason(const boost::system::error_code& ec) {
  std::string reason = ec.message();
  if (reason.empty() || reason == "asio.ssl error") reason = "error " + std::to_string(ec.value());
  return lower_first(reason);
}

bool read_file(const std::string& path, std::string* out, std::string* reason) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *reason = errno ? lower_first(std::strerror(errno)) : "cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Inline PEM, or the content of file; "" when neither is set. Returns false with *error set when
// the file cannot be read.
bool pem_source(const std::string& inline_pem, const std::string& file, const char* setting,
                std::string* pem, std::string* error) {
  if (!inline_pem.empty()) {
    *pem = inline_pem;
    return true;
  }
  if (file.empty()) {
    pem->clear();
    return true;
  }
  std::string reason;
  if (!read_file(file, pem, &reason)) {
    *error = std::string("TLS: cannot read ") + setting + " " + file + ": " + reason;
    return false;
  }
  if (pem->empty()) {  // never fall back to the system store because a file is empty
    *error = std::string("TLS: ") + setting + " " + file + " is empty";
    return false;
  }
  return true;
}

std::string describe(const char* setting, const std::string& file) {
  return file.empty() ? std::string(setting) : std::string(setting) + " " + file;
}

bool add_cas(ssl::context& ctx, const std::string& pem, const std::string& what,
             std::string* error) {
  boost::system::error_code ec;
  ctx.add_certificate_authority(boost::asio::buffer(pem), ec);
  if (ec) {
    *error = "TLS: cannot load " + what + ": " + openssl_reason(ec);
    return false;
  }
  return true;
}

bool use_cert_and_key(ssl::context& ctx, const std::string& cert_pem, const std::string& cert_what,
                      const std::string& key_pem, const std::string& key_what, std::string* error) {
  boost::system::error_code ec;
  ctx.use_certificate_chain(boost::asio::buffer(cert_pem), ec);
  if (ec) {
    *error = "TLS: cannot load " + cert_what + ": " + openssl_reason(ec);
    return false;
  }
  ctx.use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) {
    *error = "TLS: cannot load " + key_what + ": " + openssl_reason(ec);
    return false;
  }
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    *error = "TLS: " + cert_what + " and " + key_what + " do not match";
    return false;
  }
  return true;
}

}  // namespace

std::shared_ptr<ssl::context> make_client_context(const TlsClientOptions& options,
                                                  std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);

  if (options.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    std::string ca;
    if (!pem_source(options.ca_pem, options.ca_file, "ca_file", &ca, error)) return nullptr;
    if (!ca.empty()) {
      std::string what = options.ca_pem.empty() ? describe("ca_file", options.ca_file) : "ca_pem";
      if (!add_cas(*ctx, ca, what, error)) return nullptr;
    } else {
      boost::system::error_code ec;
      ctx->set_default_verify_paths(ec);
      if (ec) {
        *error = "TLS: cannot load the system CA store: " + openssl_reason(ec);
        return nullptr;
      }
    }
  }

  bool has_cert = !options.client_cert_pem.empty() || !options.client_cert_file.empty();
  bool has_key = !options.client_key_pem.empty() || !options.client_key_file.empty();
  if (has_cert != has_key) {
    *error = has_cert ? "TLS: client certificate given without a client key"
                      : "TLS: client key given without a client certificate";
    return nullptr;
  }
  if (has_cert) {
    std::string cert, key;
    if (!pem_source(options.client_cert_pem, options.client_cert_file, "client_cert_file", &cert,
                    error) ||
        !pem_source(options.client_key_pem, options.client_key_file, "client_key_file", &key,
                    error))
      return nullptr;
    std::string cert_what = options.client_cert_pem.empty()
                                ? describe("client_cert_file", options.client_cert_file)
                                : "client_cert_pem";
    std::string key_what = options.client_key_pem.empty()
                               ? describe("client_key_file", options.client_key_file)
                               : "client_key_pem";
    if (!use_cert_and_key(*ctx, cert, cert_what, key, key_what, error)) return nullptr;
  }
  error->clear();
  return ctx;
}

std::shared_ptr<ssl::context> make_server_context(const TlsServerOptions& options,
                                                  std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  ERR_clear_error();
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);

  std::string cert, key;
  if (!pem_source(options.cert_pem, options.cert_file, "cert_file", &cert, error) ||
      !pem_source(options.key_pem, options.key_file, "key_file", &key, error))
    return nullptr;
  if (cert.empty() || key.empty()) {
    *error = "TLS: a server needs both a certificate and a key";
    return nullptr;
  }
  std::string cert_what =
      options.cert_pem.empty() ? describe("cert_file", options.cert_file) : "cert_pem";
  std::string key_what =
      options.key_pem.empty() ? describe("key_file", options.key_file) : "key_pem";
  if (!use_cert_and_key(*ctx, cert, cert_what, key, key_what, error)) return nullptr;

  if (!options.client_ca_pem.empty()) {
    if (!add_cas(*ctx, options.client_ca_pem, "client_ca_pem", error)) return nullptr;
    // Advertise the acceptable issuers so clients pick the right certificate.
    BIO* bio = BIO_new_mem_buf(options.client_ca_pem.data(),
                               static_cast<int>(options.client_ca_pem.size()));
    STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
    if (!bio || !names) {
      BIO_free(bio);
      sk_X509_NAME_free(names);
      *error = "TLS: out of memory loading client_ca_pem";
      return nullptr;
    }
    while (X509* cert_x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(cert_x)));
      X509_free(cert_x);
    }
    ERR_clear_error();
    BIO_free(bio);
    SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    ctx->set_verify_mode(ssl::verify_peer |
                         (options.require_client_cert ? ssl::verify_fail_if_no_peer_cert : 0));
  } else if (options.require_client_cert) {
    *error = "TLS: require_client_cert needs client_ca_pem";
    return nullptr;
  } else {
    ctx->set_verify_mode(ssl::verify_none);
  }
  error->clear();
  return ctx;
}

std::string check_client_tls(const TlsClientOptions& options) {
  std::string error;
  make_client_context(options, &error);
  return error;
}

std::string prepare_client_session(ssl_st* ssl, const TlsClientOptions& options,
                                   std::string_view host) {
  std::string name(options.server_name.empty() ? host : std::string_view(options.server_name));
  bool ip = is_ip_literal(name);
  if (!ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    ERR_clear_error();
    return "TLS: cannot set server name " + name;
  }
  if (options.insecure_skip_verify) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    return "";
  }
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int ok = 0;
  if (ip) {
    std::string addr = name.substr(0, name.find('%'));  // drop an IPv6 zone id
    ok = X509_VERIFY_PARAM_set1_ip_asc(param, addr.c_str());
  } else {
    ok = X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  }
  if (ok != 1) {
    ERR_clear_error();
    return "TLS: cannot verify against server name " + name;
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  return "";
}

std::string describe_verify_failure(const ssl_st* ssl) {
  long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return "";
  return std::string("certificate verify failed: ") + X509_verify_cert_error_string(result);
}

std::string peer_common_name(const ssl_st* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return "";
  char buf[256];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  if (n < 0) {
    ERR_clear_error();
    return "";
  }
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace luascale::net
