// Exports finished spans with OTLP over HTTP in protobuf
// (https://opentelemetry.io/docs/specs/otlp/#otlphttp) to a collector.
//
// Jobs never wait on it: enqueue() puts a span in a bounded queue and
// returns; when the queue is full the span is dropped and counted. One
// thread sends batches (at most `max_batch` spans, at least every
// `interval`), each POST bounded by `timeout`; a batch the collector refuses
// or does not take in time is dropped and counted, never retried in a loop.
// Stopping ends the request in flight and sends what is queued: at most two
// timeouts.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "observability/tracing.hpp"

namespace st {

struct OtlpExporterOptions {
  // The collector's base URL ("http://collector:4318"): spans go to
  // {endpoint}/v1/traces, as OTEL_EXPORTER_OTLP_ENDPOINT means; a URL that
  // already ends in /v1/traces is used as it is.
  std::string endpoint;
  std::size_t max_queue = 4096;
  std::size_t max_batch = 512;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{2000};
  // Resource attributes: service.name, service.version, service.instance.id, ...
  std::vector<std::pair<std::string, std::string>> resource;
};

// The ExportTraceServiceRequest message of these spans (opentelemetry-proto's
// collector/trace/v1), in protobuf.
std::string encode_export_request(const std::vector<std::pair<std::string, std::string>>& resource,
                                  const std::vector<SpanData>& spans);

struct OtlpExporterStats {
  std::uint64_t exported = 0;        // spans the collector took
  std::uint64_t dropped = 0;         // spans dropped: queue full, or their batch failed
  std::uint64_t failed_batches = 0;  // POSTs that failed
  std::size_t queued = 0;
  bool last_export_failed = false;
  std::string last_error;
};

class OtlpHttpExporter final : public SpanExporter {
 public:
  explicit OtlpHttpExporter(OtlpExporterOptions options);
  OtlpHttpExporter(const OtlpHttpExporter&) = delete;
  OtlpHttpExporter& operator=(const OtlpHttpExporter&) = delete;
  // Sends what is queued and stops (at most two timeouts).
  ~OtlpHttpExporter() override;

  void enqueue(SpanData span) noexcept override;
  [[nodiscard]] OtlpExporterStats stats() const;
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  void run(const std::stop_token& stop);
  void send(const std::vector<SpanData>& batch);

  OtlpExporterOptions options_;
  std::string url_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<SpanData> queue_;
  OtlpExporterStats stats_;
  std::jthread thread_;
};

}  // namespace st
