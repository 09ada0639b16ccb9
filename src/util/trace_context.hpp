// W3C Trace Context (https://www.w3.org/TR/trace-context/) for messages: the
// `traceparent` an event arrived with is carried through the job to the event
// that announces its outcome, as a child span of the same trace.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace st {

struct TraceParent {
  std::string trace_id;  // 32 lowercase hex digits, not all zero
  std::string span_id;   // 16 lowercase hex digits, not all zero
  bool sampled = false;

  // Version 00: "00-{trace_id}-{span_id}-{flags}".
  [[nodiscard]] std::string to_string() const;
};

// nullopt for anything that is not a valid version-00 header (the spec says to
// start a new trace then, not to fail the message).
std::optional<TraceParent> parse_traceparent(std::string_view header);

// A new span of `parent`'s trace, or of a new trace when there is no parent.
TraceParent child_span(const std::optional<TraceParent>& parent);

}  // namespace st
