// adapters/sources/redis/redis_source.hpp — the "redis" signal source: queue depths and counters
// read with LLEN, XLEN, XPENDING (a consumer group's pending count), ZCARD or GET (a numeric key).
#pragma once

#include "engine/adapter.hpp"

namespace luascale::redis {

// {"source": "redis", "url": "redis://host:6379/0", "command": "llen", "key": "celery", ...}
SourceFactory redis_source_factory();

}  // namespace luascale::redis
