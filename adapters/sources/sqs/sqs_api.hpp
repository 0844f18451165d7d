// adapters/sources/sqs/sqs_api.hpp — SQS GetQueueAttributes over AWS JSON 1.0: the request body
// and a parser of the answer with explicit limits (fuzzed), plus queue URL helpers.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace luascale::sqs {

// {"QueueUrl": url, "AttributeNames": [names...]} as JSON text.
std::string get_queue_attributes_body(const std::string& queue_url,
                                      const std::vector<std::string>& attributes);

// Parses {"Attributes": {"ApproximateNumberOfMessages": "5", ...}}: the attributes whose values
// are whole numbers (SQS sends them as strings), at most 64 of them. false + *error when the
// body is not such an object or a requested count is not a number. Never throws.
bool parse_queue_attributes(std::string_view body, std::map<std::string, double>* counts,
                            std::string* error);

// The region of an SQS queue URL ("https://sqs.eu-west-1.amazonaws.com/1234/q" -> "eu-west-1");
// "" when the host does not name one.
std::string region_of_queue_url(std::string_view url);

}  // namespace luascale::sqs
