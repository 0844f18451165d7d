// adapters/net/aws/aws_env.cpp — environment, shared INI files, region and endpoint resolution.
#include "adapters/net/aws/aws_env.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "adapters/net/ascii_text.hpp"

namespace luascale::aws {
namespace {

using net::ascii_lower;
using net::trim_space;

std::optional<std::string> get(const Environment& env, const std::string& name) {
  if (!env) return std::nullopt;
  auto v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

}  // namespace

Environment process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

Environment map_environment(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

std::map<std::string, Profile> parse_ini_profiles(std::string_view text, bool is_config_file) {
  std::map<std::string, Profile> out;
  Profile* current = nullptr;
  std::istringstream in{std::string(text)};
  std::string raw;
  while (std::getline(in, raw)) {
    if (raw.empty()) continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';
    const std::string line = trim_space(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      const auto close = line.find(']');
      std::string name =
          trim_space(line.substr(1, close == std::string::npos ? std::string::npos : close - 1));
      if (is_config_file && name != "default") {
        if (name.rfind("profile ", 0) == 0 || name.rfind("profile\t", 0) == 0) {
          name = trim_space(name.substr(8));
        } else {
          current = nullptr;  // [sso-session x], [services x]: not profiles
          continue;
        }
      }
      current = &out[name];
      continue;
    }
    if (!current || indented) continue;  // a nested sub-key (e.g. under s3 =)
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = ascii_lower(trim_space(line.substr(0, eq)));
    std::string value = trim_space(line.substr(eq + 1));
    // Inline comments only count after white space ("key = v # note").
    for (std::size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value = trim_space(value.substr(0, i));
        break;
      }
    }
    (*current)[key] = value;
  }
  return out;
}

std::string profile_name(const Environment& env) {
  if (auto p = get(env, "AWS_PROFILE")) return *p;
  return "default";
}

std::string credentials_file_path(const Environment& env) {
  if (auto p = get(env, "AWS_SHARED_CREDENTIALS_FILE")) return *p;
  if (auto home = get(env, "HOME")) return *home + "/.aws/credentials";
  return "";
}

std::string config_file_path(const Environment& env) {
  if (auto p = get(env, "AWS_CONFIG_FILE")) return *p;
  if (auto home = get(env, "HOME")) return *home + "/.aws/config";
  return "";
}

std::optional<Profile> load_profile(const std::string& path, const std::string& profile,
                                    bool is_config_file) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto profiles = parse_ini_profiles(ss.str(), is_config_file);
  auto it = profiles.find(profile);
  if (it == profiles.end()) return std::nullopt;
  return it->second;
}

std::string resolve_region(const Environment& env, const std::string& configured) {
  if (!configured.empty()) return configured;
  if (auto r = get(env, "AWS_REGION")) return *r;
  if (auto r = get(env, "AWS_DEFAULT_REGION")) return *r;
  if (auto p = load_profile(config_file_path(env), profile_name(env), true)) {
    auto it = p->find("region");
    if (it != p->end()) return it->second;
  }
  return "";
}

std::string resolve_endpoint(const Environment& env, const std::string& configured,
                             std::string_view service_id, std::string_view endpoint_prefix,
                             const std::string& region) {
  if (!configured.empty()) return configured;
  if (!env_flag(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    std::string var = "AWS_ENDPOINT_URL_";
    for (char c : service_id) {
      if (c == ' ' || c == '-') {
        var.push_back('_');
      } else if (c >= 'a' && c <= 'z') {
        var.push_back(static_cast<char>(c - 'a' + 'A'));
      } else {
        var.push_back(c);
      }
    }
    if (auto v = get(env, var)) return *v;
    if (auto v = get(env, "AWS_ENDPOINT_URL")) return *v;
  }
  const bool china = region.rfind("cn-", 0) == 0;
  return "https://" + std::string(endpoint_prefix) + "." + region +
         (china ? ".amazonaws.com.cn" : ".amazonaws.com");
}

bool env_flag(const Environment& env, const std::string& name) {
  auto v = get(env, name);
  if (!v) return false;
  const std::string l = ascii_lower(*v);
  return l == "true" || l == "1" || l == "yes";
}

}  // namespace luascale::aws
