// adapters/common/http_support.hpp — what HTTP-based sources share: one HttpClient per
// io_context and TLS configuration (so they share keep-alive connections), the server a source's
// options name (URL, auth and extra headers, TLS) with its keys as data, printable body excerpts,
// and the sample value of a number.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/common/options.hpp"
#include "adapters/net/http_client.hpp"
#include "adapters/net/url.hpp"

namespace boost::asio {
class io_context;
}

namespace luascale::adapters {

// The client every caller on io with the same TLS options shares; kept while anyone holds it.
std::shared_ptr<net::HttpClient> shared_http_client(boost::asio::io_context& io,
                                                    const net::TlsClientOptions& tls);

// headers, bearer_token, bearer_token_file, username, password, password_file, and the TLS keys.
const std::vector<ConfigKey>& http_keys();

// An HTTP server as a source's options give it.
struct HttpEndpoint {
  net::Url url;               // http or https; no userinfo (it went into Authorization)
  net::Headers headers;       // request_headers(): extra headers and Authorization
  net::TlsClientOptions tls;  // for https; checked loadable
};

// Reads "url" (required, http:// or https://; a query string only when allow_query) and the
// http_keys() into an HttpEndpoint. Throws OptionError naming the key at fault.
HttpEndpoint http_endpoint(const Options& options, bool allow_query);

// Request headers from the options: the extra "headers", then Authorization from a bearer token,
// or basic auth from username/password (or the URL's userinfo). Throws OptionError when both a
// token and basic auth are given, or a password without a user.
net::Headers request_headers(const Options& options, const net::Url& url);

// Up to max_bytes of a response body on one line, non-printable bytes as '?', "..." if cut.
std::string body_excerpt(std::string_view body, std::size_t max_bytes = 200);

// A fetched number as a sample value: an integer when it is a whole number below 2^53.
Value sample_value(double number);

}  // namespace luascale::adapters
