#include "util/trace_context.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

// The example of the W3C Trace Context recommendation, section 3.2.2.
constexpr const char* kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, ParsesTheSpecificationsExample) {
  const auto parent = parse_traceparent(kExample);
  ASSERT_TRUE(parent.has_value());
  EXPECT_EQ(parent->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parent->span_id, "00f067aa0ba902b7");
  EXPECT_TRUE(parent->sampled);
  EXPECT_EQ(parent->to_string(), kExample);
}

TEST(TraceContext, RejectsWhatTheSpecificationCallsInvalid) {
  EXPECT_FALSE(parse_traceparent(""));
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"));
  EXPECT_FALSE(parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));  // all-zero trace
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));  // all-zero span
  EXPECT_FALSE(parse_traceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));  // upper case
  EXPECT_FALSE(parse_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));  // version ff
  EXPECT_FALSE(parse_traceparent("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContext, AChildSpanKeepsTheTraceAndSamplingWithANewSpanId) {
  const auto parent = parse_traceparent(kExample);
  const auto child = child_span(parent);
  EXPECT_EQ(child.trace_id, parent->trace_id);
  EXPECT_EQ(child.sampled, parent->sampled);
  EXPECT_NE(child.span_id, parent->span_id);
  EXPECT_TRUE(parse_traceparent(child.to_string()).has_value());
}

TEST(TraceContext, WithoutAParentANewValidTraceStarts) {
  const auto a = child_span(std::nullopt);
  const auto b = child_span(std::nullopt);
  EXPECT_TRUE(parse_traceparent(a.to_string()).has_value());
  EXPECT_NE(a.trace_id, b.trace_id);
}

}  // namespace
}  // namespace st
