// adapters/sources/http_json/http_json_source.hpp — the "http-json" signal source: GET a URL and
// take the number at a JSON pointer (RabbitMQ management API, Celery Flower, any stats endpoint).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/adapter.hpp"

namespace luascale::http_json {

// {"source": "http-json", "url": "http://rabbit:15672/api/queues/%2F/jobs", "pointer":
//  "/messages_ready", "username": "guest", "password": "guest"}
SourceFactory http_json_source_factory();

struct Extracted {
  std::optional<double> value;
  std::string error;
};

// The number at `pointer` (RFC 6901) in a JSON document: a JSON number, or a string holding one.
Extracted extract_number(std::string_view body, const std::string& pointer);

}  // namespace luascale::http_json
