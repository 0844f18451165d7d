// adapters/sources/sqs/sqs_source.cpp — the "sqs" source: options, one GetQueueAttributes per
// fetch, the sum of the requested counts as the sample.
#include "adapters/sources/sqs/sqs_source.hpp"

#include <boost/asio/io_context.hpp>

#include <map>
#include <set>

#include "adapters/common/aws_options.hpp"
#include "adapters/common/http_support.hpp"
#include "adapters/net/aws/aws_env.hpp"
#include "adapters/sources/sqs/sqs_api.hpp"

namespace luascale::sqs {

namespace {

const aws::ServiceId kSqs{"SQS", "sqs", "sqs", "", "AmazonSQS"};

class SqsSource final : public Source {
 public:
  SqsSource(boost::asio::io_context& io, std::shared_ptr<aws::QueryClient> client,
            std::string queue_url, std::vector<std::string> attributes, std::string what,
            std::string setup_error)
      : io_(io),
        client_(std::move(client)),
        body_(get_queue_attributes_body(queue_url, attributes)),
        attributes_(std::move(attributes)),
        what_(std::move(what)),
        setup_error_(std::move(setup_error)) {}

  void fetch(std::function<void(SampleOutcome)> done) override {
    if (!setup_error_.empty())
      return adapters::post_setup_error(io_, what_ + ": " + setup_error_, std::move(done));
    client_->call_json(
        "GetQueueAttributes", body_,
        [what = what_, attrs = attributes_, done = std::move(done)](aws::QueryOutcome q) {
          SampleOutcome out;
          if (!q.ok()) {
            out.error = what + ": " + q.error;
            return done(std::move(out));
          }
          std::map<std::string, double> counts;
          std::string error;
          if (!parse_queue_attributes(q.body, &counts, &error)) {
            out.error = what + ": " + error;
            return done(std::move(out));
          }
          double sum = 0;
          for (const auto& a : attrs) {
            auto it = counts.find(a);
            if (it == counts.end()) {
              out.error = what + ": the answer has no " + a;
              return done(std::move(out));
            }
            sum += it->second;
          }
          out.sample = Sample{adapters::sample_value(sum), adapters::unix_now()};
          done(std::move(out));
        });
  }

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<aws::QueryClient> client_;
  std::string body_;
  std::vector<std::string> attributes_;
  std::string what_;
  std::string setup_error_;
};

std::unique_ptr<Source> make_sqs_source(AdapterContext& ctx, const SignalSpec& spec) {
  adapters::Options opt(spec.options, "sqs", ctx.config_dir);
  aws::ServiceSettings settings = adapters::aws_settings(opt, spec.timeout_seconds);
  settings.endpoint = opt.string("endpoint").value_or("");
  std::string queue_url = opt.string("queue_url").value_or("");
  const auto queue = opt.string("queue");
  const auto account = opt.string("account");
  if (queue_url.empty() == !queue) {
    opt.fail("queue_url", "give either queue_url or queue (with account)");
  }
  if (queue_url.empty()) {
    if (!account || account->empty()) opt.fail("account", "required with queue");
  } else if (settings.region.empty()) {
    settings.region = region_of_queue_url(queue_url);  // the URL names its region
  }
  std::vector<std::string> attributes;
  static const std::set<std::string> kCounts = {"ApproximateNumberOfMessages",
                                                "ApproximateNumberOfMessagesNotVisible",
                                                "ApproximateNumberOfMessagesDelayed"};
  if (const Value* a = spec.options.find("attributes"); a && !a->is_null()) {
    if (a->is_string()) {
      attributes.push_back(a->as_string());
    } else if (a->is_array() && !a->as_array().empty()) {
      for (const Value& v : a->as_array()) {
        if (!v.is_string()) opt.fail("attributes", "must be attribute names");
        attributes.push_back(v.as_string());
      }
    } else {
      opt.fail("attributes", "must be a name or a non-empty list of names");
    }
    for (const auto& n : attributes)
      if (!kCounts.count(n))
        opt.fail("attributes",
                 "\"" + n +
                     "\" is not one of ApproximateNumberOfMessages, "
                     "ApproximateNumberOfMessagesNotVisible, ApproximateNumberOfMessagesDelayed");
  } else {
    attributes.push_back("ApproximateNumberOfMessages");
  }
  std::string error;
  auto client = aws::make_service_client(ctx.io, adapters::shared_http_client(ctx.io, opt.tls()),
                                         kSqs, settings, &error);
  if (queue_url.empty() && client) {
    // The queue URL the endpoint serves: <endpoint>/<account>/<queue>.
    std::string base = client->options().endpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    queue_url = base + "/" + *account + "/" + *queue;
  }
  const std::string what = "sqs " + (queue ? *queue : queue_url);
  return std::make_unique<SqsSource>(ctx.io, std::move(client), queue_url, std::move(attributes),
                                     what, error);
}

}  // namespace

SourceFactory sqs_source_factory() {
  return {"sqs",
          adapters::concat_keys(
              {
                  {"queue_url", "string", false, "the queue URL"},
                  {"queue", "string", false, "the queue name (with account), instead of the URL"},
                  {"account", "string", false, "the queue's AWS account id (with queue)"},
                  {"attributes", "array", false,
                   "ApproximateNumberOfMessages (default), ...NotVisible, ...Delayed; several are "
                   "summed"},
                  {"endpoint", "string", false,
                   "endpoint URL; default AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, regional"},
              },
              adapters::aws_source_keys()),
          &make_sqs_source};
}

}  // namespace luascale::sqs
