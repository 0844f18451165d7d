// adapters/common/options.hpp — typed reads of an adapter's config object (a signal's or a
// target's), with errors naming the adapter and key; relative paths resolve against the config
// folder; secrets come inline or from a file. Shared by every source and actuator.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/net/tls.hpp"
#include "engine/adapter.hpp"
#include "engine/core/value.hpp"

namespace luascale::adapters {

// What a factory throws for options it cannot use; what() reads "redis: key 'db': must be a
// non-negative integer", and the key and message are kept apart for key-path errors.
struct OptionError : AdapterOptionError {
  using AdapterOptionError::AdapterOptionError;
};

class Options {
 public:
  Options(const Value& object, std::string adapter, std::string config_dir)
      : object_(object), adapter_(std::move(adapter)), dir_(std::move(config_dir)) {}

  std::optional<std::string> string(const char* key, bool required = false) const;
  std::optional<double> number(const char* key) const;
  std::optional<std::int64_t> integer(const char* key) const;
  std::optional<bool> boolean(const char* key) const;
  // A duration string ("2s", "250ms") or a number of seconds.
  std::optional<double> duration(const char* key) const;
  // A path, resolved against the config folder.
  std::optional<std::string> path(const char* key) const;
  // A secret given inline under `key` or in a file under `file_key` (trailing newlines dropped);
  // both set is an error. nullopt when neither is set.
  std::optional<std::string> secret(const char* key, const char* file_key) const;
  // A {"Name": "value"} object of extra request headers.
  std::vector<std::pair<std::string, std::string>> headers(const char* key) const;

  // TLS keys: ca_file, cert_file, key_file, tls_server_name, insecure_skip_verify.
  net::TlsClientOptions tls() const;
  static const std::vector<ConfigKey>& tls_keys();

  [[noreturn]] void fail(const char* key, const std::string& message) const;
  const std::string& adapter() const { return adapter_; }
  const Value& object() const { return object_; }

 private:
  const Value& object_;
  std::string adapter_;
  std::string dir_;
};

// Appends b to a.
std::vector<ConfigKey> concat_keys(std::vector<ConfigKey> a, const std::vector<ConfigKey>& b);

// The current time in unix seconds.
double unix_now();

}  // namespace luascale::adapters
