// adapters/net/aws/credentials.cpp — the credential chain's providers and its cache.
#include "adapters/net/aws/credentials.hpp"

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "adapters/net/ascii_text.hpp"
#include "adapters/net/aws/aws_xml.hpp"
#include "adapters/net/http_client.hpp"
#include "adapters/net/url.hpp"
#include "common/time/timestamp_text.hpp"

namespace luascale::aws {
namespace {

using net::trim_space;

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CredentialsOutcome failure(std::string error) {
  CredentialsOutcome out;
  out.error = std::move(error);
  return out;
}

// "HTTP 404" / the transport error, for a request whose body must not be echoed.
std::string describe_http_failure(const net::HttpResult& r) {
  if (!r.ok()) return r.error;
  return "HTTP " + std::to_string(r.status);
}

}  // namespace

CredentialsOutcome parse_sts_credentials(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return failure("STS: response is not XML");
  const pugi::xml_node root = doc.document_element();
  pugi::xml_node result;
  for (const char* name : {"AssumeRoleWithWebIdentityResult", "AssumeRoleResult"}) {
    result = child(root, name);
    if (result) break;
  }
  const pugi::xml_node c = child(result, "Credentials");
  if (!c) return failure("STS: response has no Credentials element");
  ResolvedCredentials rc;
  rc.credentials.access_key_id = text_at(c, "AccessKeyId");
  rc.credentials.secret_access_key = text_at(c, "SecretAccessKey");
  rc.credentials.session_token = text_at(c, "SessionToken");
  if (rc.credentials.empty()) return failure("STS: response lacks AccessKeyId or SecretAccessKey");
  const std::string exp = text_at(c, "Expiration");
  if (!exp.empty()) {
    if (auto t = parse_timestamp_text(exp)) rc.expiration = to_system_clock(*t);
    if (!rc.expiration) return failure("STS: unreadable Expiration \"" + exp + "\"");
  }
  CredentialsOutcome out;
  out.value = std::move(rc);
  return out;
}

CredentialsOutcome parse_json_credentials(std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) return failure("credentials document is not a JSON object");
  auto str = [&](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string code = str("Code");
  if (!code.empty() && code != "Success") return failure("credentials document has Code " + code);
  ResolvedCredentials rc;
  rc.credentials.access_key_id = str("AccessKeyId");
  rc.credentials.secret_access_key = str("SecretAccessKey");
  rc.credentials.session_token = str("Token");
  if (rc.credentials.empty()) {
    return failure("credentials document lacks AccessKeyId or SecretAccessKey");
  }
  const std::string exp = str("Expiration");
  if (!exp.empty()) {
    if (auto t = parse_timestamp_text(exp)) rc.expiration = to_system_clock(*t);
    if (!rc.expiration) return failure("unreadable Expiration \"" + exp + "\"");
  }
  CredentialsOutcome out;
  out.value = std::move(rc);
  return out;
}

// The walk over the providers for one refresh. Each step either skips (not configured, noting
// why) or settles the outcome: a provider that is configured but fails ends the walk with its
// error, as the SDKs do, so a broken IRSA set-up is not silently replaced by another identity.
struct CredentialChain::Impl : std::enable_shared_from_this<CredentialChain::Impl> {
  std::shared_ptr<CredentialChain> chain;
  Environment env;
  std::vector<std::string> skipped;  // why each unconfigured provider was passed over
  std::function<void(CredentialsOutcome)> done;

  std::optional<std::string> get(const std::string& name) const { return env(name); }

  void run() { step_environment(); }

  void settle(CredentialsOutcome out) { done(std::move(out)); }

  void step_environment() {
    auto id = get("AWS_ACCESS_KEY_ID");
    auto secret = get("AWS_SECRET_ACCESS_KEY");
    if (id && secret) {
      ResolvedCredentials rc;
      rc.credentials = {*id, *secret, get("AWS_SESSION_TOKEN").value_or("")};
      rc.source = "environment";
      CredentialsOutcome out;
      out.value = std::move(rc);
      return settle(std::move(out));
    }
    if (id || secret) {
      return settle(failure(std::string("environment: ") +
                            (id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                            " is not set while the other key is"));
    }
    skipped.push_back("environment: AWS_ACCESS_KEY_ID not set");
    step_web_identity();
  }

  void step_web_identity() {
    auto token_file = get("AWS_WEB_IDENTITY_TOKEN_FILE");
    auto role_arn = get("AWS_ROLE_ARN");
    if (!token_file || !role_arn) {
      skipped.push_back("web identity: AWS_WEB_IDENTITY_TOKEN_FILE/AWS_ROLE_ARN not set");
      return step_shared_files();
    }
    // Read again on every refresh: the kubelet rotates the projected token.
    auto jwt = read_whole_file(*token_file);
    if (!jwt || trim_space(*jwt).empty()) {
      return settle(failure("web identity: cannot read token file " + *token_file));
    }
    const auto& opts = chain->options_;
    const std::string region = resolve_region(env, opts.region);
    std::string endpoint = resolve_endpoint(env, opts.sts_endpoint, "STS", "sts",
                                            region.empty() ? "us-east-1" : region);
    if (region.empty() && opts.sts_endpoint.empty() && !get("AWS_ENDPOINT_URL_STS") &&
        !get("AWS_ENDPOINT_URL")) {
      endpoint = "https://sts.amazonaws.com";  // the global endpoint when no region is known
    }
    const std::string session =
        get("AWS_ROLE_SESSION_NAME")
            .value_or("luascale-" + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                                       chain->now().time_since_epoch())
                                                       .count()));
    net::HttpRequest req;
    req.method = "POST";
    req.url = endpoint;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                   {"Accept", "text/xml"}};
    req.body = encode_query({{"Action", "AssumeRoleWithWebIdentity"},
                             {"Version", "2011-06-15"},
                             {"RoleArn", *role_arn},
                             {"RoleSessionName", session},
                             {"WebIdentityToken", trim_space(*jwt)}});
    req.timeout = opts.sts_timeout;
    const std::string arn = *role_arn;
    auto self = shared_from_this();
    chain->http_->request(std::move(req), [self, arn, endpoint](net::HttpResult r) {
      const std::string where =
          "web identity (role " + arn + ", STS " + net::redact_url(endpoint) + "): ";
      if (!r.ok()) return self->settle(failure(where + r.error));
      if (r.status != 200) {
        if (auto e = parse_error_response(r.body)) {
          return self->settle(failure(where + e->code + ": " + e->message));
        }
        return self->settle(failure(where + "HTTP " + std::to_string(r.status)));
      }
      CredentialsOutcome out = parse_sts_credentials(r.body);
      if (!out.value) return self->settle(failure(where + out.error));
      out.value->source = "web identity (role " + arn + ")";
      self->settle(std::move(out));
    });
  }

  void step_shared_files() {
    const auto& opts = chain->options_;
    const std::string profile = opts.profile.empty() ? profile_name(env) : opts.profile;
    const std::string cred_path = credentials_file_path(env);
    const std::string config_path = config_file_path(env);
    for (const auto& [path, is_config] :
         {std::pair{cred_path, false}, std::pair{config_path, true}}) {
      auto p = load_profile(path, profile, is_config);
      if (!p) continue;
      auto id = p->find("aws_access_key_id");
      auto secret = p->find("aws_secret_access_key");
      if (id == p->end() && secret == p->end()) continue;
      if (id == p->end() || secret == p->end()) {
        return settle(failure("shared file " + path + ", profile " + profile +
                              ": aws_access_key_id and aws_secret_access_key must both be set"));
      }
      ResolvedCredentials rc;
      rc.credentials.access_key_id = id->second;
      rc.credentials.secret_access_key = secret->second;
      if (auto t = p->find("aws_session_token"); t != p->end()) {
        rc.credentials.session_token = t->second;
      }
      rc.source = std::string(is_config ? "shared config file " : "shared credentials file ") +
                  path + ", profile " + profile;
      CredentialsOutcome out;
      out.value = std::move(rc);
      return settle(std::move(out));
    }
    if (!opts.profile.empty() || get("AWS_PROFILE")) {
      // An explicitly chosen profile that yields nothing is a configuration error.
      return settle(
          failure("profile " + profile + " has no keys in " + cred_path + " or " + config_path));
    }
    skipped.push_back("shared files: no keys for profile " + profile);
    step_container();
  }

  void step_container() {
    auto relative = get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    auto full = get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!relative && !full) {
      skipped.push_back("container: AWS_CONTAINER_CREDENTIALS_*_URI not set");
      return step_imds();
    }
    net::HttpRequest req;
    req.url = relative ? "http://169.254.170.2" + *relative : *full;
    req.timeout = chain->options_.sts_timeout;
    if (auto token_file = get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
      auto token = read_whole_file(*token_file);
      if (!token) return settle(failure("container: cannot read token file " + *token_file));
      req.headers.emplace_back("Authorization", trim_space(*token));
    } else if (auto token = get("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
      req.headers.emplace_back("Authorization", *token);
    }
    const std::string shown = net::redact_url(req.url);
    auto self = shared_from_this();
    chain->http_->request(std::move(req), [self, shown](net::HttpResult r) {
      if (!r.ok() || r.status != 200) {
        return self->settle(
            failure("container credentials " + shown + ": " + describe_http_failure(r)));
      }
      CredentialsOutcome out = parse_json_credentials(r.body);
      if (!out.value)
        return self->settle(failure("container credentials " + shown + ": " + out.error));
      out.value->source = "container";
      self->settle(std::move(out));
    });
  }

  std::string imds_base() const {
    const auto& opts = chain->options_;
    std::string base =
        !opts.imds_endpoint.empty()
            ? opts.imds_endpoint
            : get("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }

  std::string no_credentials(const std::string& imds_error) const {
    std::string text = "no AWS credentials found (";
    for (const auto& s : skipped) text += s + "; ";
    text += "instance metadata: " + imds_error + ")";
    return text;
  }

  void step_imds() {
    if (env_flag(env, "AWS_EC2_METADATA_DISABLED")) {
      return settle(failure(no_credentials("disabled by AWS_EC2_METADATA_DISABLED")));
    }
    imds_with_token(/*retry_on_401=*/true);
  }

  // Obtains (or reuses) the IMDSv2 session token, then reads the role and its credentials.
  void imds_with_token(bool retry_on_401) {
    auto& c = *chain;
    if (!c.imds_token_.empty() && c.now() < c.imds_token_expiry_) {
      return imds_role(retry_on_401);
    }
    net::HttpRequest req;
    req.method = "PUT";
    req.url = imds_base() + "/latest/api/token";
    req.headers = {{"X-aws-ec2-metadata-token-ttl-seconds",
                    std::to_string(c.options_.imds_token_ttl.count())}};
    req.timeout = c.options_.imds_timeout;
    auto self = shared_from_this();
    c.http_->request(std::move(req), [self, retry_on_401](net::HttpResult r) {
      if (!r.ok() || r.status != 200 || trim_space(r.body).empty()) {
        return self->settle(
            failure(self->no_credentials("token request: " + describe_http_failure(r))));
      }
      auto& ch = *self->chain;
      ch.imds_token_ = trim_space(r.body);
      // Renew a minute before the server forgets it.
      ch.imds_token_expiry_ = ch.now() + ch.options_.imds_token_ttl - std::chrono::seconds(60);
      self->imds_role(retry_on_401);
    });
  }

  net::HttpRequest imds_get(const std::string& path) const {
    net::HttpRequest req;
    req.url = imds_base() + path;
    req.headers = {{"X-aws-ec2-metadata-token", chain->imds_token_}};
    req.timeout = chain->options_.imds_timeout;
    return req;
  }

  // A 401 means the session token expired: drop it and start over once.
  bool handle_401(const net::HttpResult& r, bool retry_on_401) {
    if (!r.ok() || r.status != 401) return false;
    chain->imds_token_.clear();
    if (retry_on_401) {
      imds_with_token(false);
    } else {
      settle(failure(no_credentials("HTTP 401 with a fresh token")));
    }
    return true;
  }

  void imds_role(bool retry_on_401) {
    auto self = shared_from_this();
    chain->http_->request(
        imds_get("/latest/meta-data/iam/security-credentials/"),
        [self, retry_on_401](net::HttpResult r) {
          if (self->handle_401(r, retry_on_401)) return;
          if (!r.ok() || r.status != 200) {
            return self->settle(failure(self->no_credentials(
                "role list: " + describe_http_failure(r) +
                (r.ok() && r.status == 404 ? " (no instance profile attached)" : ""))));
          }
          const std::string body = trim_space(r.body);
          const std::string role = trim_space(body.substr(0, body.find('\n')));
          if (role.empty()) {
            return self->settle(failure(self->no_credentials("no role in the instance profile")));
          }
          self->imds_credentials(role, retry_on_401);
        });
  }

  void imds_credentials(const std::string& role, bool retry_on_401) {
    auto self = shared_from_this();
    chain->http_->request(
        imds_get("/latest/meta-data/iam/security-credentials/" + net::percent_encode(role)),
        [self, role, retry_on_401](net::HttpResult r) {
          if (self->handle_401(r, retry_on_401)) return;
          if (!r.ok() || r.status != 200) {
            return self->settle(failure(self->no_credentials("credentials of role " + role + ": " +
                                                             describe_http_failure(r))));
          }
          CredentialsOutcome out = parse_json_credentials(r.body);
          if (!out.value) {
            return self->settle(failure("instance metadata (role " + role + "): " + out.error));
          }
          out.value->source = "instance metadata (role " + role + ")";
          self->settle(std::move(out));
        });
  }
};

std::shared_ptr<CredentialChain> CredentialChain::create(boost::asio::io_context& io,
                                                         std::shared_ptr<net::HttpClient> http,
                                                         CredentialChainOptions options) {
  return std::shared_ptr<CredentialChain>(
      new CredentialChain(io, std::move(http), std::move(options)));
}

CredentialChain::CredentialChain(boost::asio::io_context& io, std::shared_ptr<net::HttpClient> http,
                                 CredentialChainOptions options)
    : io_(io), http_(std::move(http)), options_(std::move(options)) {
  if (!options_.env) options_.env = process_environment();
}

Clock::time_point CredentialChain::now() const {
  return options_.now ? options_.now() : Clock::now();
}

void CredentialChain::get(CredentialsCallback done) {
  if (cached_ && (!cached_->expiration || now() < *cached_->expiration - options_.refresh_margin)) {
    CredentialsOutcome out;
    out.value = cached_;
    boost::asio::post(
        io_, [done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
    return;
  }
  waiting_.push_back(std::move(done));
  if (!refreshing_) refresh();
}

void CredentialChain::invalidate() {
  cached_.reset();
}

void CredentialChain::refresh() {
  refreshing_ = true;
  ++refreshes_;
  auto impl = std::make_shared<Impl>();
  impl->chain = shared_from_this();
  impl->env = options_.env;
  impl->done = [self = shared_from_this()](CredentialsOutcome out) {
    self->finish(std::move(out));
  };
  // Start from the io_context so get() never completes inside the caller.
  boost::asio::post(io_, [impl] { impl->run(); });
}

void CredentialChain::finish(CredentialsOutcome outcome) {
  refreshing_ = false;
  if (outcome.value) {
    cached_ = outcome.value;
  } else if (cached_ && cached_->expiration && now() < *cached_->expiration) {
    // The refresh failed but the current credentials are still valid: keep using them.
    outcome.value = cached_;
    outcome.error.clear();
  }
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) w(outcome);
}

}  // namespace luascale::aws
