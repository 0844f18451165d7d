// engine/core/suggest.hpp — "did you mean": the accepted word closest to a mistyped one, for the
// errors of every strict reader (config keys, test files, --signals, metric names).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace luascale {

// The candidate nearest `word` by edit distance (insertions, deletions, substitutions and swaps
// of neighbours each count 1), when it is near enough to be a likely typo: at most 1 edit for
// words up to 4 characters, 2 up to 8, 3 beyond. Ties go to the earlier candidate. "" when none.
std::string closest_word(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean \"x\"?)" for the closest candidate, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c": the candidates, for "accepted keys: ..." messages.
std::string word_list(const std::vector<std::string>& words);

}  // namespace luascale
