// engine/state/state_file.cpp — atomic JSON state persistence.
#include "engine/state/state_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/files/file_replace.hpp"

namespace luascale {

bool write_file_atomic(const std::string& path, const std::string& text, std::string* error) {
  // The state file is luascale's own: a new one is private (0600); an existing one keeps its mode.
  std::string why = files::replace_file(path, text, files::ReplaceOptions{0600});
  if (why.empty()) return true;
  if (error) *error = std::move(why);
  return false;
}

bool load_state_file(const std::string& path, Value& policies_out, std::string* error,
                     double* saved_at) {
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
  if (const Value* t = doc.find("saved_at"); saved_at && t && t->is_number())
    *saved_at = t->as_number();
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
      texts.push_back(to_json(state));
      parts.emplace_back(name, texts.back());
    }
  }
  return save_state_file_json(path, parts, saved_at, error);
}

bool set_aside_states(const std::string& state_file, const std::vector<RejectedState>& rejected,
                      double now, std::string* error) {
  const std::string path = state_file + ".rejected";
  Value doc = Value::object();
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      doc = parse_json(ss.str());
    } catch (const JsonError&) {
      doc = Value::object();  // not ours to keep: it is replaced
    }
    if (!doc.is_object()) doc = Value::object();
  }
  doc.set("version", Value(kStateVersion));
  Value* policies = doc.find("policies");
  if (!policies || !policies->is_object()) policies = &doc.set("policies", Value::object());
  for (const auto& r : rejected) {
    Value e = Value::object();
    e.set("rejected_at", Value(now));
    e.set("reason", Value(r.reason));
    e.set("state", r.state);
    policies->set(r.policy, std::move(e));
  }
  return write_file_atomic(path, to_json(doc, 1) + "\n", error);
}

namespace {

void append_indented_json(std::string& out, std::string_view json, int depth) {
  // Compact JSON has no whitespace outside strings: every structural character is re-laid out
  // as nlohmann's dump(1) lays it out (one space per level, one member or element per line,
  // empty containers as {} and []).
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(level), ' ');
  };
  int level = depth;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      out += c;
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        out += c;
        break;
      case '{':
      case '[':
        out += c;
        if (i + 1 < json.size() && (json[i + 1] == '}' || json[i + 1] == ']')) {
          out += json[++i];
        } else {
          newline(++level);
        }
        break;
      case '}':
      case ']':
        newline(--level);
        out += c;
        break;
      case ',':
        out += c;
        newline(level);
        break;
      case ':':
        out += ": ";
        break;
      case ' ':
      case '\n':
      case '\t':
      case '\r':
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

bool save_state_file_json(const std::string& path,
                          const std::vector<std::pair<std::string, std::string_view>>& policies,
                          double saved_at, std::string* error) {
  std::size_t size = 64;
  for (const auto& [name, json] : policies) size += name.size() + 2 * json.size() + 8;
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
    append_indented_json(text, json, 2);
  }
  text += first ? "}\n}\n" : "\n }\n}\n";
  return write_file_atomic(path, text, error);
}

}  // namespace luascale
