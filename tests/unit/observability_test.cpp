// The parts of observability that need no server: the protobuf writer against
// the encoding guide's own examples, sampling, span nesting and bounds, the
// exporter's bounded queue, bounded labels, the thread context that follows
// work into helper threads, per-job CPU accounting and the log line format.
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/service_metrics.hpp"
#include "observability/metrics.hpp"
#include "observability/otlp_exporter.hpp"
#include "observability/protobuf_writer.hpp"
#include "observability/tracing.hpp"
#include "util/log.hpp"
#include "util/parallel.hpp"
#include "util/process.hpp"
#include "util/thread_context.hpp"

namespace st {
namespace {

using namespace std::chrono_literals;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// https://protobuf.dev/programming-guides/encoding/: "08 96 01" is field 1 = 150,
// "12 07 74 65 73 74 69 6e 67" field 2 = "testing".
TEST(ProtobufWriter, WritesTheEncodingGuidesExamples) {
  protobuf::Writer varint;
  varint.varint(1, 150);
  EXPECT_EQ(varint.bytes(), bytes({0x08, 0x96, 0x01}));
  protobuf::Writer text;
  text.bytes(2, "testing");
  EXPECT_EQ(text.bytes(), bytes({0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}));
  // A nested message is its bytes, length-delimited: the guide's "1a 03 08 96 01".
  protobuf::Writer outer;
  outer.bytes(3, varint.bytes());
  EXPECT_EQ(outer.bytes(), bytes({0x1a, 0x03, 0x08, 0x96, 0x01}));
}

TEST(ProtobufWriter, WritesNegativeIntegersAsTenByteVarintsAndFixedWidthsLittleEndian) {
  protobuf::Writer negative;
  negative.signed_varint(3, -1);
  EXPECT_EQ(negative.bytes(), bytes({0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  protobuf::Writer fixed;
  fixed.fixed64(7, 0x0102030405060708ULL);
  EXPECT_EQ(fixed.bytes(), bytes({0x39, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}));
  protobuf::Writer small;
  small.fixed32(16, 1);
  EXPECT_EQ(small.bytes(), bytes({0x85, 0x01, 0x01, 0x00, 0x00, 0x00}));  // field 16 needs a two-byte tag
  protobuf::Writer real;
  real.double_value(4, 1.0);
  EXPECT_EQ(real.bytes(), bytes({0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
}

// Keeps what it is given, for the tests.
class RecordingExporter final : public SpanExporter {
 public:
  void enqueue(SpanData span) noexcept override {
    std::lock_guard lock(mutex);
    spans.push_back(std::move(span));
  }
  std::mutex mutex;
  std::vector<SpanData> spans;
};

// Installs a tracer for the test's lifetime.
class TracerScope {
 public:
  explicit TracerScope(double ratio = 1.0) : tracer_(TracerOptions{.sample_ratio = ratio}, exporter) {
    install_tracer(&tracer_);
  }
  TracerScope(const TracerScope&) = delete;
  TracerScope& operator=(const TracerScope&) = delete;
  ~TracerScope() { install_tracer(nullptr); }
  RecordingExporter exporter;

 private:
  Tracer tracer_;
};

TEST(Tracing, SpansNestOnTheirThreadAndTheCurrentSpanIsRestored) {
  TracerScope scope;
  EXPECT_FALSE(this_thread_context().span.has_value());
  std::string outer_id;
  {
    Span outer("outer", SpanKind::kInternal);
    outer_id = outer.context().span_id;
    EXPECT_EQ(this_thread_context().span->span_id, outer_id);
    {
      Span inner("inner", SpanKind::kClient);
      EXPECT_EQ(inner.context().trace_id, outer.context().trace_id);
      EXPECT_EQ(this_thread_context().span->span_id, inner.context().span_id);
      // A detached span does not become current.
      const Span detached("detached", SpanKind::kProducer, inner.context(), Span::Detached{});
      EXPECT_EQ(this_thread_context().span->span_id, inner.context().span_id);
    }
    EXPECT_EQ(this_thread_context().span->span_id, outer_id);
  }
  EXPECT_FALSE(this_thread_context().span.has_value());
  ASSERT_EQ(scope.exporter.spans.size(), 3U);
  // Ended innermost first; each names its parent.
  EXPECT_EQ(scope.exporter.spans[0].name, "detached");
  EXPECT_EQ(scope.exporter.spans[1].name, "inner");
  EXPECT_EQ(scope.exporter.spans[1].parent_span_id, outer_id);
  EXPECT_EQ(scope.exporter.spans[0].parent_span_id, scope.exporter.spans[1].span_id);
  EXPECT_EQ(scope.exporter.spans[2].parent_span_id, "");
  EXPECT_LE(scope.exporter.spans[1].start_unix_nanos, scope.exporter.spans[1].end_unix_nanos);
}

TEST(Tracing, ARemoteParentIsContinuedAndItsSamplingDecisionFollowed) {
  TracerScope scope(/*ratio=*/0.0);  // new traces are never sampled
  const auto sampled = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const auto unsampled = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  {
    const Span child("child", SpanKind::kConsumer, sampled);
    EXPECT_TRUE(child.recording());
    EXPECT_TRUE(child.context().sampled);
    EXPECT_EQ(child.context().trace_id, "0af7651916cd43dd8448eb211c80319c");
  }
  {
    const Span child("child", SpanKind::kConsumer, unsampled);
    EXPECT_FALSE(child.recording());
    EXPECT_FALSE(child.context().sampled);
  }
  {
    const Span root("root", SpanKind::kServer, std::nullopt);
    EXPECT_FALSE(root.recording());
  }
  ASSERT_EQ(scope.exporter.spans.size(), 1U);
  EXPECT_EQ(scope.exporter.spans[0].parent_span_id, "b7ad6b7169203331");
}

TEST(Tracing, TheRatioSamplesThatShareOfNewTracesAlikeForOneTraceId) {
  const RecordingExporter exporter;
  const Tracer tracer(TracerOptions{.sample_ratio = 0.25}, const_cast<RecordingExporter&>(exporter));
  int sampled = 0;
  constexpr int kTraces = 20000;
  for (int i = 0; i < kTraces; ++i) {
    const auto id = child_span(std::nullopt).trace_id;
    const bool first = tracer.sampled(std::nullopt, id);
    EXPECT_EQ(first, tracer.sampled(std::nullopt, id));
    sampled += first ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(sampled) / kTraces, 0.25, 0.02);
}

TEST(Tracing, WithoutATracerSpansRecordNothingAndTheContextPassesThrough) {
  const auto parent = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const Span span("span", SpanKind::kInternal, parent);
  EXPECT_FALSE(span.recording());
  EXPECT_TRUE(span.context().sampled);
  EXPECT_EQ(span.context().trace_id, parent->trace_id);
  EXPECT_NE(span.context().span_id, parent->span_id);
}

TEST(Tracing, AttributesAreBoundedAndValidUtf8) {
  TracerScope scope;
  {
    Span span("bounded", SpanKind::kInternal);
    span.set("long", std::string(5000, 'x'));
    span.set("invalid", std::string("a\xff\xfe"));
    for (int i = 0; i < 100; ++i) span.set("number", static_cast<std::int64_t>(i));
    span.set_error(std::string(5000, 'e'));
  }
  ASSERT_EQ(scope.exporter.spans.size(), 1U);
  const auto& s = scope.exporter.spans[0];
  EXPECT_EQ(s.attributes.size(), 32U);
  EXPECT_EQ(std::get<std::string>(s.attributes[0].second).size(), 1024U);
  EXPECT_EQ(std::get<std::string>(s.attributes[1].second).find('\xff'), std::string::npos);
  EXPECT_TRUE(s.error);
  EXPECT_EQ(s.status_message.size(), 1024U);
}

TEST(OtlpExporter, ASpanBeyondTheQueueIsDroppedAndCountedNeverWaitedFor) {
  const auto started = std::chrono::steady_clock::now();
  {
    // Port 9 on loopback: nothing listens, the export fails at once.
    OtlpHttpExporter exporter({.endpoint = "http://127.0.0.1:9",
                               .max_queue = 2,
                               .max_batch = 100,
                               .interval = std::chrono::milliseconds(60000),
                               .timeout = std::chrono::milliseconds(500),
                               .resource = {}});
    EXPECT_EQ(exporter.url(), "http://127.0.0.1:9/v1/traces");
    for (int i = 0; i < 5; ++i) {
      exporter.enqueue(SpanData{.trace_id = std::string(32, 'a'), .span_id = std::string(16, 'b'), .name = "s"});
    }
    EXPECT_EQ(exporter.stats().dropped, 3U);
    EXPECT_EQ(exporter.stats().queued, 2U);
  }  // stopping sends the last batch, which fails quickly
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(OtlpExporter, EncodesTheResourceScopeAndSpanFieldsItWasGiven) {
  const auto body =
      encode_export_request({{"service.name", "svc"}}, {SpanData{.trace_id = "0af7651916cd43dd8448eb211c80319c",
                                                                 .span_id = "b7ad6b7169203331",
                                                                 .name = "step encode",
                                                                 .kind = SpanKind::kInternal,
                                                                 .start_unix_nanos = 1,
                                                                 .end_unix_nanos = 2,
                                                                 .attributes = {{"st.step", std::string("encode")}}}});
  // The ids as 16 and 8 raw bytes (Span fields 1 and 2), the name as text (field 5).
  EXPECT_NE(body.find(bytes({0x0a, 0x10, 0x0a, 0xf7, 0x65, 0x19})), std::string::npos);
  EXPECT_NE(body.find(bytes({0x12, 0x08, 0xb7, 0xad, 0x6b, 0x71})), std::string::npos);
  EXPECT_NE(body.find("\x2a\x0bstep encode"), std::string::npos);
  EXPECT_NE(body.find("service.name"), std::string::npos);
  EXPECT_NE(body.find("stream-transcoding"), std::string::npos);  // the instrumentation scope
}

TEST(BoundedLabel, KeepsTheFirstValuesAndCallsTheRestOther) {
  BoundedLabel label(2);
  EXPECT_EQ(label("a"), "a");
  EXPECT_EQ(label("b"), "b");
  EXPECT_EQ(label("c"), "other");
  EXPECT_EQ(label("a"), "a");
  EXPECT_EQ(label(""), "none");
}

TEST(Metrics, ExposesRoutesMethodsAndStatusClassesWithBoundedValues) {
  Metrics metrics({.version = "1.2.3", .role = "all"});
  metrics.http_request("/v1/jobs/{id}", "GET", 200, 0.003);
  metrics.http_request("unmatched", "BREW", 404, 0.001);
  metrics.s3_request("PutObject", 503, 0.2, 100, 0);
  metrics.s3_request("GetObject", 0, 1.0, 0, 0);
  const auto text = metrics.exposition();
  EXPECT_NE(text.find(R"(st_build_info{role="all",version="1.2.3"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(st_http_requests_total{method="GET",route="/v1/jobs/{id}",status="200"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(method="OTHER")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(st_s3_requests_total{operation="PutObject",status="5xx"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(st_s3_requests_total{operation="GetObject",status="error"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(st_s3_bytes_total{direction="sent",operation="PutObject"} 100)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(st_http_request_duration_seconds_bucket{method="GET",route="/v1/jobs/{id}",le="0.005"} 1)"),
            std::string::npos)
      << text;
}

TEST(Metrics, QueueDepthOfTenantsPastTheBoundIsSummedIntoOneOtherSeries) {
  Metrics metrics({.version = "1", .role = "all"});
  std::vector<QueueDepth> depths;
  for (int t = 0; t < 250; ++t) {
    depths.push_back({.status = "queued", .tenant_id = fmt::format("tenant-{}", t), .jobs = 2});
    depths.push_back({.status = "running", .tenant_id = fmt::format("tenant-{}", t), .jobs = 1});
  }
  const auto samples = queue_depth_samples(depths, metrics);
  std::set<MetricLabels> distinct;
  double queued = 0;
  double other_queued = 0;
  for (const auto& [labels, value] : samples) {
    distinct.insert(labels);
    if (labels.at(0).second == "queued") queued += value;
    if (labels.at(0).second == "queued" && labels.at(1).second == "other") other_queued = value;
  }
  EXPECT_EQ(distinct.size(), samples.size());  // no label set twice: a valid exposition
  EXPECT_EQ(samples.size(), 2U * 201U);        // 200 tenants and "other", per status
  EXPECT_EQ(queued, 500.0);                    // nothing lost
  EXPECT_EQ(other_queued, 100.0);              // the 50 tenants past the bound
}

TEST(ThreadContext, HelperThreadsOfParallelForWorkInTheCallersContext) {
  auto cpu = std::make_shared<CpuAccount>();
  const ThreadContextScope scope(ThreadContext{
      .log = {.job_id = "job-1", .video_id = "v", .tenant_id = "t"}, .span = child_span(std::nullopt), .cpu = cpu});
  const auto caller = ThreadContext::current();
  std::mutex mutex;
  std::set<std::thread::id> threads;
  auto done = parallel_for(8, 4, [&](std::size_t) -> Result<void> {
    const auto& here = this_thread_context();
    EXPECT_EQ(here.log.job_id, "job-1");
    EXPECT_EQ(here.span->span_id, caller.span->span_id);
    EXPECT_EQ(here.cpu.get(), cpu.get());
    std::lock_guard lock(mutex);
    threads.insert(std::this_thread::get_id());
    std::this_thread::sleep_for(20ms);
    return {};
  });
  ASSERT_TRUE(done);
  EXPECT_GT(threads.size(), 1U);
}

TEST(CpuAccount, EachChildIsChargedToTheAccountOfTheThreadThatRanIt) {
  const std::vector<std::string> busy = {"sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"};
  auto mine = std::make_shared<CpuAccount>();
  ProcessResult result;
  {
    const ThreadContextScope scope(ThreadContext{.log = {}, .span = std::nullopt, .cpu = mine});
    auto run = run_captured({.argv = busy}, 1024);
    ASSERT_TRUE(run.has_value());
    result = run->result;
  }
  EXPECT_GT(mine->seconds(), 0.05);
  // Both sides add microseconds as doubles, in another order: a microsecond of rounding.
  EXPECT_NEAR(mine->seconds(), result.user_cpu_seconds + result.system_cpu_seconds, 2e-6);
  // Another thread's child, without an account, is charged to nobody.
  std::thread([&] { ASSERT_TRUE(run_captured({.argv = busy}, 1024).has_value()); }).join();
  EXPECT_NEAR(mine->seconds(), result.user_cpu_seconds + result.system_cpu_seconds, 2e-6);
}

TEST(Logging, JsonLinesCarryTheJobAndSpanAndSayWarn) {
  configure_logging("debug", "json");
  ::testing::internal::CaptureStdout();
  {
    const ThreadContextScope scope(
        ThreadContext{.log = {.job_id = "job-7", .video_id = "vid", .tenant_id = "acme"},
                      .span = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
                      .cpu = nullptr});
    spdlog::warn("careful");
    log_foreign(spdlog::level::err, "librdkafka", "FAIL", "broker down");
  }
  spdlog::info("outside");
  const auto out = ::testing::internal::GetCapturedStdout();
  configure_logging("info", "text");
  std::vector<nlohmann::json> lines;
  std::istringstream stream(out);
  for (std::string line; std::getline(stream, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3U) << out;
  EXPECT_EQ(lines[0].at("level"), "warn");
  EXPECT_EQ(lines[0].at("job_id"), "job-7");
  EXPECT_EQ(lines[0].at("tenant_id"), "acme");
  EXPECT_EQ(lines[0].at("trace_id"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(lines[0].at("span_id"), "b7ad6b7169203331");
  EXPECT_EQ(lines[1].at("level"), "error");
  EXPECT_EQ(lines[1].at("source"), "librdkafka");
  EXPECT_EQ(lines[1].at("facility"), "FAIL");
  EXPECT_EQ(lines[1].at("message"), "broker down");
  EXPECT_FALSE(lines[2].contains("job_id"));
  EXPECT_FALSE(lines[2].contains("source"));
}

}  // namespace
}  // namespace st
