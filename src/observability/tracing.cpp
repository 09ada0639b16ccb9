#include "observability/tracing.hpp"

#include <atomic>
#include <cmath>
#include <limits>

#include "util/thread_context.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

std::atomic<const Tracer*> process_tracer{nullptr};

constexpr std::size_t kMaxAttributes = 32;
constexpr std::size_t kMaxValueBytes = 1024;

// The last 16 hex digits of a trace id as a number: W3C's random trace ids
// make them uniform, so comparing them with ratio * 2^64 samples that share
// of traces, and every service deciding this way decides alike.
std::uint64_t trace_id_low_bits(std::string_view trace_id) {
  std::uint64_t value = 0;
  for (const char c : trace_id.substr(trace_id.size() >= 16 ? trace_id.size() - 16 : 0)) {
    value = (value << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return value;
}

}  // namespace

std::uint64_t unix_nanos_now() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

bool Tracer::sampled(const std::optional<TraceParent>& parent, std::string_view trace_id) const {
  if (parent) return parent->sampled;
  if (options_.sample_ratio >= 1.0) return true;
  if (options_.sample_ratio <= 0.0) return false;
  const auto threshold = static_cast<double>(std::numeric_limits<std::uint64_t>::max()) * options_.sample_ratio;
  return static_cast<double>(trace_id_low_bits(trace_id)) < threshold;
}

void install_tracer(const Tracer* tracer) {
  process_tracer.store(tracer);
}

Span::Span(std::string name, SpanKind kind) : Span(std::move(name), kind, this_thread_context().span) {}

Span::Span(std::string name, SpanKind kind, const std::optional<TraceParent>& parent)
    : context_(child_span(parent)), previous_(this_thread_context().span) {
  const auto* tracer = process_tracer.load();
  context_.sampled = tracer != nullptr ? tracer->sampled(parent, context_.trace_id) : (parent && parent->sampled);
  recording_ = tracer != nullptr && context_.sampled;
  if (recording_) {
    data_.trace_id = context_.trace_id;
    data_.span_id = context_.span_id;
    if (parent) data_.parent_span_id = parent->span_id;
    data_.name = std::move(name);
    data_.kind = kind;
    data_.attributes.reserve(8);
    data_.start_unix_nanos = unix_nanos_now();
  }
  this_thread_context().span = context_;
}

Span::Span(std::string name, SpanKind kind, const std::optional<TraceParent>& parent, Detached /*detached*/)
    : Span(std::move(name), kind, parent) {
  this_thread_context().span = std::exchange(previous_, std::nullopt);
  current_ = false;
}

Span::~Span() {
  if (current_) this_thread_context().span = previous_;
  if (!recording_) return;
  const auto* tracer = process_tracer.load();
  if (tracer == nullptr) return;
  data_.end_unix_nanos = std::max(unix_nanos_now(), data_.start_unix_nanos);
  tracer->record(std::move(data_));
}

void Span::set(std::string_view key, AttributeValue value) {
  if (!recording_ || data_.attributes.size() >= kMaxAttributes) return;
  // Values may come from outside (an object key, a path): bounded and valid
  // UTF-8, as OTLP's string fields must be.
  if (auto* text = std::get_if<std::string>(&value)) {
    if (text->size() > kMaxValueBytes) text->resize(kMaxValueBytes);
    if (!is_valid_utf8(*text)) *text = to_valid_utf8(*text);
  }
  data_.attributes.emplace_back(key, std::move(value));
}

void Span::set_error(std::string message) {
  if (!recording_) return;
  data_.error = true;
  if (message.size() > kMaxValueBytes) message.resize(kMaxValueBytes);
  data_.status_message = is_valid_utf8(message) ? std::move(message) : to_valid_utf8(message);
}

}  // namespace st
