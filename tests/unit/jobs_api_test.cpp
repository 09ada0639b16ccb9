// POST /v1/jobs bodies as an attacker writes them: every one is refused with a
// message naming the field, and nothing throws or recurses.
#include "http/jobs_api.hpp"
#include "jobs/job_reports.hpp"

#include <gtest/gtest.h>

#include <string>

namespace st {
namespace {

JobsApiOptions file_store_options() {
  return {.default_max_attempts = 3, .sources = {.uses_buckets = false}, .max_body_bytes = 1 << 20};
}

std::string error_of(const std::string& body, const JobsApiOptions& options = file_store_options()) {
  auto job = parse_new_job(body, options);
  return job ? std::string("accepted") : job.error().message;
}

TEST(JobsApi, AcceptsAValidJobWithAKey) {
  auto job = parse_new_job(
      R"({"tenantId":"acme","videoId":"v1","source":{"key":"masters/v1.mp4","size":1024,"checksum":"sha256:abc="},
          "profiles":["360p"],"priority":5,"maxAttempts":2})",
      file_store_options());
  ASSERT_TRUE(job.has_value()) << job.error().message;
  EXPECT_EQ(job->source.key, "masters/v1.mp4");
  EXPECT_EQ(job->source.size_bytes, 1024);
  EXPECT_EQ(job->priority, 5);
  EXPECT_EQ(job->max_attempts, 2);
}

TEST(JobsApi, AcceptsSidecarSubtitlesAndNamesTheBadOnes) {
  auto job = parse_new_job(
      R"({"videoId":"v1","source":{"key":"masters/v1.mp4"},
          "subtitles":[{"key":"masters/v1.fr.srt","language":"fr"},{"key":"masters/v1.en.vtt","language":"en-GB","kind":"caption"}]})",
      file_store_options());
  ASSERT_TRUE(job.has_value()) << job.error().message;
  ASSERT_EQ(job->subtitles.size(), 2U);
  EXPECT_EQ(job->subtitles[1].language, "en-GB");
  EXPECT_EQ(job->subtitles[1].kind, SubtitleKind::kCaption);
  const auto error = error_of(
      R"({"videoId":"v1","source":{"key":"m.mp4"},"subtitles":[{"key":"../x.srt","language":"fr"},{"key":"y.srt","language":"zz"}]})");
  EXPECT_NE(error.find("subtitles[0].key must be a relative object key"), std::string::npos) << error;
  EXPECT_NE(error.find("subtitles[1].language"), std::string::npos) << error;
  EXPECT_NE(error_of(R"({"videoId":"v1","source":{"key":"m.mp4"},"subtitles":{"key":"x.srt"}})").find("subtitles"),
            std::string::npos);
}

TEST(JobsApi, RefusesLocalPathsAndKeysThatLeaveTheSourceRoot) {
  EXPECT_NE(error_of(R"({"tenantId":"a","videoId":"v","source":{"path":"/etc/shadow"}})")
                .find("source.path is not "
                      "accepted"),
            std::string::npos);
  for (const auto* key : {"../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "a\\\\b", "./a"}) {
    const auto body = std::string(R"({"tenantId":"a","videoId":"v","source":{"key":")") + key + "\"}}";
    EXPECT_NE(error_of(body).find("source.key must be a relative object key"), std::string::npos) << key;
  }
}

TEST(JobsApi, RefusesBucketsOutsideTheAllowList) {
  auto options = file_store_options();
  options.sources = {.uses_buckets = true, .allowed_buckets = {"uploads"}};
  EXPECT_EQ(error_of(R"({"tenantId":"a","videoId":"v","source":{"bucket":"uploads","key":"k.mp4"}})", options),
            "accepted");
  EXPECT_NE(error_of(R"({"tenantId":"a","videoId":"v","source":{"bucket":"secrets","key":"k.mp4"}})", options)
                .find("source.bucket 'secrets' is not one this service reads"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"tenantId":"a","videoId":"v","source":{"bucket":"evil.com/x?","key":"k.mp4"}})", options)
                .find("source.bucket is not a valid S3 bucket name"),
            std::string::npos);
}

TEST(JobsApi, RefusesDeepNestingBeforeParsing) {
  const auto body = R"({"tenantId":"a","videoId":"v","x":)" + std::string(100000, '[');
  EXPECT_NE(error_of(body).find("nested deeper than 32 levels"), std::string::npos);
}

TEST(JobsApi, RefusesNumbersThatDoNotFitAndStringsWhereNumbersBelong) {
  const auto with_size = [](const std::string& size) {
    return R"({"tenantId":"a","videoId":"v","source":{"key":"k.mp4","size":)" + size + "}}";
  };
  for (const auto* size : {"18446744073709551616", "18446744073709551615", "1e300", "-1", "0", "\"12\"", "1.5"}) {
    EXPECT_NE(error_of(with_size(size)).find("source.size must be an integer between 1 and"), std::string::npos)
        << size;
  }
  EXPECT_NE(error_of(R"({"tenantId":"a","videoId":"v","source":{"key":"k"},"maxAttempts":1e300})")
                .find("maxAttempts must be an integer between 1 and 100"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"tenantId":7,"videoId":"v","source":{"key":"k"}})").find("tenantId must be a string"),
            std::string::npos);
}

TEST(JobsApi, ClampsPriorityToItsDocumentedRange) {
  for (const auto& [given, expected] :
       {std::pair{"9223372036854775807", kMaxPriority}, {"-9223372036854775808", kMinPriority}, {"7", 7}}) {
    auto job =
        parse_new_job(std::string(R"({"tenantId":"a","videoId":"v","source":{"key":"k"},"priority":)") + given + "}",
                      file_store_options());
    ASSERT_TRUE(job.has_value()) << job.error().message;
    EXPECT_EQ(job->priority, expected);
  }
  EXPECT_NE(error_of(R"({"tenantId":"a","videoId":"v","source":{"key":"k"},"priority":18446744073709551616})")
                .find("priority must be an integer"),
            std::string::npos);
}

TEST(JobsApi, RefusesInvalidUtf8AndControlCharacters) {
  EXPECT_NE(error_of("{\"tenantId\":\"a\xFF\",\"videoId\":\"v\",\"source\":{\"key\":\"k\"}}").find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"tenantId":"a","videoId":"v","sourceVersion":"v\u0000","source":{"key":"k"}})")
                .find("sourceVersion must not contain control characters"),
            std::string::npos);
}

TEST(JobsApi, RefusesOverlongStringsNamingTheField) {
  const auto body =
      R"({"tenantId":"a","videoId":"v","source":{"key":"k","checksum":"sha256:)" + std::string(3000, 'a') + "\"}}";
  EXPECT_NE(error_of(body).find("source.checksum must be at most 128 bytes long"), std::string::npos);
}

TEST(Router, TurnsAnInvalidUtf8PathIntoAValidProblem) {
  Router router;
  const auto response = router.dispatch({.method = "GET", .path = "/\xFF\xFE"});
  EXPECT_EQ(response.status, 404);
  EXPECT_NE(response.body.find("/\xEF\xBF\xBD\xEF\xBF\xBD"), std::string::npos) << response.body;
  EXPECT_FALSE(nlohmann::json::parse(response.body, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace st

namespace st {
namespace {

TEST(ReportRange, TakesUtcDatesAndTimesWithEveryFieldInRange) {
  EXPECT_TRUE(parse_report_range("2026-11-01", "2026-12-01"));
  EXPECT_TRUE(parse_report_range("2026-11-01T08:00:00Z", "2026-11-01T08:00:01Z"));
  EXPECT_TRUE(parse_report_range("2024-02-29", "2024-03-01"));  // a leap day
  for (const auto* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-11-01T24:00:00Z",
                          "2026-11-01T08:60:00Z", "2026-11-01T08:00:00+01:00", "2026-11-01 08:00:00", "26-11-01",
                          "1969-12-31", "yesterday", "", "2026-11-01T08:00:00.5Z", "２０２６-11-01"}) {
    const auto range = parse_report_range(bad, "2027-01-01");
    ASSERT_FALSE(range) << bad;
    EXPECT_EQ(range.error().code, ErrorCode::kUsage);
  }
  EXPECT_FALSE(parse_report_range("2026-12-01", "2026-12-01"));            // empty
  EXPECT_FALSE(parse_report_range("2026-12-01T00:00:01Z", "2026-12-01"));  // backwards across forms
  EXPECT_FALSE(parse_report_range(std::string(100000, '2'), "2026-12-01"));
}

TEST(JobFactsCsv, QuotesWhatRfc4180Needs) {
  JobFacts row{.job_id = "j", .tenant_id = "t", .status = "failed", .error_code = "a,\"b\"\n"};
  row.psnr = 41.256;
  const auto line = to_csv_line(row);
  EXPECT_NE(line.find(",\"a,\"\"b\"\"\n\","), std::string::npos) << line;
  EXPECT_NE(line.find(",41.256,"), std::string::npos) << line;
  EXPECT_TRUE(line.ends_with("\r\n"));
  // As many fields as the header names.
  const auto header = facts_csv_header();
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), 17);
  const auto empty = to_csv_line(JobFacts{});
  EXPECT_EQ(std::count(empty.begin(), empty.end(), ','), 17);
}

}  // namespace
}  // namespace st
