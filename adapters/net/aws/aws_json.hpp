// adapters/net/aws/aws_json.hpp — the error answers of AWS JSON 1.0 services (SQS): the body's
// "__type" ("com.amazonaws.sqs#QueueDoesNotExist") and "message", and the x-amzn-query-error
// header ("AWS.SimpleQueueService.NonExistentQueue;Sender") that query-compatible services add.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace luascale::aws {

struct JsonErrorInfo {
  std::string code;        // "__type" without its namespace: "QueueDoesNotExist"
  std::string query_code;  // the header's code, "" when absent
  std::string type;        // the header's fault: "Sender" | "Receiver", "" when absent
  std::string message;     // "message" (or "Message")
};

// Reads an error answer; nullopt when neither the body nor the header names an error. Never
// throws; a body that is not JSON is ignored.
std::optional<JsonErrorInfo> parse_json_error(std::string_view body,
                                              std::string_view query_error_header);

}  // namespace luascale::aws
