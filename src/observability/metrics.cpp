#include "observability/metrics.hpp"

#include <array>
#include <sstream>

#include <fmt/format.h>
#include <prometheus/text_serializer.h>

namespace st {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries kHttpBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const prometheus::Histogram::BucketBoundaries kStepBuckets{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
const prometheus::Histogram::BucketBoundaries kJobBuckets{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400};
const prometheus::Histogram::BucketBoundaries kSpeedBuckets{0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10};
const prometheus::Histogram::BucketBoundaries kS3Buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

// Methods a client may send are many; the label knows these.
std::string method_label(std::string_view method) {
  constexpr std::array<std::string_view, 7> kKnown{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (const auto known : kKnown) {
    if (method == known) return std::string(known);
  }
  return "OTHER";
}

}  // namespace

std::string BoundedLabel::operator()(std::string_view value) {
  if (value.empty()) return "none";
  std::lock_guard lock(mutex_);
  if (seen_.contains(value)) return std::string(value);
  if (seen_.size() >= limit_) return "other";
  seen_.emplace(value);
  return std::string(value);
}

Metrics::Metrics(const BuildInfo& build)
    : registry_(std::make_shared<prometheus::Registry>()),
      http_requests_(BuildCounter()
                         .Name("st_http_requests_total")
                         .Help("HTTP requests answered, by route pattern, method and status.")
                         .Register(*registry_)),
      http_duration_(BuildHistogram()
                         .Name("st_http_request_duration_seconds")
                         .Help("Time from a request's arrival to its response, by route pattern and method.")
                         .Register(*registry_)),
      job_attempts_(
          BuildCounter()
              .Name("st_job_attempts_total")
              .Help("Job attempts that ended, by tenant and outcome (succeeded, retried, failed, dead, cancelled, "
                    "released, lost).")
              .Register(*registry_)),
      job_duration_(BuildHistogram()
                        .Name("st_job_attempt_duration_seconds")
                        .Help("Time from a job's claim to its outcome, by outcome.")
                        .Register(*registry_)),
      step_duration_(BuildHistogram()
                         .Name("st_pipeline_step_duration_seconds")
                         .Help("Wall time of each step of a job (fetch, probe, plan, encode, sprites, package, "
                               "thumbnails, publish).")
                         .Register(*registry_)),
      cpu_seconds_(BuildCounter()
                       .Name("st_ffmpeg_cpu_seconds_total")
                       .Help("CPU time of the jobs' own child processes (ffprobe, ffmpeg, the packager), by tenant.")
                       .Register(*registry_)),
      output_seconds_(BuildCounter()
                          .Name("st_output_media_seconds_total")
                          .Help("Seconds of media produced by succeeded jobs, by tenant.")
                          .Register(*registry_)),
      encode_speed_(BuildHistogram()
                        .Name("st_encode_speed_ratio")
                        .Help("Seconds of media encoded per second of wall time (x realtime), per succeeded job.")
                        .Register(*registry_)),
      s3_requests_(BuildCounter()
                       .Name("st_s3_requests_total")
                       .Help("S3 requests, by operation and status class (2xx, 3xx, 4xx, 5xx, or error without "
                             "an answer).")
                       .Register(*registry_)),
      s3_bytes_(BuildCounter()
                    .Name("st_s3_bytes_total")
                    .Help("Bytes of S3 request and response bodies, by operation and direction (sent, received).")
                    .Register(*registry_)),
      s3_duration_(BuildHistogram()
                       .Name("st_s3_request_duration_seconds")
                       .Help("Time of one S3 request, by operation.")
                       .Register(*registry_)),
      s3_retries_(BuildCounter()
                      .Name("st_s3_retries_total")
                      .Help("S3 requests sent again after a transient failure, by operation.")
                      .Register(*registry_)) {
  BuildGauge()
      .Name("st_build_info")
      .Help("The running build: always 1, with the version and role as labels.")
      .Register(*registry_)
      .Add({{"version", build.version}, {"role", build.role}})
      .Set(1);
}

void Metrics::add_collector(std::shared_ptr<prometheus::Collectable> collector) {
  std::lock_guard lock(collectors_mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Metrics::exposition() const {
  auto families = registry_->Collect();
  {
    std::lock_guard lock(collectors_mutex_);
    for (const auto& collector : collectors_) {
      auto more = collector->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

void Metrics::http_request(std::string_view route, std::string_view method, int status, double seconds) {
  const auto m = method_label(method);
  http_requests_.Add({{"route", std::string(route)}, {"method", m}, {"status", std::to_string(status)}}).Increment();
  http_duration_.Add({{"route", std::string(route)}, {"method", m}}, kHttpBuckets).Observe(seconds);
}

void Metrics::job_attempt_ended(std::string_view tenant, std::string_view outcome, double seconds) {
  job_attempts_.Add({{"tenant", tenants_(tenant)}, {"outcome", std::string(outcome)}}).Increment();
  job_duration_.Add({{"outcome", std::string(outcome)}}, kJobBuckets).Observe(seconds);
}

void Metrics::step_finished(std::string_view step, double seconds) {
  step_duration_.Add({{"step", std::string(step)}}, kStepBuckets).Observe(seconds);
}

void Metrics::job_cpu(std::string_view tenant, double cpu_seconds) {
  cpu_seconds_.Add({{"tenant", tenants_(tenant)}}).Increment(cpu_seconds);
}

void Metrics::job_output(std::string_view tenant, double output_seconds, double encode_speed) {
  output_seconds_.Add({{"tenant", tenants_(tenant)}}).Increment(output_seconds);
  if (encode_speed > 0) encode_speed_.Add({}, kSpeedBuckets).Observe(encode_speed);
}

void Metrics::s3_request(std::string_view operation, int status, double seconds, std::uint64_t bytes_sent,
                         std::uint64_t bytes_received) {
  const std::string op(operation);
  const auto status_class = status >= 100 && status < 600 ? fmt::format("{}xx", status / 100) : std::string("error");
  s3_requests_.Add({{"operation", op}, {"status", status_class}}).Increment();
  s3_duration_.Add({{"operation", op}}, kS3Buckets).Observe(seconds);
  if (bytes_sent > 0)
    s3_bytes_.Add({{"operation", op}, {"direction", "sent"}}).Increment(static_cast<double>(bytes_sent));
  if (bytes_received > 0) {
    s3_bytes_.Add({{"operation", op}, {"direction", "received"}}).Increment(static_cast<double>(bytes_received));
  }
}

void Metrics::s3_retry(std::string_view operation) {
  s3_retries_.Add({{"operation", std::string(operation)}}).Increment();
}

}  // namespace st
