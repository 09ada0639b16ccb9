// The service on a real Kafka-protocol broker: upload events produced with kcat
// become jobs, exactly once in effect; outcome events are read back with kcat.
// Poison messages, redeliveries, a SIGKILL between insert and offset store, a
// broker outage and a relay killed mid-publish.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kafka_fixture.hpp"
#include "media_fixtures.hpp"
#include "messaging/contracts.hpp"
#include "postgres_fixture.hpp"
#include "service_process.hpp"

namespace st {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;
using testing::KafkaBroker;
using testing::KafkaMessage;
using testing::ServiceProcess;
namespace fs = std::filesystem;

constexpr const char* kUploaded = "video-service.video-uploaded";
constexpr const char* kDeadLetters = "video-service.video-uploaded.dead-letter";
constexpr const char* kTranscoded = "transcoding-service.video-transcoded";
constexpr const char* kTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string sha256_of(const fs::path& file) {
  static const auto kHash = [&] {
    auto run = run_captured({.argv = {"sha256sum", file.string()}}, 4096);
    return run ? run->stdout_text.substr(0, 64) : std::string();
  }();
  return kHash;
}

class KafkaTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    broker_ = std::make_unique<KafkaBroker>(std::vector<std::string>{
        fmt::format("{}:2", kUploaded), fmt::format("{}:2", kTranscoded), fmt::format("{}:1", kDeadLetters)});
    outputs_ = testing::fresh_dir("kafka-out-" + database_);
  }

  std::vector<std::string> environment() const {
    const auto source = testing::source("short_2s");
    return {"ST_DATABASE__URL=" + conninfo_,
            "ST_KAFKA__BOOTSTRAP_SERVERS=" + broker_->bootstrap(),
            "ST_KAFKA__GROUP_ID=st-" + database_,
            "ST_KAFKA__RETRY_BACKOFF_MS=200",
            "ST_KAFKA__SESSION_TIMEOUT_MS=6000",
            "ST_KAFKA__OUTBOX_POLL_MS=100",
            "ST_STORAGE__SOURCE_DIR=" + source.parent_path().string(),
            "ST_STORAGE__OUTPUT_DIR=" + outputs_.string(),
            "ST_TRANSCODE__PRESET=ultrafast",
            "ST_WORKER__CONCURRENCY=1",
            "ST_WORKER__POLL_MS=200",
            "ST_WORKER__LEASE_SECONDS=3",
            "ST_WORKER__HEARTBEAT_SECONDS=1",
            "ST_WORKER__REAPER_INTERVAL_MS=500"};
  }

  // A VideoUploaded event for the generated 2-second clip, asking for 240p only.
  static json upload(const std::string& video) {
    const auto source = testing::source("short_2s");
    return {{"videoId", video},
            {"tenantId", "acme"},
            {"source",
             {{"bucket", "uploads"},
              {"key", source.filename().string()},
              {"sizeBytes", fs::file_size(source)},
              {"contentType", "video/mp4"},
              {"checksum", "sha256:" + sha256_of(source)}}},
            {"uploadedAt", "2026-11-25T10:00:00Z"},
            {"profiles", {"240p"}}};
  }

  int count(const std::string& sql) { return std::stoi(scalar(sql)); }

  // The outcome events for `video`, as read by an outside consumer.
  std::vector<KafkaMessage> outcomes_of(const std::string& video) const {
    std::vector<KafkaMessage> found;
    for (auto& m : broker_->read_all(kTranscoded)) {
      if (m.key == video) found.push_back(std::move(m));
    }
    return found;
  }

  std::unique_ptr<KafkaBroker> broker_;
  fs::path outputs_;
};

TEST_F(KafkaTest, AnUploadEventBecomesAJobAndExactlyOneOutcomeEvent) {
  ServiceProcess service(environment());
  ASSERT_NE(service.port(), 0) << service.log();
  broker_->produce(kUploaded, {upload("video-1").dump()},
                   {{"MessageId", "7a1c0000-0000-0000-0000-000000000001"},
                    {"CorrelationId", "c0ffee00-0000-0000-0000-000000000001"},
                    {"Content-Type", "application/vnd.masstransit+json"},
                    {"traceparent", kTraceParent}},
                   "video-1");

  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs WHERE status = 'succeeded'") == 1; }, 60s))
      << service.log();
  std::vector<KafkaMessage> events;
  ASSERT_TRUE(eventually([&] { return !(events = outcomes_of("video-1")).empty(); }, 20s)) << service.log();
  std::this_thread::sleep_for(1s);  // a second event, if one were coming, would be there by now
  events = outcomes_of("video-1");
  ASSERT_EQ(events.size(), 1U);

  const auto& event = events[0];
  EXPECT_TRUE(validate_contract("video-transcoded", event.value).has_value()) << event.value;
  const auto payload = json::parse(event.value);
  const auto job_id = scalar("SELECT id::text FROM jobs");
  EXPECT_EQ(payload["status"], "succeeded");
  EXPECT_EQ(payload["jobId"], job_id);
  EXPECT_EQ(payload["tenantId"], "acme");
  ASSERT_EQ(payload["renditions"].size(), 1U);
  EXPECT_EQ(payload["renditions"][0]["name"], "240p");
  EXPECT_EQ(payload["masterPlaylistKey"], fmt::format("acme/video-1/{}/run-1/master.m3u8", job_id));
  EXPECT_TRUE(fs::exists(outputs_ / payload["masterPlaylistKey"].get<std::string>()));
  // MassTransit's headers answer in the same conversation, and the trace goes on.
  EXPECT_EQ(event.headers.at("CorrelationId"), "c0ffee00-0000-0000-0000-000000000001");
  EXPECT_EQ(event.headers.at("InitiatorId"), "7a1c0000-0000-0000-0000-000000000001");
  EXPECT_EQ(event.headers.at("Content-Type"), "application/vnd.masstransit+json");
  EXPECT_EQ(event.headers.at("MessageId").size(), 36U);
  EXPECT_EQ(event.headers.at("traceparent").substr(0, 36), std::string(kTraceParent).substr(0, 36));
  EXPECT_NE(event.headers.at("traceparent"), kTraceParent);  // a span of its own
  // The job's log lines carry the trace.
  EXPECT_TRUE(service.wait_for_log("4bf92f3577b34da6a3ce929d0e0e4736", 1s));
  // The producer of the upload finds its job by video, and the API says what the event said.
  const auto listed = testing::http("GET", service.port(), "/v1/jobs?videoId=video-1");
  ASSERT_EQ(listed.status, 200) << listed.text;
  ASSERT_EQ(listed.body["jobs"].size(), 1U);
  const auto& job = listed.body["jobs"][0];
  EXPECT_EQ(job["id"], job_id);
  EXPECT_EQ(job["outputPrefix"], payload["outputPrefix"]);
  EXPECT_EQ(job["outcome"]["masterPlaylistKey"], payload["masterPlaylistKey"]);
  EXPECT_EQ(job["outcome"]["bucket"], payload["bucket"]);
  EXPECT_EQ(job["progress"], 100);
}

// Sidecar subtitle files named by the upload event are fetched beside the
// master; one that is absent is announced as skipped, and the job succeeds.
TEST_F(KafkaTest, SidecarSubtitlesOfAnUploadEventBecomeTracksAndTheAbsentOneIsAnnounced) {
  const auto dir = testing::source("short_2s").parent_path();
  const auto french = "sidecar-" + database_ + "-fr.srt";
  std::ofstream(dir / french, std::ios::binary) << "\xEF\xBB\xBF"
                                                   "1\r\n00:00:00,500 --> 00:00:01,500\r\nÇa commence\r\n";
  auto event = upload("video-subs");
  event["subtitles"] = {{{"key", french}, {"language", "fra"}, {"kind", "subtitle"}},
                        {{"key", "sidecar-" + database_ + "-absent.vtt"}, {"language", "de"}, {"kind", "caption"}}};
  ServiceProcess service(environment());
  ASSERT_NE(service.port(), 0) << service.log();
  broker_->produce(kUploaded, {event.dump()}, {}, "video-subs");

  std::vector<KafkaMessage> events;
  ASSERT_TRUE(eventually([&] { return !(events = outcomes_of("video-subs")).empty(); }, 60s)) << service.log();
  fs::remove(dir / french);
  EXPECT_TRUE(validate_contract("video-transcoded", events[0].value).has_value()) << events[0].value;
  const auto payload = json::parse(events[0].value);
  ASSERT_EQ(payload["status"], "succeeded") << events[0].value;
  ASSERT_EQ(payload["subtitles"].size(), 1U) << events[0].value;
  EXPECT_EQ(payload["subtitles"][0]["language"], "fr");
  EXPECT_EQ(payload["subtitles"][0]["kind"], "subtitle");
  const auto vtt = outputs_ / payload["subtitles"][0]["vttKey"].get<std::string>();
  std::stringstream text;
  text << std::ifstream(vtt).rdbuf();
  EXPECT_NE(text.str().find("Ça commence"), std::string::npos) << text.str();
  ASSERT_EQ(payload["skippedStreams"].size(), 1U) << events[0].value;
  EXPECT_EQ(payload["skippedStreams"][0]["sidecarKey"], "sidecar-" + database_ + "-absent.vtt");
  EXPECT_EQ(payload["skippedStreams"][0]["reason"], "no such object");
  EXPECT_FALSE(payload["skippedStreams"][0].contains("index"));
  // The API shows what was asked.
  const auto listed = testing::http("GET", service.port(), "/v1/jobs?videoId=video-subs");
  ASSERT_EQ(listed.body["jobs"].size(), 1U) << listed.text;
  EXPECT_EQ(listed.body["jobs"][0]["subtitles"][0], json({{"key", french}, {"language", "fr"}, {"kind", "subtitle"}}));
  EXPECT_EQ(listed.body["jobs"][0]["subtitles"][1]["kind"], "caption");
}

TEST_F(KafkaTest, TheSameEventDeliveredFiveTimesMakesOneJobAndOneOutcomeEvent) {
  const auto event = upload("video-2").dump();
  // Before the service starts, so that some copies arrive in one batch; and after, one by one.
  broker_->produce(kUploaded, {event, event, event}, {}, "video-2");
  ServiceProcess service(environment());
  ASSERT_NE(service.port(), 0) << service.log();
  broker_->produce(kUploaded, {event}, {}, "video-2");
  broker_->produce(kUploaded, {event}, {}, "video-2");

  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs WHERE status = 'succeeded'") == 1; }, 60s))
      << service.log();
  ASSERT_TRUE(eventually([&] { return !outcomes_of("video-2").empty(); }, 20s)) << service.log();
  ASSERT_TRUE(service.wait_for_log("is a redelivery", 10s));
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), 1);
  EXPECT_EQ(outcomes_of("video-2").size(), 1U);
  // The consumer accounted for every copy.
  const auto metrics = testing::http_text(service.port(), "/metrics");
  EXPECT_NE(metrics.find("st_kafka_messages_consumed_total 5"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("st_kafka_jobs_created_total 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("st_kafka_duplicate_events_total 4"), std::string::npos) << metrics;
}

TEST_F(KafkaTest, PoisonMessagesGoToTheDeadLetterTopicWithTheirReasonsAndTheConsumerMovesOn) {
  auto violation = upload("video-3");
  violation["source"].erase("key");
  violation["tenantId"] = "../other-tenant";
  const json envelope = {{"messageId", "7a1c0000-0000-0000-0000-000000000009"},
                         {"messageType", {"urn:message:VideoService.Contracts:VideoUploaded"}},
                         {"message", upload("video-4")}};
  ServiceProcess service(environment());
  ASSERT_NE(service.port(), 0) << service.log();
  // One partition (one key), so the valid events come after the poison ones.
  broker_->produce(kUploaded, {"{not json", violation.dump(), envelope.dump(), upload("video-5").dump()},
                   {{"MessageId", "m-1"}}, "same-key");

  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs") == 2; }, 30s)) << service.log();
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE video_id IN ('video-4', 'video-5')"), 2);
  std::vector<KafkaMessage> dead;
  ASSERT_TRUE(eventually([&] { return (dead = broker_->read_all(kDeadLetters)).size() >= 2; }, 20s)) << service.log();
  ASSERT_EQ(dead.size(), 2U);
  // Unchanged, with the reason, the origin and the time; original headers kept.
  EXPECT_EQ(dead[0].value, "{not json");
  EXPECT_EQ(dead[0].key, "same-key");
  EXPECT_EQ(dead[0].headers.at("dead-letter-reason"), "the message is not JSON");
  EXPECT_EQ(dead[0].headers.at("dead-letter-source-topic"), kUploaded);
  EXPECT_FALSE(dead[0].headers.at("dead-letter-source-partition").empty());
  EXPECT_FALSE(dead[0].headers.at("dead-letter-at").empty());
  EXPECT_EQ(dead[0].headers.at("MessageId"), "m-1");
  EXPECT_EQ(dead[1].value, violation.dump());
  const auto& reason = dead[1].headers.at("dead-letter-reason");
  EXPECT_NE(reason.find("/tenantId"), std::string::npos) << reason;
  EXPECT_NE(reason.find("key"), std::string::npos) << reason;
  EXPECT_EQ(std::stoll(dead[1].headers.at("dead-letter-source-offset")),
            std::stoll(dead[0].headers.at("dead-letter-source-offset")) + 1);
  const auto metrics = testing::http_text(service.port(), "/metrics");
  EXPECT_NE(metrics.find("st_kafka_dead_lettered_total 2"), std::string::npos) << metrics;
}

TEST_F(KafkaTest, AServiceKilledBetweenInsertAndOffsetCommitMakesNoSecondJob) {
  {
    ServiceProcess first(environment());
    ASSERT_NE(first.port(), 0) << first.log();
    broker_->produce(kUploaded, {upload("video-6").dump()}, {}, "video-6");
    // The offset is committed in the background every few seconds: kill at once.
    ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs") == 1; }, 20s)) << first.log();
    first.signal(SIGKILL);
    ASSERT_TRUE(first.wait_exit(5s).has_value());
  }
  ServiceProcess second(environment());
  ASSERT_NE(second.port(), 0) << second.log();
  // The event is read again (its offset was never committed) and finds its job.
  ASSERT_TRUE(second.wait_for_log("is a redelivery", 30s)) << second.log();
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), 1);
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs WHERE status = 'succeeded'") == 1; }, 60s))
      << second.log();
  ASSERT_TRUE(eventually([&] { return outcomes_of("video-6").size() == 1; }, 20s)) << second.log();
}

TEST_F(KafkaTest, ABrokerOutageOfThirtySecondsLosesNoEventInEitherDirection) {
  broker_->produce(kUploaded, {upload("video-7").dump(), upload("video-8").dump()});
  ServiceProcess service(environment());
  ASSERT_NE(service.port(), 0) << service.log();
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs") == 2; }, 30s)) << service.log();
  // One more upload arrives just before the broker goes away.
  broker_->produce(kUploaded, {upload("video-9").dump()});
  broker_->down();
  const auto outage_end = std::chrono::steady_clock::now() + 30s;
  // Jobs finish during the outage: their events wait in the outbox.
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs WHERE status = 'succeeded'") >= 2; }, 25s))
      << service.log();
  EXPECT_GE(count("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), 1);
  std::this_thread::sleep_until(outage_end);
  broker_->up();

  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs WHERE status = 'succeeded'") == 3; }, 60s))
      << service.log();
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; }, 60s))
      << service.log();
  for (const auto* video : {"video-7", "video-8", "video-9"}) {
    std::set<std::string> ids;
    for (const auto& m : outcomes_of(video)) ids.insert(m.headers.at("MessageId"));
    EXPECT_EQ(ids.size(), 1U) << video;
  }
}

TEST_F(KafkaTest, AnOutboxRelayKilledMidPublishSendsTheEventOnceWhenTheServiceIsBack) {
  std::string job_id;
  {
    ServiceProcess first(environment());
    ASSERT_NE(first.port(), 0) << first.log();
    broker_->produce(kUploaded, {upload("video-10").dump()});
    ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs") == 1; }, 30s)) << first.log();
    broker_->down();
    ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs WHERE status = 'succeeded'") == 1; }, 60s))
        << first.log();
    // The relay is trying to publish the event (and the job's progress events) while the broker is away.
    ASSERT_TRUE(eventually(
        [&] {
          return count(fmt::format("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND topic = '{}'",
                                   kTranscoded)) == 1;
        },
        5s));
    std::this_thread::sleep_for(500ms);
    first.signal(SIGKILL);
    ASSERT_TRUE(first.wait_exit(5s).has_value());
    job_id = scalar("SELECT id::text FROM jobs");
  }
  broker_->up();
  ServiceProcess second(environment());
  ASSERT_NE(second.port(), 0) << second.log();
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0; }, 30s))
      << second.log();
  std::this_thread::sleep_for(1s);
  const auto events = outcomes_of("video-10");
  ASSERT_GE(events.size(), 1U);
  std::set<std::string> message_ids;
  for (const auto& e : events) {
    message_ids.insert(e.headers.at("MessageId"));
    EXPECT_EQ(json::parse(e.value)["jobId"], job_id);
  }
  // Whatever the broker saw, a consumer deduplicating by MessageId sees one event.
  EXPECT_EQ(message_ids.size(), 1U);
}

TEST_F(KafkaTest, AJobThatFailsForGoodIsAnnouncedAsFailedWithItsReason) {
  ServiceProcess service(environment());
  ASSERT_NE(service.port(), 0) << service.log();
  auto missing = upload("video-11");
  missing["source"]["key"] = "no-such-master.mp4";
  auto altered = upload("video-12");
  altered["source"]["checksum"] = "sha256:" + std::string(64, 'a');
  broker_->produce(kUploaded, {missing.dump(), altered.dump()});
  for (const auto& [video, reason] : {std::pair{"video-11", "no such object"}, {"video-12", "SHA-256"}}) {
    std::vector<KafkaMessage> events;
    ASSERT_TRUE(eventually([&] { return !(events = outcomes_of(video)).empty(); }, 60s)) << service.log();
    const auto payload = json::parse(events[0].value);
    EXPECT_TRUE(validate_contract("video-transcoded", events[0].value).has_value()) << events[0].value;
    EXPECT_EQ(payload["status"], "failed");
    EXPECT_NE(payload["failure"]["message"].get<std::string>().find(reason), std::string::npos) << payload.dump();
    EXPECT_EQ(payload["failure"]["retryable"], false);
  }
}

}  // namespace
}  // namespace st

namespace st {
namespace {

// A dependency's outage is not the message's fault: nothing is dead-lettered,
// the consumer waits and inserts the jobs once the database is back.
TEST_F(KafkaTest, EventsArrivingWhileTheDatabaseIsAwayWaitAndAreNotDeadLettered) {
  ServiceProcess service(environment());
  ASSERT_NE(service.port(), 0) << service.log();
  ASSERT_TRUE(service.wait_for_log("partition(s) assigned", 20s)) << service.log();
  pqxx::connection admin(std::getenv("ST_TEST_POSTGRES_ADMIN_URL"));
  pqxx::nontransaction(admin).exec("ALTER DATABASE " + database_ + " ALLOW_CONNECTIONS false");
  pqxx::nontransaction(admin).exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                                   database_ + "'");
  broker_->produce(kUploaded, {upload("video-20").dump(), upload("video-21").dump()}, {}, "one-partition");
  ASSERT_TRUE(service.wait_for_log("not accepted yet, retrying", 30s)) << service.log();
  std::this_thread::sleep_for(2s);
  pqxx::nontransaction(admin).exec("ALTER DATABASE " + database_ + " ALLOW_CONNECTIONS true");

  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs") == 2; }, 60s)) << service.log();
  EXPECT_TRUE(broker_->read_all(kDeadLetters).empty());
  const auto metrics = testing::http_text(service.port(), "/metrics");
  EXPECT_NE(metrics.find("st_kafka_dead_lettered_total 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("st_kafka_jobs_created_total 2"), std::string::npos) << metrics;
}

// librdkafka 2.0 aborts when a cooperative-sticky consumer is destroyed before
// its first assignment (librdkafka#4312): SIGTERM right after start is that case.
TEST_F(KafkaTest, AServiceStoppedRightAfterItStartedExitsCleanly) {
  for (int i = 0; i < 3; ++i) {
    ServiceProcess service(environment());
    ASSERT_NE(service.port(), 0) << service.log();
    service.signal(SIGTERM);
    const auto exit = service.wait_exit(30s);
    ASSERT_TRUE(exit.has_value()) << service.log();
    EXPECT_EQ(exit->term_signal, 0) << exit->stderr_tail << service.log();
    EXPECT_EQ(exit->exit_code, 0) << exit->stderr_tail << service.log();
  }
}

// The broker goes away just as the service stops (a node drained with its
// broker): leaving the group cannot complete, and stopping must not wait on it
// longer than kafka.close_timeout_ms (librdkafka's own close waited about the
// session timeout, 10 s, before).
TEST_F(KafkaTest, AServiceStoppingAsItsBrokerGoesAwayExitsWithinTheCloseTimeout) {
  auto env = environment();
  env.push_back("ST_KAFKA__CLOSE_TIMEOUT_MS=1000");
  std::replace(env.begin(), env.end(), std::string("ST_KAFKA__SESSION_TIMEOUT_MS=6000"),
               std::string("ST_KAFKA__SESSION_TIMEOUT_MS=10000"));
  broker_->produce(kUploaded, {upload("video-close").dump()});
  ServiceProcess service(env);
  ASSERT_NE(service.port(), 0) << service.log();
  // A job from the topic (the consumer has joined its group and owns
  // partitions), finished: no running job's grace is in what is measured.
  ASSERT_TRUE(eventually([&] { return count("SELECT count(*) FROM jobs WHERE status = 'succeeded'") == 1; }, 60s))
      << service.log();
  broker_->down();
  const auto start = std::chrono::steady_clock::now();
  service.signal(SIGTERM);
  const auto exit = service.wait_exit(30s);
  const auto took = std::chrono::steady_clock::now() - start;
  broker_->up();
  ASSERT_TRUE(exit.has_value()) << service.log();
  EXPECT_EQ(exit->exit_code, 0) << exit->stderr_tail << service.log();
  EXPECT_LT(took, 6s) << service.log();
}

}  // namespace
}  // namespace st
