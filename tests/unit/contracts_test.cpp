#include "messaging/contracts.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace st {
namespace {

using nlohmann::json;

json valid_event() {
  return json::parse(R"({
    "videoId": "vid-42", "tenantId": "acme",
    "source": {"bucket": "uploads", "key": "acme/vid-42/master.mov", "sizeBytes": 1048576,
               "contentType": "video/quicktime", "checksum": "sha256:q1w2e3"},
    "uploadedAt": "2026-11-25T10:00:00.123Z",
    "profiles": ["1080p", "720p"],
    "metadata": {"title": "Launch", "language": "en-US"}
  })");
}

std::string violation(json event) {
  auto parsed = parse_video_uploaded(event.dump());
  EXPECT_FALSE(parsed.has_value());
  return parsed ? std::string() : parsed.error().message;
}

TEST(VideoUploaded, ParsesAPlainCamelCaseMessage) {
  const auto event = parse_video_uploaded(valid_event().dump());
  ASSERT_TRUE(event.has_value()) << event.error().message;
  EXPECT_EQ(event->video_id, "vid-42");
  EXPECT_EQ(event->tenant_id, "acme");
  EXPECT_EQ(event->source.bucket, "uploads");
  EXPECT_EQ(event->source.key, "acme/vid-42/master.mov");
  EXPECT_EQ(event->source.size_bytes, 1048576);
  EXPECT_EQ(event->content_type, "video/quicktime");
  EXPECT_EQ(event->profiles, (std::vector<std::string>{"1080p", "720p"}));
  EXPECT_EQ(event->title, "Launch");
  EXPECT_EQ(event->language, "en-US");
  // The same upload redelivered has the same version: its checksum.
  EXPECT_EQ(event->source_version, "sha256:q1w2e3");
}

TEST(VideoUploaded, AcceptsAMassTransitEnvelope) {
  const json envelope = {{"messageId", "0f6e"},
                         {"messageType", {"urn:message:VideoService.Contracts:VideoUploaded"}},
                         {"message", valid_event()}};
  const auto event = parse_video_uploaded(envelope.dump());
  ASSERT_TRUE(event.has_value()) << event.error().message;
  EXPECT_EQ(event->video_id, "vid-42");
}

TEST(VideoUploaded, WithoutChecksumTheUploadTimeIsTheVersion) {
  auto e = valid_event();
  e["source"].erase("checksum");
  const auto event = parse_video_uploaded(e.dump());
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->source_version, "2026-11-25T10:00:00.123Z");
}

TEST(VideoUploaded, AllowsUnknownPropertiesForForwardCompatibility) {
  auto e = valid_event();
  e["newField"] = 1;
  EXPECT_TRUE(parse_video_uploaded(e.dump()).has_value());
}

TEST(VideoUploaded, RejectsWhatIsNotJson) {
  const auto event = parse_video_uploaded("{not json");
  ASSERT_FALSE(event.has_value());
  EXPECT_EQ(event.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(event.error().message, "the message is not JSON");
  EXPECT_FALSE(parse_video_uploaded("[1,2]").has_value());
}

TEST(VideoUploaded, NamesMissingFields) {
  auto e = valid_event();
  e.erase("tenantId");
  EXPECT_NE(violation(e).find("tenantId"), std::string::npos);
}

TEST(VideoUploaded, RejectsIdsAndKeysThatCouldEscapeATenantsPrefix) {
  auto e = valid_event();
  e["videoId"] = "../other";
  EXPECT_NE(violation(e).find("/videoId"), std::string::npos);
  e = valid_event();
  e["tenantId"] = "a..b";
  EXPECT_NE(violation(e).find("/tenantId"), std::string::npos);
  e = valid_event();
  e["source"]["key"] = "acme/../../etc/passwd";
  EXPECT_NE(violation(e).find("/source/key"), std::string::npos);
  e = valid_event();
  e["source"]["key"] = "/etc/passwd";
  EXPECT_NE(violation(e).find("/source/key"), std::string::npos);
}

// The attacks of issue 8: each is refused, with a reason, before anything
// recurses per character or per level.
TEST(VideoUploaded, RefusesAHugeChecksumWithoutRecursingPerCharacter) {
  auto e = valid_event();
  e["source"]["checksum"] = "sha256:" + std::string(200000, 'a');
  const auto event = parse_video_uploaded(e.dump(), {.max_bytes = 1 << 20});
  ASSERT_FALSE(event.has_value());
  EXPECT_NE(event.error().message.find("longer than the limit"), std::string::npos) << event.error().message;
  // Just below the bound, the schema's maxLength (checked by RE2 and valijson) still refuses it.
  e["source"]["checksum"] = "sha256:" + std::string(4000, 'a');
  EXPECT_NE(parse_video_uploaded(e.dump()).error().message.find("/source/checksum"), std::string::npos);
}

TEST(VideoUploaded, RefusesDeepNestingLargeValuesAndInvalidUtf8) {
  EXPECT_NE(parse_video_uploaded(std::string(60000, '[')).error().message.find("nested deeper"), std::string::npos);
  EXPECT_NE(parse_video_uploaded(std::string(1000000, ' ')).error().message.find("more than the limit of 65536"),
            std::string::npos);
  auto text = valid_event().dump();
  text.replace(text.find("acme"), 4,
               "ac\xFF"
               "e");
  EXPECT_NE(parse_video_uploaded(text).error().message.find("not valid UTF-8"), std::string::npos);
}

TEST(VideoUploaded, RefusesControlCharactersInTheSourceVersionAndKey) {
  auto e = valid_event();
  e["sourceVersion"] = std::string("v1\0", 3);
  EXPECT_NE(parse_video_uploaded(e.dump()).error().message.find("/sourceVersion"), std::string::npos);
  e = valid_event();
  e["source"]["key"] = "masters/a\nb.mp4";
  EXPECT_NE(parse_video_uploaded(e.dump()).error().message.find("/source/key"), std::string::npos);
}

TEST(VideoUploaded, RefusesSizesBeyondWhatFitsAnInteger) {
  for (const auto* size : {"1e300", "18446744073709551616", "9007199254740992"}) {
    auto text = valid_event().dump();
    const auto at = text.find("\"sizeBytes\":") + 12;
    text.replace(at, text.find_first_of(",}", at) - at, size);
    EXPECT_NE(parse_video_uploaded(text).error().message.find("/source/sizeBytes"), std::string::npos) << size;
  }
}

TEST(VideoUploaded, RejectsImpossibleSources) {
  auto e = valid_event();
  e["source"]["sizeBytes"] = 0;
  EXPECT_NE(violation(e).find("/source/sizeBytes"), std::string::npos);
  e = valid_event();
  e["source"]["contentType"] = "text/plain";
  EXPECT_NE(violation(e).find("/source/contentType"), std::string::npos);
  e = valid_event();
  e["profiles"] = {"8K"};
  EXPECT_NE(violation(e).find("/profiles"), std::string::npos);
  e = valid_event();
  e["uploadedAt"] = "yesterday";
  EXPECT_NE(violation(e).find("/uploadedAt"), std::string::npos);
}

TEST(VideoUploaded, CarriesSidecarSubtitlesIntoTheJob) {
  auto e = valid_event();
  e["subtitles"] = json::parse(R"([{"key": "acme/vid-42/fr.srt", "language": "fr"},
                                   {"key": "acme/vid-42/en.vtt", "language": "en", "kind": "caption"}])");
  const auto event = parse_video_uploaded(e.dump());
  ASSERT_TRUE(event.has_value()) << event.error().message;
  const auto job = to_new_job(*event, 3);
  ASSERT_EQ(job.subtitles.size(), 2U);
  EXPECT_EQ(job.subtitles[0].key, "acme/vid-42/fr.srt");
  EXPECT_EQ(job.subtitles[1].kind, SubtitleKind::kCaption);
}

TEST(VideoUploaded, RefusesSidecarsItCannotUse) {
  auto e = valid_event();
  e["subtitles"] = json::parse(R"([{"key": "../../etc/passwd", "language": "fr"}])");
  EXPECT_NE(violation(e).find("/subtitles/0/key"), std::string::npos);
  e["subtitles"] = json::parse(R"([{"key": "fr.srt", "language": "fr", "kind": "karaoke"}])");
  EXPECT_NE(violation(e).find("/subtitles/0/kind"), std::string::npos);
  e["subtitles"] = json::parse(R"([{"key": "fr.srt"}])");
  EXPECT_NE(violation(e).find("/subtitles/0"), std::string::npos);
  // Well formed, but no language the table knows: refused by the same rules as the API's.
  e["subtitles"] = json::parse(R"([{"key": "fr.srt", "language": "qqq"}])");
  EXPECT_NE(violation(e).find("subtitles[0].language is not a known ISO 639 language"), std::string::npos);
  e["subtitles"] = json::array();
  for (int i = 0; i < 17; ++i) e["subtitles"].push_back({{"key", "s" + std::to_string(i)}, {"language", "en"}});
  EXPECT_NE(violation(e).find("/subtitles"), std::string::npos);
}

TEST(VideoUploaded, BecomesAJobOfItsTenant) {
  const auto event = parse_video_uploaded(valid_event().dump());
  ASSERT_TRUE(event.has_value());
  const auto job = to_new_job(*event, 5);
  EXPECT_EQ(job.tenant_id, "acme");
  EXPECT_EQ(job.video_id, "vid-42");
  EXPECT_EQ(job.source_version, "sha256:q1w2e3");
  EXPECT_EQ(job.source.bucket, "uploads");
  EXPECT_EQ(job.max_attempts, 5);
}

}  // namespace
}  // namespace st

namespace st {
namespace {

Job finished_job(JobStatus status) {
  Job job;
  job.id = "062e4ff2-c6ab-41f8-9a05-e0806ea8adb6";
  job.spec.tenant_id = "acme";
  job.spec.video_id = "vid-42";
  job.spec.source_version = "sha256:q1w2e3";
  job.status = status;
  job.attempt = 1;
  job.created_at = "2026-11-25T10:00:00.000000Z";
  job.started_at = "2026-11-25T10:00:01.000000Z";
  job.finished_at = "2026-11-25T10:00:31.000000Z";
  return job;
}

TEST(VideoTranscoded, ASucceededJobNamesItsOutputsByKey) {
  auto job = finished_job(JobStatus::kSucceeded);
  job.outcome = outcome_from_json(json::parse(R"({"bucket": "outputs",
    "outputPrefix": "acme/vid-42/062e4ff2-c6ab-41f8-9a05-e0806ea8adb6/",
    "masterPlaylistKey": "acme/vid-42/062e4ff2-c6ab-41f8-9a05-e0806ea8adb6/master.m3u8",
    "dashManifestKey": "acme/vid-42/062e4ff2-c6ab-41f8-9a05-e0806ea8adb6/manifest.mpd",
    "durationSeconds": 30.0, "posterKey": "acme/vid-42/062e4ff2-c6ab-41f8-9a05-e0806ea8adb6/thumbnails/poster.jpg",
    "renditions": [{"name": "720p", "width": 1280, "height": 720, "frameRate": 30, "codecs": "avc1.64001f,mp4a.40.2",
                    "averageBitRate": 2900000, "peakBitRate": 3400000, "sizeBytes": 10875000}],
    "audio": [{"name": "aac-stereo-und", "codecs": "mp4a.40.2", "language": "und", "role": "main", "default": true, "channels": 2, "averageBitRate": 128000, "sizeBytes": 480000}]})"))
                    .value();
  const auto text = video_transcoded_json(job);
  ASSERT_TRUE(validate_contract("video-transcoded", text).has_value())
      << validate_contract("video-transcoded", text).error().message;
  const auto event = json::parse(text);
  EXPECT_EQ(event["status"], "succeeded");
  EXPECT_EQ(event["bucket"], "outputs");
  EXPECT_EQ(event["masterPlaylistKey"], "acme/vid-42/062e4ff2-c6ab-41f8-9a05-e0806ea8adb6/master.m3u8");
  EXPECT_EQ(event["dashManifestKey"], "acme/vid-42/062e4ff2-c6ab-41f8-9a05-e0806ea8adb6/manifest.mpd");
  EXPECT_EQ(event["renditions"][0]["peakBitRate"], 3400000);
  EXPECT_EQ(event["thumbnails"]["posterKey"], "acme/vid-42/062e4ff2-c6ab-41f8-9a05-e0806ea8adb6/thumbnails/poster.jpg");
  EXPECT_EQ(event["timings"]["finishedAt"], "2026-11-25T10:00:31.000000Z");
  EXPECT_FALSE(event.contains("failure"));
}

TEST(VideoTranscoded, AFailedJobSaysWhyAndThatRetryingCannotHelp) {
  auto job = finished_job(JobStatus::kFailed);
  job.error_code = "invalid_input";
  job.error_message = "master.mov is not a video: it has no video stream";
  const auto text = video_transcoded_json(job);
  ASSERT_TRUE(validate_contract("video-transcoded", text).has_value());
  const auto event = json::parse(text);
  EXPECT_EQ(event["status"], "failed");
  EXPECT_EQ(event["failure"]["code"], "invalid_input");
  EXPECT_EQ(event["failure"]["retryable"], false);
  EXPECT_FALSE(event.contains("masterPlaylistKey"));
}

TEST(VideoTranscoded, ADeadJobIsAFailureThatARetryMayFix) {
  auto job = finished_job(JobStatus::kDead);
  job.attempt = 3;
  job.error_code = "unavailable";
  job.error_message = "the object store did not answer";
  const auto event = json::parse(video_transcoded_json(job));
  EXPECT_EQ(event["status"], "failed");
  EXPECT_EQ(event["attempts"], 3);
  EXPECT_EQ(event["failure"]["retryable"], true);
}

TEST(VideoTranscoded, TheSchemaRefusesASuccessWithoutOutputs) {
  const auto violations = validate_contract(
      "video-transcoded",
      R"({"videoId":"v","tenantId":"t","jobId":"062e4ff2-c6ab-41f8-9a05-e0806ea8adb6","sourceVersion":"",
          "status":"succeeded","attempts":1,"timings":{"createdAt":"x"}})");
  ASSERT_FALSE(violations.has_value());
  EXPECT_NE(violations.error().message.find("masterPlaylistKey"), std::string::npos) << violations.error().message;
}

}  // namespace
}  // namespace st
