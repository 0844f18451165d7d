// adapters/kubernetes/yaml_value.cpp — libyaml document API -> Value (see yaml_value.hpp).
#include "adapters/kubernetes/yaml_value.hpp"

#include <yaml.h>

#include <cctype>
#include <memory>
#include <stdexcept>
#include <string>

namespace luascale::kube {

namespace {

Value convert(yaml_document_t* doc, yaml_node_t* node, int depth) {
  if (!node) return Value();
  if (depth > 64) throw std::runtime_error("YAML nested too deeply");
  switch (node->type) {
    case YAML_SCALAR_NODE: {
      std::string s(reinterpret_cast<const char*>(node->data.scalar.value),
                    node->data.scalar.length);
      bool plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      if (plain && (s == "null" || s == "~" || s == "Null" || s == "NULL" || s.empty()))
        return Value();
      return Value(std::move(s));
    }
    case YAML_SEQUENCE_NODE: {
      Value::Array out;
      for (auto* item = node->data.sequence.items.start; item < node->data.sequence.items.top;
           ++item)
        out.push_back(convert(doc, yaml_document_get_node(doc, *item), depth + 1));
      return Value(std::move(out));
    }
    case YAML_MAPPING_NODE: {
      Value out = Value::object();
      for (auto* pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top;
           ++pair) {
        Value key = convert(doc, yaml_document_get_node(doc, pair->key), depth + 1);
        std::string k = key.is_string() ? key.as_string() : std::string();
        out.set(k, convert(doc, yaml_document_get_node(doc, pair->value), depth + 1));
      }
      return out;
    }
    default:
      return Value();
  }
}

}  // namespace

Value parse_yaml(std::string_view text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) throw std::runtime_error("YAML parser init failed");
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> parser_guard(&parser,
                                                                        yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  yaml_document_t doc;
  if (!yaml_parser_load(&parser, &doc)) {
    std::string what = parser.problem ? parser.problem : "malformed YAML";
    throw std::runtime_error("line " + std::to_string(parser.problem_mark.line + 1) + ": " + what);
  }
  std::unique_ptr<yaml_document_t, void (*)(yaml_document_t*)> doc_guard(&doc,
                                                                         yaml_document_delete);
  return convert(&doc, yaml_document_get_root_node(&doc), 0);
}

bool yaml_truthy(const Value* v) {
  if (!v) return false;
  if (v->is_bool()) return v->as_bool();
  if (!v->is_string()) return false;
  std::string s = v->as_string();
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "yes" || s == "on" || s == "y";
}

}  // namespace luascale::kube
