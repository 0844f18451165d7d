// adapters/sources/sqs/sqs_source.hpp — the "sqs" signal source: one queue's
// ApproximateNumberOfMessages (or the sum of several of its approximate counts) from
// GetQueueAttributes, spoken over AWS JSON 1.0 as current SDKs do.
#pragma once

#include "engine/adapter.hpp"

namespace luascale::sqs {

// {"source": "sqs", "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs",
//  "attributes": ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]}
// or {"source": "sqs", "queue": "jobs", "account": "123456789012", "region": "eu-west-1"}.
SourceFactory sqs_source_factory();

}  // namespace luascale::sqs
