// tests/unit/unit-source-http-json.cpp — the "http-json" source: a number at a JSON pointer from a
// scripted HTTP peer (RabbitMQ- and Flower-shaped bodies), auth, and every way it can fail.
#include <doctest/doctest.h>

#include <mutex>

#include "adapter_helpers.hpp"
#include "adapters/common/options.hpp"
#include "adapters/sources/http_json/http_json_source.hpp"
#include "loopback_server.hpp"
#include "servers.hpp"

using namespace luascale;
using namespace luascale::test;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// RabbitMQ's GET /api/queues/{vhost}/{name}, trimmed.
const char* kRabbitQueue =
    R"({"name":"jobs","vhost":"/","messages":42,"messages_ready":40,"messages_unacknowledged":2,
        "message_stats":{"publish_details":{"rate":12.5}},"consumers":3,"idle_since":null,
        "arguments":{"x-queue-type":"classic"},"backing_queue_status":{"len":"40"},"a/b":{"~x":7},
        "odd":{"hex":"0x10","inf":"inf","nan":"NaN","space":" 4","exp":"2.5e1","plus":"+3",
        "dot":".5","sep":"1_000","trail":"7abc"}})";

}  // namespace

TEST_CASE("http-json source: numbers at JSON pointers") {
  std::mutex mutex;
  std::string last_target, last_auth;
  LoopbackServer server([&](const RawRequest& r) {
    std::lock_guard lock(mutex);
    last_target = r.target;
    last_auth = r.header("Authorization");
    if (r.target == "/api/queues/%2F/jobs") return ScriptedReply{http_response(200, kRabbitQueue)};
    if (r.target == "/plain") return ScriptedReply{http_response(200, "17\n")};
    if (r.target == "/missing")
      return ScriptedReply{http_response(404, R"({"error":"Object Not Found"})")};
    if (r.target == "/html") return ScriptedReply{http_response(200, "<html>hi</html>")};
    return ScriptedReply{http_response(500, "")};
  });
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto base = "http://127.0.0.1:" + std::to_string(server.port());
  auto value = [&](const std::string& path, const std::string& pointer,
                   const std::string& extra = "") {
    auto src = make_source(ctx, R"({"source": "http-json", "url": ")" + base + path +
                                    R"(", "pointer": ")" + pointer + "\"" + extra + "}");
    return fetch_text(io, *src);
  };
  const std::string q = "/api/queues/%2F/jobs";
  CHECK(value(q, "/messages_ready", R"(, "username": "guest", "password": "guest")") == "40");
  CHECK(last_target == q);
  CHECK(last_auth == "Basic Z3Vlc3Q6Z3Vlc3Q=");
  CHECK(value(q, "/message_stats/publish_details/rate") == "12.5");
  CHECK(last_auth == "");
  CHECK(value(q, "/backing_queue_status/len") == "40");  // numeric string
  CHECK(value(q, "/a~1b/~0x") == "7");                   // RFC 6901 escapes
  CHECK(value("/plain", "") == "17");                    // the whole body

  const std::string where = "ERROR: http-json " + base;
  CHECK(value(q, "/nope") == where + q + ": nothing at /nope");
  CHECK(value(q, "/name") ==
        where + q + ": value at /name is the string \"jobs\", not a decimal number");
  CHECK(value(q, "/idle_since") == where + q + ": value at /idle_since is null, not a number");
  CHECK(value(q, "/arguments") == where + q + ": value at /arguments is a object, not a number");
  CHECK(value(q, "/messages/0") == where + q + ": nothing at /messages/0");
  // Numbers sent as strings: decimal notation only (strtod alone reads "0x10" as 16).
  CHECK(value(q, "/odd/exp") == "25");
  CHECK(value(q, "/odd/plus") == "3");
  CHECK(value(q, "/odd/dot") == "0.5");
  for (const char* odd : {"hex", "inf", "nan", "space", "sep", "trail"})
    CHECK(contains(value(q, std::string("/odd/") + odd), "not a decimal number"));
  CHECK(value(q, "/odd/hex") ==
        where + q + ": value at /odd/hex is the string \"0x10\", not a decimal number");
  CHECK(value("/missing", "/x") == where + "/missing: HTTP 404: {\"error\":\"Object Not Found\"}");
  CHECK(value("/html", "/x") == where + "/html: response is not JSON: <html>hi</html>");
  CHECK(value("/other", "/x") == where + "/other: HTTP 500");
}

TEST_CASE("http-json source: refused and timeout") {
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto port = free_port();
  auto src = make_source(ctx, R"({"source": "http-json", "url": "http://127.0.0.1:)" +
                                  std::to_string(port) + R"(/x", "pointer": "/n"})");
  CHECK(fetch_text(io, *src) == "ERROR: http-json http://127.0.0.1:" + std::to_string(port) +
                                    "/x: connect 127.0.0.1:" + std::to_string(port) +
                                    ": connection refused");
  LoopbackServer hang([](const RawRequest&) {
    ScriptedReply r;
    r.hang = true;
    return r;
  });
  auto slow = make_source(ctx,
                          R"({"source": "http-json", "url": "http://127.0.0.1:)" +
                              std::to_string(hang.port()) + R"(/x", "pointer": "/n"})",
                          0.25);
  CHECK(contains(fetch_text(io, *slow), "timeout after 250ms"));
}

TEST_CASE("http-json source: option errors") {
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto error_of = [&](const std::string& json) {
    try {
      make_source(ctx, json);
    } catch (const adapters::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(contains(error_of(R"({"source":"http-json","url":"http://x","pointer":"messages"})"),
                 "http-json: key 'pointer': not a JSON pointer"));
  CHECK(error_of(R"({"source":"http-json","url":"http://x","headers":{"X-A":1}})") ==
        "http-json: key 'headers': header 'X-A' must be a string");
  CHECK(error_of(R"({"source":"http-json","pointer":"/a"})") == "http-json: key 'url': required");
}

TEST_CASE("http-json source: a secret in the URL's query string is never printed") {
  LoopbackServer server([&](const RawRequest& r) {
    if (r.target == "/q?token=s3cr3t&queue=jobs&api_key=k3y")
      return ScriptedReply{http_response(500, "no")};
    return ScriptedReply{http_response(404, "")};
  });
  boost::asio::io_context io;
  AdapterContext ctx{io, ""};
  auto src = make_source(ctx, R"({"source": "http-json", "url": "http://127.0.0.1:)" +
                                  std::to_string(server.port()) +
                                  R"(/q?token=s3cr3t&queue=jobs&api_key=k3y", "pointer": "/n"})");
  const std::string text = fetch_text(io, *src);
  // The request carried the real query (the server answered 500, not 404); the error shows it
  // redacted.
  CHECK(text == "ERROR: http-json http://127.0.0.1:" + std::to_string(server.port()) +
                    "/q?token=<redacted>&queue=jobs&api_key=<redacted>: HTTP 500: no");
  CHECK(!contains(text, "s3cr3t"));
  CHECK(!contains(text, "k3y"));
}
