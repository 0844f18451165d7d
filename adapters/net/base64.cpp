// adapters/net/base64.cpp — base64 on EVP_EncodeBlock / EVP_DecodeBlock. The block calls take an
// int length and work on whole groups: input is fed in slices, and the decoder checks the text
// itself first, because EVP_DecodeBlock reads '=' as zero bits anywhere and counts padding bytes
// in its result.
#include "adapters/net/base64.hpp"

#include <openssl/evp.h>

namespace luascale::net {
namespace {

// Slices a multiple of a block (3 bytes in, 4 characters out), far below INT_MAX.
constexpr std::size_t kEncodeSlice = 3 * 16384;
constexpr std::size_t kDecodeSlice = 4 * 16384;

bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

unsigned char* bytes(char* p) {
  return reinterpret_cast<unsigned char*>(p);
}
const unsigned char* bytes(const char* p) {
  return reinterpret_cast<const unsigned char*>(p);
}

}  // namespace

std::string base64_encode(std::string_view data) {
  std::string out;
  for (std::size_t at = 0; at < data.size(); at += kEncodeSlice) {
    const std::string_view slice = data.substr(at, kEncodeSlice);
    const std::size_t start = out.size();
    out.resize(start + (slice.size() + 2) / 3 * 4 + 1);  // EVP_EncodeBlock adds a NUL
    const int n = EVP_EncodeBlock(bytes(out.data() + start), bytes(slice.data()),
                                  static_cast<int>(slice.size()));
    out.resize(start + static_cast<std::size_t>(n));
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string groups;
  groups.reserve(text.size() + 3);
  std::size_t padding = 0;
  for (char c : text) {
    if (c == ' ' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
    } else if (!in_alphabet(c) || padding > 0) {
      return std::nullopt;  // a foreign byte, or data after padding
    }
    groups.push_back(c);
  }
  const std::size_t data_chars = groups.size() - padding;
  if (padding > 2 || data_chars % 4 == 1) return std::nullopt;
  if (padding > 0 && groups.size() % 4 != 0) return std::nullopt;
  if (padding == 0) {
    padding = (4 - data_chars % 4) % 4;
    groups.append(padding, '=');
  }
  std::string out;
  for (std::size_t at = 0; at < groups.size(); at += kDecodeSlice) {
    const std::string_view slice = std::string_view(groups).substr(at, kDecodeSlice);
    const std::size_t start = out.size();
    out.resize(start + slice.size() / 4 * 3);
    const int n = EVP_DecodeBlock(bytes(out.data() + start), bytes(slice.data()),
                                  static_cast<int>(slice.size()));
    if (n < 0) return std::nullopt;
  }
  out.resize(out.size() - padding);  // the decoder counts padding as zero bytes
  return out;
}

}  // namespace luascale::net
