// adapters/net/aws/aws_env.hpp — where AWS settings come from, as the SDKs read them: the
// environment (injectable), the shared config/credentials INI files and their profiles, the
// region, and service endpoints with the AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL overrides.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace luascale::aws {

// Reads one environment variable; nullopt when unset. Tests pass a map-backed one.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment (getenv). An empty value counts as unset, as in the SDKs.
Environment process_environment();
// An environment backed by a map (for tests and for config-provided settings).
Environment map_environment(std::map<std::string, std::string> vars);

// One INI profile: key -> value, keys lower-cased.
using Profile = std::map<std::string, std::string>;

// Parses an AWS shared config or credentials file. Section names are returned as the profile
// name: "[default]" -> "default"; in a config file (is_config_file) "[profile dev]" -> "dev".
// Comments (# and ;) and blank lines are ignored; nested (indented) sub-keys are skipped.
std::map<std::string, Profile> parse_ini_profiles(std::string_view text, bool is_config_file);

// The profile name: AWS_PROFILE, else "default".
std::string profile_name(const Environment& env);
// Paths of the shared files: AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, else
// $HOME/.aws/credentials and $HOME/.aws/config ("" when HOME is unset too).
std::string credentials_file_path(const Environment& env);
std::string config_file_path(const Environment& env);
// Loads one profile from a file; nullopt when the file or the profile is missing.
std::optional<Profile> load_profile(const std::string& path, const std::string& profile,
                                    bool is_config_file);

// The region: `configured` when non-empty, else AWS_REGION, AWS_DEFAULT_REGION, then the
// `region` key of the profile in the shared config file. "" when none is set.
std::string resolve_region(const Environment& env, const std::string& configured);

// The endpoint URL of a service, in SDK order: `configured` (an adapter option) when non-empty;
// else AWS_ENDPOINT_URL_<SERVICE_ID> (service id upper-cased, spaces -> '_', e.g. "Auto Scaling"
// -> AWS_ENDPOINT_URL_AUTO_SCALING); else AWS_ENDPOINT_URL; else
// https://<endpoint_prefix>.<region>.amazonaws.com (".amazonaws.com.cn" for cn-* regions).
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips both environment variables.
std::string resolve_endpoint(const Environment& env, const std::string& configured,
                             std::string_view service_id, std::string_view endpoint_prefix,
                             const std::string& region);

// True for "true"/"1"/"yes" in any case.
bool env_flag(const Environment& env, const std::string& name);

}  // namespace luascale::aws
