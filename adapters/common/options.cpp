// adapters/common/options.cpp — typed option reads for adapters.
#include "adapters/common/options.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/net/http_headers.hpp"
#include "engine/core/units.hpp"

namespace luascale::adapters {

void Options::fail(const char* key, const std::string& message) const {
  throw OptionError(adapter_, key, message);
}

std::optional<std::string> Options::string(const char* key, bool required) const {
  const Value* v = object_.find(key);
  if (!v || v->is_null()) {
    if (required) fail(key, "required");
    return std::nullopt;
  }
  if (!v->is_string()) fail(key, std::string("must be a string, not ") + v->kind_name());
  if (required && v->as_string().empty()) fail(key, "must not be empty");
  return v->as_string();
}

std::optional<double> Options::number(const char* key) const {
  const Value* v = object_.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_number() || !std::isfinite(v->as_number()))
    fail(key, std::string("must be a number, not ") + v->kind_name());
  return v->as_number();
}

std::optional<std::int64_t> Options::integer(const char* key) const {
  auto n = number(key);
  if (!n) return std::nullopt;
  if (*n != std::floor(*n) || std::fabs(*n) > 9e15) fail(key, "must be an integer");
  return static_cast<std::int64_t>(*n);
}

std::optional<bool> Options::boolean(const char* key) const {
  const Value* v = object_.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) fail(key, std::string("must be true or false, not ") + v->kind_name());
  return v->as_bool();
}

std::optional<double> Options::duration(const char* key) const {
  const Value* v = object_.find(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_number() && v->as_number() >= 0) return v->as_number();
  if (v->is_string())
    if (auto d = parse_duration(v->as_string())) return d;
  fail(key, "must be a duration such as \"2s\" or \"250ms\"");
}

std::optional<std::string> Options::path(const char* key) const {
  auto s = string(key);
  if (!s || s->empty()) return s;
  std::filesystem::path p(*s);
  if (p.is_absolute() || dir_.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(dir_) / p).lexically_normal().string();
}

std::optional<std::string> Options::secret(const char* key, const char* file_key) const {
  auto inline_value = string(key);
  auto file = path(file_key);
  if (inline_value && file)
    fail(key, std::string("give either '") + key + "' or '" + file_key + "', not both");
  if (inline_value) return inline_value;
  if (!file) return std::nullopt;
  std::ifstream in(*file, std::ios::binary);
  if (!in) fail(file_key, "cannot read " + *file);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::vector<std::pair<std::string, std::string>> Options::headers(const char* key) const {
  std::vector<std::pair<std::string, std::string>> out;
  const Value* v = object_.find(key);
  if (!v || v->is_null()) return out;
  if (!v->is_object()) fail(key, "must be an object of header names to string values");
  for (const auto& [name, value] : v->as_object()) {
    if (!value.is_string()) fail(key, "header '" + name + "' must be a string");
    if (!net::valid_header(name, value.as_string()))
      fail(key, "header '" + name + "' is not a valid header name or value");
    out.emplace_back(name, value.as_string());
  }
  return out;
}

net::TlsClientOptions Options::tls() const {
  net::TlsClientOptions t;
  t.ca_file = path("ca_file").value_or("");
  t.client_cert_file = path("cert_file").value_or("");
  t.client_key_file = path("key_file").value_or("");
  t.server_name = string("tls_server_name").value_or("");
  t.insecure_skip_verify = boolean("insecure_skip_verify").value_or(false);
  return t;
}

const std::vector<ConfigKey>& Options::tls_keys() {
  static const std::vector<ConfigKey> keys = {
      {"ca_file", "string", false, "PEM bundle of CAs to trust instead of the system store"},
      {"cert_file", "string", false, "client certificate (PEM) for mutual TLS"},
      {"key_file", "string", false, "client private key (PEM) for mutual TLS"},
      {"tls_server_name", "string", false, "name the server certificate must match (and SNI)"},
      {"insecure_skip_verify", "boolean", false, "skip certificate verification (testing only)"},
  };
  return keys;
}

std::vector<ConfigKey> concat_keys(std::vector<ConfigKey> a, const std::vector<ConfigKey>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace luascale::adapters
