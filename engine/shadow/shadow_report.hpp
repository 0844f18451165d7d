// engine/shadow/shadow_report.hpp — shadow policies against their live targets, shown: the text
// table `luascale shadow-report` prints, and the HTML report — the replay report's document
// (engine/replay/report.hpp: each policy's would-be and live counts as summaries and charts)
// led by a shadow-vs-live section: the comparison table and both counts on one chart per policy,
// the gaps shaded by direction.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "engine/shadow/shadow_compare.hpp"

namespace luascale {

// One row per policy (ticks, how often it differed each way, by how much, replica-hours), then
// a sentence per policy and notes (unread targets, rows out of order).
void print_shadow_table(const std::vector<ShadowPolicy>& policies, std::ostream& out);

// The shadow-vs-live section of the report, as HTML.
std::string shadow_section_html(const std::vector<ShadowPolicy>& policies);

// Writes the whole report to `path` (replaced atomically); `command` is the command line that
// made it. False + *error.
bool write_shadow_report(const std::string& path, const std::string& title,
                         const std::string& command, const std::vector<ShadowPolicy>& policies,
                         std::string* error);

}  // namespace luascale
