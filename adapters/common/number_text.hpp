// adapters/common/number_text.hpp — a number written as text by another system (a JSON string
// value, a Redis string): decimal notation only, as a person or a metrics exporter writes it.
#pragma once

#include <optional>
#include <string_view>

namespace luascale::adapters {

// "12", "-3.5", "+7", ".5", "1e3", "2.5E-3": the finite double it denotes. nullopt for anything
// else: empty text, spaces, hexadecimal ("0x10"), "inf", "nan", digits separators, a value out of
// double's range, trailing text.
std::optional<double> parse_decimal(std::string_view text);

}  // namespace luascale::adapters
