// engine/testing/signal_form.hpp — hand-written signals, as `eval --signals` and test files give
// them, read by one reader so both accept the same forms and refuse the same mistakes:
//   90                                      a number, sampled now
//   [{"value": 0.6, "request": 1}, ...]     a list: a structured value (per-pod samples), now
//   {"history": [[-60, 10], [0, 20]]}       samples at times relative to now (<= 0); each sample
//   {"history": [{"t": -60, "v": 10}]}      also as {t = ..., v = ...}
//   {"value": 5, "age": 120}                one sample taken `age` seconds ago
//   {"error": "timeout"}                    a failed fetch
//   {"stale_after": "1m", ...}              the signal's staleness limit, with any of the above
// An unknown key is an error naming its path, the accepted keys and the nearest one.
#pragma once

#include <optional>
#include <string>

#include "engine/core/value.hpp"
#include "engine/loop/memory_adapters.hpp"

namespace luascale::testing {

// The keys of the table form, and "" or the problem with an object's keys (`where` names it).
std::string signal_form_key_problem(const Value& form, const std::string& where);

// Queues a table-form signal on `src` at `now`; *stale_after is set when the form gives one.
// "" or the problem, as "where.key: ...".
std::string push_signal_form(MemorySource& src, const Value& form, double now,
                             const std::string& where, std::optional<double>* stale_after);

// "" or the problem with an object's keys: "where.key: unknown key (did you mean "x"?);
// accepted keys: a, b".
std::string unknown_key_problem(const Value& obj, std::initializer_list<const char*> accepted,
                                const std::string& where);

}  // namespace luascale::testing
