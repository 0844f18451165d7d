// engine/state/state_file.cpp — atomic JSON state persistence.
#include "engine/state/state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace luascale {

bool write_file_atomic(const std::string& path, const std::string& text, std::string* error) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string tmp =
      (dir / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (error) *error = tmp + ": " + std::strerror(errno);
    return false;
  }
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (error) *error = tmp + ": write: " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    if (error) *error = tmp + ": fsync: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error) *error = path + ": rename: " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

bool load_state_file(const std::string& path, Value& policies_out, std::string* error) {
  policies_out = Value::object();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT || !std::filesystem::exists(path)) return true;
    if (error) *error = path + ": cannot read: " + std::strerror(errno);
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  Value doc;
  try {
    doc = parse_json(ss.str());
  } catch (const JsonError& e) {
    if (error) *error = path + ": " + e.what();
    return false;
  }
  const Value* v = doc.find("version");
  if (!doc.is_object() || !v || !v->is_number()) {
    if (error) *error = path + ": not a luascale state file (no \"version\")";
    return false;
  }
  if (v->as_int() != kStateVersion) {
    if (error)
      *error = path + ": state version " + std::to_string(v->as_int()) +
               " is not supported (expected " + std::to_string(kStateVersion) + ")";
    return false;
  }
  if (const Value* p = doc.find("policies")) {
    if (!p->is_object()) {
      if (error) *error = path + ": policies: expected an object";
      return false;
    }
    policies_out = *p;
  }
  return true;
}

bool save_state_file(const std::string& path, const Value& policies, double saved_at,
                     std::string* error) {
  std::vector<std::string> texts;
  std::vector<std::pair<std::string, std::string_view>> parts;
  if (policies.is_object()) {
    texts.reserve(policies.as_object().size());  // the views below point into these
    for (const auto& [name, state] : policies.as_object()) {
      texts.push_back(to_json(state, 1));
      parts.emplace_back(name, texts.back());
    }
  }
  return save_state_file_json(path, parts, saved_at, error);
}

bool save_state_file_json(const std::string& path,
                          const std::vector<std::pair<std::string, std::string_view>>& policies,
                          double saved_at, std::string* error) {
  std::size_t size = 64;
  for (const auto& [name, json] : policies) size += name.size() + json.size() + 8;
  std::string text;
  text.reserve(size);
  text += "{\n \"version\": " + std::to_string(kStateVersion) +
          ",\n \"saved_at\": " + to_json(Value(saved_at)) + ",\n \"policies\": {";
  bool first = true;
  for (const auto& [name, json] : policies) {
    text += first ? "\n  " : ",\n  ";
    first = false;
    text += to_json(Value(name));
    text += ": ";
    text += json;
  }
  text += first ? "}\n}\n" : "\n }\n}\n";
  return write_file_atomic(path, text, error);
}

}  // namespace luascale
