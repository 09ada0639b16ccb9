// The service's Prometheus metrics: one registry, built in the composition
// root and handed to the components that record into it (a null Metrics* is
// "not measured": the `transcode` command, unit tests).
//
// Label values stay bounded: routes are patterns ("/v1/jobs/{id}"), methods
// and operations come from fixed lists, and tenants (named by tokens and
// events, so from outside) pass through a BoundedLabel that keeps the first
// few hundred and calls the rest "other". No job or video id is ever a label.
// The metric names, their meaning and the alerts on them: docs/operations.md.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace st {

// A label fed by outside values, with at most `limit` distinct values. Thread-safe.
class BoundedLabel {
 public:
  explicit BoundedLabel(std::size_t limit) : limit_(limit) {}
  // The value itself, "other" once `limit` others were seen, "none" for an empty one.
  std::string operator()(std::string_view value);

 private:
  std::size_t limit_;
  std::mutex mutex_;
  std::set<std::string, std::less<>> seen_;
};

struct BuildInfo {
  std::string version;
  std::string role;  // all, api or worker
};

class Metrics {
 public:
  explicit Metrics(const BuildInfo& build);
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Registry& registry() { return *registry_; }
  // Families read at scrape time (queue depth, pools, the Kafka counters).
  // Added while starting, before the first scrape can ask.
  void add_collector(std::shared_ptr<prometheus::Collectable> collector);
  // The text exposition format (version 0.0.4) of everything registered.
  [[nodiscard]] std::string exposition() const;
  // A tenant as a label value (bounded: see BoundedLabel).
  std::string tenant_label(std::string_view tenant) { return tenants_(tenant); }

  // The HTTP server: `route` is the matched pattern, or "unmatched".
  void http_request(std::string_view route, std::string_view method, int status, double seconds);

  // Workers. `outcome`: succeeded, retried, failed, dead, cancelled, released, lost.
  void job_attempt_ended(std::string_view tenant, std::string_view outcome, double seconds);
  void step_finished(std::string_view step, double seconds);
  // A job's cost, whatever its outcome: its children's CPU time.
  void job_cpu(std::string_view tenant, double cpu_seconds);
  // A succeeded job's output: its seconds of media and its encode speed (x realtime).
  void job_output(std::string_view tenant, double output_seconds, double encode_speed);

  // S3: `operation` is the API's name (GetObject, UploadPart, ...: ours, a
  // fixed set); `status` the HTTP status, 0 when no answer came.
  void s3_request(std::string_view operation, int status, double seconds, std::uint64_t bytes_sent,
                  std::uint64_t bytes_received);
  void s3_retry(std::string_view operation);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::mutex collectors_mutex_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectors_;
  BoundedLabel tenants_{200};
  prometheus::Family<prometheus::Counter>& http_requests_;
  prometheus::Family<prometheus::Histogram>& http_duration_;
  prometheus::Family<prometheus::Counter>& job_attempts_;
  prometheus::Family<prometheus::Histogram>& job_duration_;
  prometheus::Family<prometheus::Histogram>& step_duration_;
  prometheus::Family<prometheus::Counter>& cpu_seconds_;
  prometheus::Family<prometheus::Counter>& output_seconds_;
  prometheus::Family<prometheus::Histogram>& encode_speed_;
  prometheus::Family<prometheus::Counter>& s3_requests_;
  prometheus::Family<prometheus::Counter>& s3_bytes_;
  prometheus::Family<prometheus::Histogram>& s3_duration_;
  prometheus::Family<prometheus::Counter>& s3_retries_;
};

}  // namespace st
