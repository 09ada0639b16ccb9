#include "observability/otlp_exporter.hpp"

#include <curl/curl.h>

#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "observability/protobuf_writer.hpp"

namespace st {
namespace {

// Field numbers of opentelemetry-proto (common/v1, resource/v1, trace/v1,
// collector/trace/v1).
namespace field {
constexpr int kResourceSpans = 1;  // ExportTraceServiceRequest
constexpr int kResource = 1;       // ResourceSpans
constexpr int kScopeSpans = 2;
constexpr int kResourceAttributes = 1;  // Resource
constexpr int kScope = 1;               // ScopeSpans
constexpr int kSpans = 2;
constexpr int kScopeName = 1;  // InstrumentationScope
constexpr int kScopeVersion = 2;
constexpr int kTraceId = 1;  // Span
constexpr int kSpanId = 2;
constexpr int kParentSpanId = 4;
constexpr int kName = 5;
constexpr int kKind = 6;
constexpr int kStartTime = 7;
constexpr int kEndTime = 8;
constexpr int kAttributes = 9;
constexpr int kStatus = 15;
constexpr int kFlags = 16;
constexpr int kStatusMessage = 2;  // Status
constexpr int kStatusCode = 3;
constexpr int kKey = 1;  // KeyValue
constexpr int kValue = 2;
constexpr int kStringValue = 1;  // AnyValue
constexpr int kBoolValue = 2;
constexpr int kIntValue = 3;
constexpr int kDoubleValue = 4;
}  // namespace field

constexpr int kStatusError = 2;
constexpr std::uint32_t kSampledFlag = 1;  // W3C trace flags, in Span.flags

std::string hex_to_bytes(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  }
  return out;
}

std::string key_value(std::string_view key, const AttributeValue& value) {
  protobuf::Writer any;
  if (const auto* s = std::get_if<std::string>(&value)) any.bytes(field::kStringValue, *s);
  if (const auto* i = std::get_if<std::int64_t>(&value)) any.signed_varint(field::kIntValue, *i);
  if (const auto* d = std::get_if<double>(&value)) any.double_value(field::kDoubleValue, *d);
  if (const auto* b = std::get_if<bool>(&value)) any.boolean(field::kBoolValue, *b);
  protobuf::Writer kv;
  kv.bytes(field::kKey, key);
  kv.bytes(field::kValue, any.bytes());
  return kv.take();
}

std::string encode_span(const SpanData& s) {
  protobuf::Writer span;
  span.bytes(field::kTraceId, hex_to_bytes(s.trace_id));
  span.bytes(field::kSpanId, hex_to_bytes(s.span_id));
  if (!s.parent_span_id.empty()) span.bytes(field::kParentSpanId, hex_to_bytes(s.parent_span_id));
  span.bytes(field::kName, s.name);
  span.varint(field::kKind, static_cast<std::uint64_t>(s.kind));
  span.fixed64(field::kStartTime, s.start_unix_nanos);
  span.fixed64(field::kEndTime, s.end_unix_nanos);
  for (const auto& [key, value] : s.attributes) span.bytes(field::kAttributes, key_value(key, value));
  if (s.error) {
    protobuf::Writer status;
    if (!s.status_message.empty()) status.bytes(field::kStatusMessage, s.status_message);
    status.varint(field::kStatusCode, kStatusError);
    span.bytes(field::kStatus, status.bytes());
  }
  span.fixed32(field::kFlags, kSampledFlag);
  return span.take();
}

std::size_t discard_body(char* /*data*/, std::size_t size, std::size_t count, void* /*user*/) {
  return size * count;
}

}  // namespace

std::string encode_export_request(const std::vector<std::pair<std::string, std::string>>& resource,
                                  const std::vector<SpanData>& spans) {
  protobuf::Writer resource_message;
  for (const auto& [key, value] : resource) {
    resource_message.bytes(field::kResourceAttributes, key_value(key, value));
  }
  protobuf::Writer scope;
  scope.bytes(field::kScopeName, "stream-transcoding");
  scope.bytes(field::kScopeVersion, ST_VERSION);
  protobuf::Writer scope_spans;
  scope_spans.bytes(field::kScope, scope.bytes());
  for (const auto& s : spans) scope_spans.bytes(field::kSpans, encode_span(s));
  protobuf::Writer resource_spans;
  resource_spans.bytes(field::kResource, resource_message.bytes());
  resource_spans.bytes(field::kScopeSpans, scope_spans.bytes());
  protobuf::Writer request;
  request.bytes(field::kResourceSpans, resource_spans.bytes());
  return request.take();
}

OtlpHttpExporter::OtlpHttpExporter(OtlpExporterOptions options) : options_(std::move(options)) {
  url_ = options_.endpoint;
  if (!url_.ends_with("/v1/traces")) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    url_ += "/v1/traces";
  }
  thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
}

OtlpHttpExporter::~OtlpHttpExporter() {
  thread_.request_stop();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OtlpHttpExporter::enqueue(SpanData span) noexcept {
  try {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queue) {
      ++stats_.dropped;
      return;
    }
    queue_.push_back(std::move(span));
    if (queue_.size() >= options_.max_batch) wake_.notify_one();
  } catch (...) {
    // Out of memory: the span is lost, the job goes on.
  }
}

OtlpExporterStats OtlpHttpExporter::stats() const {
  std::lock_guard lock(mutex_);
  auto copy = stats_;
  copy.queued = queue_.size();
  return copy;
}

void OtlpHttpExporter::run(const std::stop_token& stop) {
  while (true) {
    std::vector<SpanData> batch;
    bool stopping = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, stop, options_.interval, [this] { return queue_.size() >= options_.max_batch; });
      stopping = stop.stop_requested();
      // On stop, one last batch: what is queued beyond it is dropped (and counted).
      const auto n = std::min(queue_.size(), stopping ? options_.max_queue : options_.max_batch);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!batch.empty()) send(batch);
    if (stopping) return;
  }
}

void OtlpHttpExporter::send(const std::vector<SpanData>& batch) {
  std::string error;
  try {
    const auto body = encode_export_request(options_.resource, batch);
    const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) throw std::runtime_error("cannot start libcurl");
    const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
        curl_slist_append(nullptr, "Content-Type: application/x-protobuf"), &curl_slist_free_all);
    curl_easy_setopt(curl.get(), CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, discard_body);
    const auto code = curl_easy_perform(curl.get());
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) {
      error = fmt::format("{}: {}", url_, curl_easy_strerror(code));
    } else if (status < 200 || status >= 300) {
      error = fmt::format("{} answered {}", url_, status);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard lock(mutex_);
  if (error.empty()) {
    stats_.exported += batch.size();
    stats_.last_export_failed = false;
    return;
  }
  // Logged once per change from working to failing, not per batch.
  if (!stats_.last_export_failed) spdlog::warn("traces cannot be exported ({}); spans are dropped meanwhile", error);
  stats_.dropped += batch.size();
  ++stats_.failed_batches;
  stats_.last_export_failed = true;
  stats_.last_error = std::move(error);
}

}  // namespace st
