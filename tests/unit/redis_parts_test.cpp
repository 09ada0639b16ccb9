// The pure parts of the Redis work: URLs, the progress model and its ETA, the
// cached job record, the server-sent event stream and the configuration.
#include <gtest/gtest.h>

#include "app/config.hpp"
#include "http/job_events.hpp"
#include "jobs/job_progress.hpp"
#include "jobs/job_state_cache.hpp"
#include "redis/redis_connection.hpp"

namespace st {
namespace {

using namespace std::chrono_literals;

TEST(RedisUrl, ReadsHostPortDatabaseCredentialsAndTls) {
  auto plain = parse_redis_url("redis://cache.internal:6380/2");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(plain->host, "cache.internal");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_EQ(plain->database, 2);
  EXPECT_FALSE(plain->tls);
  auto secure = parse_redis_url("rediss://app:p%40ss%3Aword@[::1]");
  ASSERT_TRUE(secure) << secure.error().message;
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->host, "::1");
  EXPECT_EQ(secure->port, 6379);
  EXPECT_EQ(secure->username, "app");
  EXPECT_EQ(secure->password, "p@ss:word");
  EXPECT_EQ(parse_redis_url("redis://:only-password@h")->password, "only-password");
}

TEST(RedisUrl, RefusesWhatIsNotARedisUrlAndNeverQuotesThePassword) {
  for (const auto* bad :
       {"http://h:6379", "redis://", "redis://h:0", "redis://h:65536", "redis://h:12ab", "redis://h/16", "redis://h/x",
        "redis://h?ssl=true", "redis://h\x01", "redis://[::1", "redis://h h", "redis://\xc3\xa9"}) {
    EXPECT_FALSE(parse_redis_url(bad)) << bad;
  }
  EXPECT_FALSE(parse_redis_url("redis://h" + std::string(3000, 'a')));
  auto refused = parse_redis_url("redis://:hunter2@h:99999");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos);
}

TEST(RedisConfig, ValidatesTheSectionAndListsEveryProblem) {
  auto config = Config::load(std::nullopt, {{"ST_DATABASE__URL", "postgresql://localhost/x"},
                                            {"ST_REDIS__URL", "redis://:secret@h:70000"},
                                            {"ST_REDIS__TLS_CERT_FILE", "client.crt"},
                                            {"ST_REDIS__POOL_SIZE", "0"},
                                            {"ST_WORKER__VIDEO_LOCK_SECONDS", "1"},
                                            {"ST_WORKER__HEARTBEAT_SECONDS", "5"}});
  ASSERT_FALSE(config);
  const auto& message = config.error().message;
  EXPECT_NE(message.find("redis.url"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  EXPECT_NE(message.find("redis.tls_cert_file and redis.tls_key_file"), std::string::npos) << message;
  EXPECT_NE(message.find("redis.pool_size"), std::string::npos) << message;
  EXPECT_NE(message.find("worker.video_lock_seconds must be between"), std::string::npos) << message;
  EXPECT_NE(message.find("at least twice worker.heartbeat_seconds"), std::string::npos) << message;

  auto good = Config::load(std::nullopt, {{"ST_DATABASE__URL", "postgresql://localhost/x"},
                                          {"ST_REDIS__URL", "rediss://h:6380/1"},
                                          {"ST_REDIS__PASSWORD", "from-config"},
                                          {"ST_REDIS__TLS_CA_FILE", "/etc/ca.pem"}});
  ASSERT_TRUE(good) << good.error().message;
  auto options = redis_options(good->redis);
  ASSERT_TRUE(options);
  EXPECT_EQ(options->endpoint.password, "from-config");
  EXPECT_EQ(options->endpoint.tls_ca_file, "/etc/ca.pem");
  EXPECT_EQ(options->endpoint.database, 1);
  EXPECT_EQ(options->key_prefix, "st:");
}

TEST(JobProgressJson, RoundTripsAndRefusesWhatIsOutOfRange) {
  JobProgress p{.step = "encode",
                .percent = 41.25,
                .encode_percent = 50,
                .renditions = {{"1080p", 50, 3}, {"360p", 52.5, 3}},
                .frame = 450,
                .speed = 1.234,
                .eta_seconds = 22.5,
                .updated_at = "2026-12-02T10:00:00.000Z"};
  auto back = progress_from_json(to_json(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->step, "encode");
  EXPECT_DOUBLE_EQ(back->percent, 41.3);  // one decimal
  EXPECT_EQ(back->renditions.size(), 2U);
  EXPECT_EQ(back->renditions[1].segments, 3);
  EXPECT_DOUBLE_EQ(back->eta_seconds, 22.5);
  auto unknown = to_json(p);
  unknown["etaSeconds"] = nullptr;
  EXPECT_LT(progress_from_json(unknown)->eta_seconds, 0);
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{{"percent", 101},
                                                           {"percent", "50"},
                                                           {"speed", -1},
                                                           {"frame", 1e13},
                                                           {"step", std::string(100, 's')},
                                                           {"renditions", nlohmann::json::array({1})},
                                                           {"etaSeconds", -3}}) {
    auto bad = to_json(p);
    bad[key] = value;
    EXPECT_FALSE(progress_from_json(bad)) << key << " = " << value.dump();
  }
  EXPECT_FALSE(progress_from_json(nlohmann::json::array()));
}

TEST(ProgressTracker, EstimatesTheRestOfTheJobFromTheEncodesSpeed) {
  using Clock = ProgressTracker::Clock;
  const auto t0 = Clock::time_point{} + 1000s;
  ProgressTracker tracker(0.05);
  tracker.step_started("fetch", t0);
  auto before = tracker.snapshot(t0 + 1s);
  EXPECT_EQ(before.step, "fetch");
  EXPECT_LT(before.eta_seconds, 0) << "no estimate before the encode";
  tracker.step_started("encode", t0 + 2s);
  // 30 s of media at 0.5x: the encode takes 60 s; 10 s in, 5 s encoded.
  tracker.encode_progress({.encoded_seconds = 5, .speed = 0.5, .frame = 150, .finished = false},
                          {.percent = 100.0 / 6, .eta_seconds = 50, .renditions = {{"720p", 16, 1}}}, t0 + 12s);
  auto during = tracker.snapshot(t0 + 12s);
  // 50 s of encode left, plus 5% of its 60 s for the steps after it.
  EXPECT_NEAR(during.eta_seconds, 53, 0.01);
  EXPECT_NEAR(during.percent, 100.0 * 12 / (12 + 53), 0.01);
  EXPECT_EQ(during.renditions.at(0).name, "720p");
  EXPECT_EQ(during.frame, 150);
  // Time passes without a report: the estimate counts down.
  EXPECT_NEAR(tracker.snapshot(t0 + 22s).eta_seconds, 43, 0.01);
  tracker.step_started("publish", t0 + 62s);
  auto after = tracker.snapshot(t0 + 63s);
  EXPECT_EQ(after.encode_percent, 100);
  EXPECT_EQ(after.renditions.at(0).percent, 100);
  EXPECT_NEAR(after.eta_seconds, 2, 0.01);
  EXPECT_GE(after.percent, during.percent);
  EXPECT_LT(after.percent, 100) << "100 is for a job that has ended";
  // Never backwards, whatever the estimate does.
  tracker.encode_progress({.encoded_seconds = 1, .speed = 0.01}, {.percent = 1, .eta_seconds = 1e5}, t0 + 64s);
  EXPECT_GE(tracker.snapshot(t0 + 64s).percent, after.percent);
}

Job sample_job() {
  Job job;
  job.id = "0b7c4c1e-58c4-4b0b-9f3e-5b1c1f6a1d2e";
  job.spec = {.tenant_id = "acme",
              .video_id = "v1",
              .source_version = "3",
              .source = {.bucket = "uploads", .key = "in.mp4", .size_bytes = 123, .checksum = "sha256:ab"},
              .profile_set = {"720p"},
              .output_prefix = "",
              .priority = 5,
              .max_attempts = 4,
              .origin = {.message_id = "m", .correlation_id = "c", .conversation_id = "v", .traceparent = "t"}};
  job.status = JobStatus::kRunning;
  job.attempt = 2;
  job.fencing_token = 7;
  job.progress_percent = 12.5;
  job.progress_detail = JobProgress{.step = "encode", .updated_at = "2026-12-02T10:00:00.000Z"};
  job.created_at = "2026-12-02T09:00:00.000000Z";
  return job;
}

TEST(JobRecord, RoundTripsEveryFieldTheApiShows) {
  const auto job = sample_job();
  auto back = job_from_record_json(to_record_json(job));
  ASSERT_TRUE(back);
  EXPECT_EQ(to_record_json(*back), to_record_json(job));
  EXPECT_EQ(back->spec.source.size_bytes, 123);
  EXPECT_EQ(back->status, JobStatus::kRunning);
  EXPECT_EQ(back->progress_detail->step, "encode");
  auto broken = to_record_json(job);
  broken["status"] = "exploded";
  EXPECT_FALSE(job_from_record_json(broken));
  broken = to_record_json(job);
  broken.erase("attempt");
  EXPECT_FALSE(job_from_record_json(broken));
  EXPECT_FALSE(job_from_record_json(nlohmann::json("a string")));
  // Numbers that do not fit the field: refused, never cast (the fuzzer found
  // 1.2e98 as a size, which nlohmann's get<int64_t>() casts unchecked).
  for (const auto& [field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"fencingToken", 1e300}, {"attempt", 2.5}, {"priority", std::uint64_t{1} << 40}, {"maxAttempts", -1e20}}) {
    broken = to_record_json(job);
    broken[field] = value;
    EXPECT_FALSE(job_from_record_json(broken)) << field << " = " << value.dump();
  }
  broken = to_record_json(job);
  broken["source"]["size"] = 1.25e98;
  EXPECT_FALSE(job_from_record_json(broken));
  broken = to_record_json(job);
  broken["outcome"] = {{"renditions", {{{"name", "360p"}, {"width", 1e300}}}}};
  EXPECT_FALSE(job_from_record_json(broken)) << "an outcome's integer fields too";
}

TEST(JobEventStream, SendsStatusChangesAndNewProgressThenEnds) {
  auto job = sample_job();
  job.status = JobStatus::kQueued;
  std::optional<JobProgress> live;
  JobEventSource source{.job = [&]() -> Result<Job> { return job; },
                        .live = [&] { return live; },
                        .render =
                            [](const Job& j, const std::optional<JobProgress>& p) {
                              return nlohmann::json{{"status", to_string(j.status)},
                                                    {"eta", p ? nlohmann::json(p->eta_seconds) : nlohmann::json()}};
                            }};
  EventStreamCounter counter(1);
  auto slot = counter.take();
  ASSERT_TRUE(slot);
  EXPECT_FALSE(counter.take()) << "one stream allowed";
  {
    JobEventStream stream(source, std::move(*slot), 3600s);
    auto first = stream.next();
    ASSERT_TRUE(first);
    EXPECT_NE(first->find("retry: 2000\n"), std::string::npos);
    EXPECT_NE(first->find("event: status\nid: 1\ndata: {\"eta\":null,\"status\":\"queued\"}\n\n"), std::string::npos)
        << *first;
    EXPECT_EQ(stream.next(), "") << "nothing changed";
    job.status = JobStatus::kRunning;
    live = JobProgress{.step = "encode", .eta_seconds = 9, .updated_at = "a"};
    EXPECT_NE(stream.next()->find("event: status"), std::string::npos);
    live->updated_at = "b";
    live->eta_seconds = 8;
    const auto progress = stream.next();
    EXPECT_NE(progress->find("event: progress\nid: 3\ndata: {\"eta\":8.0,"), std::string::npos) << *progress;
    EXPECT_EQ(stream.next(), "") << "the same figures are not sent twice";
    job.status = JobStatus::kSucceeded;
    EXPECT_NE(stream.next()->find("\"status\":\"succeeded\""), std::string::npos);
    EXPECT_FALSE(stream.next()) << "the stream ends after the final status";
  }
  EXPECT_TRUE(counter.take()) << "the ended stream gave its slot back";
}

}  // namespace
}  // namespace st
