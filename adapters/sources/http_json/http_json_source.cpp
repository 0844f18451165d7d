// adapters/sources/http_json/http_json_source.cpp — one GET, one JSON pointer, one number.
#include "adapters/sources/http_json/http_json_source.hpp"

#include <boost/asio/io_context.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "adapters/common/http_support.hpp"
#include "adapters/common/number_text.hpp"
#include "adapters/net/url.hpp"

namespace luascale::http_json {

namespace {

using json = nlohmann::json;

const char* type_name(const json& j) {
  return j.type_name();
}

}  // namespace

Extracted extract_number(std::string_view body, const std::string& pointer) {
  Extracted out;
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    out.error = "response is not JSON: " + adapters::body_excerpt(body);
    return out;
  }
  const json* at = nullptr;
  try {
    json::json_pointer ptr(pointer);
    if (doc.contains(ptr)) at = &doc.at(ptr);
  } catch (const json::exception& e) {
    out.error = "pointer " + pointer + ": " + e.what();
    return out;
  }
  if (!at) {
    out.error = "nothing at " + (pointer.empty() ? std::string("the root") : pointer);
    return out;
  }
  if (at->is_number()) {
    double d = at->get<double>();
    if (std::isfinite(d))
      out.value = d;
    else
      out.error = "value at " + pointer + " is not finite";
    return out;
  }
  if (at->is_string()) {
    // A number sent as a string ("12.5", as some exporters do) in decimal notation only: "0x10"
    // or "inf" is not a count anyone meant.
    const std::string& s = at->get_ref<const std::string&>();
    if (auto d = adapters::parse_decimal(s)) {
      out.value = *d;
      return out;
    }
    out.error = "value at " + pointer + " is the string \"" + adapters::body_excerpt(s, 40) +
                "\", not a decimal number";
    return out;
  }
  out.error = "value at " + pointer + " is " +
              (at->is_null() ? "null" : std::string("a ") + type_name(*at)) + ", not a number";
  return out;
}

namespace {

class HttpJsonSource final : public Source {
 public:
  HttpJsonSource(std::shared_ptr<net::HttpClient> client, net::HttpRequest request,
                 std::string what, std::string pointer)
      : client_(std::move(client)),
        request_(std::move(request)),
        what_(std::move(what)),
        pointer_(std::move(pointer)) {}

  void fetch(std::function<void(SampleOutcome)> done) override {
    client_->request(
        request_, [what = what_, pointer = pointer_, done = std::move(done)](net::HttpResult r) {
          SampleOutcome out;
          if (!r.ok()) {
            out.error = what + ": " + r.error;
          } else if (r.status < 200 || r.status >= 300) {
            out.error = what + ": HTTP " + std::to_string(r.status) +
                        (r.body.empty() ? "" : ": " + adapters::body_excerpt(r.body));
          } else {
            auto x = extract_number(r.body, pointer);
            if (x.value)
              out.sample = Sample{adapters::sample_value(*x.value), adapters::unix_now()};
            else
              out.error = what + ": " + x.error;
          }
          done(std::move(out));
        });
  }

 private:
  std::shared_ptr<net::HttpClient> client_;
  net::HttpRequest request_;
  std::string what_;
  std::string pointer_;
};

std::unique_ptr<Source> make_http_json_source(AdapterContext& ctx, const SignalSpec& spec) {
  adapters::Options opt(spec.options, "http-json", ctx.config_dir);
  adapters::HttpEndpoint server = adapters::http_endpoint(opt, /*allow_query=*/true);
  const std::string pointer = opt.string("pointer").value_or("");
  try {
    json::json_pointer check(pointer);
  } catch (const json::exception& e) {
    opt.fail(
        "pointer",
        std::string("not a JSON pointer (RFC 6901, e.g. \"/queues/0/messages\"): ") + e.what());
  }
  net::HttpRequest request;
  request.method = "GET";
  request.headers = server.headers;
  if (!net::find_header(request.headers, "Accept"))
    request.headers.emplace_back("Accept", "application/json");
  request.timeout = std::chrono::milliseconds(
      std::max<std::int64_t>(1, static_cast<std::int64_t>(spec.timeout_seconds * 1000)));
  request.url = server.url.to_request_string();
  std::string what = "http-json " + server.url.to_string();  // secret query values redacted
  return std::make_unique<HttpJsonSource>(adapters::shared_http_client(ctx.io, server.tls),
                                          std::move(request), std::move(what), pointer);
}

}  // namespace

SourceFactory http_json_source_factory() {
  return {"http-json",
          adapters::concat_keys(
              {
                  {"url", "string", true, "URL to GET (http:// or https://)"},
                  {"pointer", "string", false,
                   "JSON pointer to the number, e.g. \"/messages_ready\"; \"\" = the whole body"},
              },
              adapters::http_keys()),
          &make_http_json_source};
}

}  // namespace luascale::http_json
