// engine/replay/report.hpp — the replay report: one self-contained HTML file (inline CSS and SVG,
// no scripts, no external fonts or images) with, per policy, demand/utilization, replicas (and
// nodes) over time, shaded under-provisioned periods, a scale-event and error strip, and a
// comparison table of the summaries side by side.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "engine/replay/replay.hpp"

namespace luascale {

// Writes the report to `path` (replaced atomically: written to "<path>.tmp", then renamed).
// `series` may be shorter than `rows` (or empty): a summary without a series gets no charts.
// series[i] is matched to rows[i]. `lead_html` goes right after the title (HTML the caller
// built and escaped: the shadow report's own section). False + *error when the file cannot be
// written.
bool write_html_report(const std::string& path, const std::string& title,
                       const std::vector<ReplaySummary>& rows,
                       const std::vector<ReplaySeries>& series, std::string* error,
                       const std::string& lead_html = "");

// The same document, to a stream.
void render_html_report(std::ostream& out, const std::string& title,
                        const std::vector<ReplaySummary>& rows,
                        const std::vector<ReplaySeries>& series, const std::string& lead_html = "");

// Escapes text for HTML element content and attribute values (& < > " ').
std::string html_escape(const std::string& text);

}  // namespace luascale
