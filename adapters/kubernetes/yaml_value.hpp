// adapters/kubernetes/yaml_value.hpp — reads the first document of a YAML file (a kubeconfig) into
// a Value tree with libyaml. Scalars stay strings (YAML 1.1 typing is left to the reader), except
// that a plain `null`/`~` becomes null.
#pragma once

#include <string_view>

#include "engine/core/value.hpp"

namespace luascale::kube {

// Throws std::runtime_error("line L: <libyaml problem>") on malformed input; an empty document
// gives null. Anchors and aliases are resolved; merge keys (<<) are not.
Value parse_yaml(std::string_view text);

// "true"/"yes"/"on" (any case) -> true; everything else -> false; a Bool value as is.
bool yaml_truthy(const Value* v);

}  // namespace luascale::kube
