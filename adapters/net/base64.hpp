// adapters/net/base64.hpp — standard base64 (RFC 4648 section 4) on OpenSSL's EVP block coder:
// the one encoder and decoder of the adapters (basic auth headers, kubeconfig *-data fields).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace luascale::net {

// The standard alphabet, padded with '=' to a multiple of four characters.
std::string base64_encode(std::string_view data);

// Decodes the standard alphabet. Padding is optional (when present it must complete the last
// group); spaces, CRs and LFs anywhere are skipped, as wrapped kubeconfig data has them. nullopt
// for any other byte, a '=' before the end, or a length no encoding produces.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace luascale::net
