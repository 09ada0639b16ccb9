// Spans of the W3C trace that an upload event arrives with (or that a
// request or job starts): the consumed message, the job from claim to
// outcome, each pipeline step, each S3 request, the outbox publish and each
// HTTP request. Attributes follow OpenTelemetry's semantic conventions.
//
// A Span is a scope: while it lives it is its thread's current span (the
// parent of the spans started beneath it, and the trace_id/span_id of the
// thread's log lines), and when it ends it is handed, if sampled, to the
// exporter of the process's Tracer. Like the logger, the tracer is one per
// process, installed by the composition root (install_tracer): spans are
// started deep inside components (an S3 part upload) that should not carry
// it through every signature. Without a tracer, spans still make ids, so
// the trace context passes through unchanged (the event's traceparent), and
// nothing is recorded.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "util/trace_context.hpp"

namespace st {

// OTLP's numbering.
enum class SpanKind { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };

using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;
// Keys are string literals (semantic-convention names): held as views, never copied.
using Attributes = std::vector<std::pair<std::string_view, AttributeValue>>;

// A finished span, as exported.
struct SpanData {
  std::string trace_id;        // 32 hex digits
  std::string span_id;         // 16 hex digits
  std::string parent_span_id;  // empty for a root
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::uint64_t start_unix_nanos = 0;
  std::uint64_t end_unix_nanos = 0;
  Attributes attributes;
  bool error = false;
  std::string status_message;
};

// Takes finished spans without ever blocking the caller.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  virtual void enqueue(SpanData span) noexcept = 0;
};

struct TracerOptions {
  // Parent-based: a span with a parent follows the parent's sampled flag; a
  // root is sampled with this probability (0 to 1), decided by its trace id.
  double sample_ratio = 1.0;
};

class Tracer {
 public:
  Tracer(TracerOptions options, SpanExporter& exporter) : options_(options), exporter_(exporter) {}
  // The decision for a span whose parent (if any) is `parent`, in trace `trace_id`.
  [[nodiscard]] bool sampled(const std::optional<TraceParent>& parent, std::string_view trace_id) const;
  void record(SpanData span) const noexcept { exporter_.enqueue(std::move(span)); }

 private:
  TracerOptions options_;
  SpanExporter& exporter_;
};

// Installs the process's tracer (null: none). Not for concurrent use with
// spans: set before the service starts and cleared after it stopped.
void install_tracer(const Tracer* tracer);

class Span {
 public:
  // A child of this thread's current span, or a root when there is none.
  Span(std::string name, SpanKind kind);
  // A child of `parent` (a remote parent: a message's or request's
  // traceparent), or a root when it is nullopt.
  Span(std::string name, SpanKind kind, const std::optional<TraceParent>& parent);
  // A span that does not become its thread's current one: several of these
  // may be open at once on one thread and end in any order (a batch of
  // messages sent together).
  struct Detached {};
  Span(std::string name, SpanKind kind, const std::optional<TraceParent>& parent, Detached);
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  Span(Span&&) = delete;
  Span& operator=(Span&&) = delete;
  // Ends the span and makes the previous span current again.
  ~Span();

  // `key` must be a string literal (it is kept as a view).
  void set(std::string_view key, AttributeValue value);
  void set_error(std::string message);
  // This span as a parent, for a message or request that leaves the process.
  [[nodiscard]] const TraceParent& context() const { return context_; }
  [[nodiscard]] bool recording() const { return recording_; }

 private:
  TraceParent context_;
  std::optional<TraceParent> previous_;  // the thread's current span before this one
  bool current_ = true;                  // false for a detached span
  bool recording_ = false;
  SpanData data_;
};

std::uint64_t unix_nanos_now();

}  // namespace st
