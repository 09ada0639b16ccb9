// The service attacked from outside, as a real process on real servers: every
// attack is refused with a reason, the process stays alive (/health/live
// answers), nothing valid is lost, and a valid request or event right after
// the attack still works. docs/security.md lists what each test proves.
#include <sys/stat.h>
#include <sys/types.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kafka_fixture.hpp"
#include "media_fixtures.hpp"
#include "postgres_fixture.hpp"
#include "raw_client.hpp"
#include "service_process.hpp"

namespace st {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::eventually;
using testing::http;
using testing::RawClient;
using testing::ServiceProcess;
namespace fs = std::filesystem;

class HostileInputTest : public testing::PostgresTest {
 protected:
  void SetUp() override {
    PostgresTest::SetUp();
    sources_ = testing::fresh_dir("hostile-src-" + database_);
    outputs_ = testing::fresh_dir("hostile-out-" + database_);
    fs::copy_file(testing::source("short_2s"), sources_ / "valid.mp4");
  }

  std::vector<std::string> environment() const {
    return {"ST_DATABASE__URL=" + conninfo_,
            "ST_STORAGE__SOURCE_DIR=" + sources_.string(),
            "ST_STORAGE__OUTPUT_DIR=" + outputs_.string(),
            "ST_TRANSCODE__PRESET=ultrafast",
            "ST_WORKER__CONCURRENCY=1",
            "ST_WORKER__POLL_MS=200",
            "ST_WORKER__LEASE_SECONDS=3",
            "ST_WORKER__HEARTBEAT_SECONDS=1",
            "ST_WORKER__REAPER_INTERVAL_MS=500"};
  }

  static std::string job(const std::string& video, const std::string& key, int max_attempts = 1) {
    return json{{"tenantId", "acme"},
                {"videoId", video},
                {"source", {{"key", key}}},
                {"profiles", {"240p"}},
                {"maxAttempts", max_attempts}}
        .dump();
  }

  // After an attack: the process lives, and a valid job still goes through.
  void expect_alive_and_serving(ServiceProcess& service, std::uint16_t port, const std::string& video) {
    ASSERT_FALSE(service.exited()) << service.log();
    EXPECT_EQ(http("GET", port, "/health/live").status, 200);
    const auto created = http("POST", port, "/v1/jobs", job(video, "valid.mp4"));
    ASSERT_EQ(created.status, 201) << created.body.dump();
    const auto id = created.body["id"].get<std::string>();
    EXPECT_TRUE(eventually([&] { return http("GET", port, "/v1/jobs/" + id).body["status"] == "succeeded"; }, 90s))
        << http("GET", port, "/v1/jobs/" + id).body.dump() << service.log();
  }

  // The job once it reached `status`, or as it was after 30 s.
  static json final_state(std::uint16_t port, const std::string& id, const std::string& status) {
    json job;
    eventually(
        [&] {
          job = http("GET", port, "/v1/jobs/" + id).body;
          return job["status"] == status;
        },
        30s);
    return job;
  }

  static std::string raw_exchange(std::uint16_t port, const std::string& request) {
    RawClient client(port);
    EXPECT_TRUE(client.connected());
    client.send(request);
    return client.receive(5s);
  }

  fs::path sources_;
  fs::path outputs_;
};

TEST_F(HostileInputTest, InvalidUtf8InPathQueryHeadersAndBodyNeverEndsTheProcess) {
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();

  const auto not_found = raw_exchange(port, "GET /\xFF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(RawClient::status_of(not_found), 404) << not_found;
  const auto body = not_found.substr(not_found.find("\r\n\r\n") + 4);
  EXPECT_FALSE(json::parse(body, nullptr, false).is_discarded()) << body;

  EXPECT_EQ(RawClient::status_of(raw_exchange(port,
                                              "GET /v1/jobs/\xC0\xAF\xED\xA0\x80 HTTP/1.1\r\nHost: x\r\n"
                                              "Connection: close\r\n\r\n")),
            404);
  EXPECT_EQ(RawClient::status_of(raw_exchange(port,
                                              "GET /health/live?\xFF=\xFE HTTP/1.1\r\nHost: x\r\n"
                                              "Connection: close\r\n\r\n")),
            200);
  EXPECT_EQ(RawClient::status_of(raw_exchange(port,
                                              "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Evil: \xFF\xFE\r\n"
                                              "Connection: close\r\n\r\n")),
            200);
  const std::string bad_body = "{\"tenantId\":\"a\xFF\",\"videoId\":\"v\",\"source\":{\"key\":\"valid.mp4\"}}";
  const auto refused = raw_exchange(port, fmt::format("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                                      "application/json\r\nContent-Length: {}\r\nConnection: "
                                                      "close\r\n\r\n{}",
                                                      bad_body.size(), bad_body));
  EXPECT_EQ(RawClient::status_of(refused), 400) << refused;
  expect_alive_and_serving(service, port, "after-utf8");
}

TEST_F(HostileInputTest, DeepNestingHugeNumbersAndOversizedBodiesGet4xxNamingTheProblem) {
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();

  const auto deep = http("POST", port, "/v1/jobs", R"({"tenantId":"a","x":)" + std::string(100000, '['));
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.body["detail"].get<std::string>().find("nested deeper than 32"), std::string::npos);

  for (const auto* number : {"18446744073709551616", "18446744073709551615", "1e300"}) {
    const auto body =
        fmt::format(R"({{"tenantId":"a","videoId":"v","source":{{"key":"valid.mp4","size":{}}}}})", number);
    const auto reply = http("POST", port, "/v1/jobs", body);
    EXPECT_EQ(reply.status, 400) << number;
    EXPECT_NE(reply.body["detail"].get<std::string>().find("source.size must be an integer"), std::string::npos)
        << reply.body.dump();
  }
  const auto priority =
      http("POST", port, "/v1/jobs", R"({"tenantId":"a","videoId":"v","source":{"key":"valid.mp4"},"priority":1e300})");
  EXPECT_EQ(priority.status, 400);
  EXPECT_NE(priority.body["detail"].get<std::string>().find("priority"), std::string::npos);

  const auto large = http("POST", port, "/v1/jobs", std::string((1 << 20) + 1, ' '));
  EXPECT_EQ(large.status, 413);
  EXPECT_EQ(scalar("SELECT count(*) FROM jobs"), "0");
  expect_alive_and_serving(service, port, "after-bodies");
}

TEST_F(HostileInputTest, ThreeHundredConnectionsFromOneAddressLeaveOtherClientsServed) {
  auto env = environment();
  env.emplace_back("ST_HTTP__MAX_CONNECTIONS_PER_CLIENT=32");
  ServiceProcess service(env);
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();

  std::vector<RawClient> flood;
  flood.reserve(300);
  for (int i = 0; i < 300; ++i) flood.emplace_back(port, "127.0.0.1");
  // The refusals are written at once; give a loaded machine a moment, then read what arrived.
  std::this_thread::sleep_for(1s);
  int refused = 0;
  for (auto& client : flood) {
    if (RawClient::status_of(client.receive(20ms)) == 503) ++refused;
  }
  // The first 32 are being served (waiting for their request); the rest are refused at once.
  EXPECT_GE(refused, 300 - 32 - 5);

  // Another address is served while the flood holds its connections.
  RawClient other(port, "127.0.0.2");
  ASSERT_TRUE(other.connected());
  other.send("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(RawClient::status_of(other.receive(5s)), 200);

  flood.clear();
  // Once the flood's connections are closed, its address is served again.
  EXPECT_TRUE(eventually([&] { return http("GET", port, "/health/live").status == 200; }, 10s));
  expect_alive_and_serving(service, port, "after-flood");
}

TEST_F(HostileInputTest, SlowlorisClientsAreDroppedAtTheWholeRequestDeadline) {
  auto env = environment();
  env.insert(env.end(), {"ST_HTTP__READ_TIMEOUT_MS=2000", "ST_HTTP__MAX_CONNECTIONS_PER_CLIENT=64"});
  ServiceProcess service(env);
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();

  std::vector<RawClient> slow;
  slow.reserve(50);
  for (int i = 0; i < 50; ++i) {
    slow.emplace_back(port, "127.0.0.3");
    slow.back().send("GET /health/live HTTP/1.1\r\nHost: x\r\n");
  }
  // A byte every 200 ms from each: never a complete request. The deadline
  // covers the whole request, so trickling does not extend it.
  const auto started = std::chrono::steady_clock::now();
  bool all_dropped = false;
  while (!all_dropped && std::chrono::steady_clock::now() - started < 6s) {
    all_dropped = true;
    for (auto& client : slow) {
      if (!client.send("X")) continue;  // the server has closed it
      all_dropped = false;
    }
    std::this_thread::sleep_for(200ms);
  }
  const auto held = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(all_dropped) << "slow clients still connected after " << std::chrono::duration<double>(held).count()
                           << " s";
  EXPECT_EQ(http("GET", port, "/health/live").status, 200);
  expect_alive_and_serving(service, port, "after-slowloris");
}

TEST_F(HostileInputTest, LiveAnswersWhileDatabaseCallsHangAndThoseCallsEndAtTheStatementTimeout) {
  auto env = environment();
  env.insert(env.end(), {"ST_DATABASE__STATEMENT_TIMEOUT_MS=5000", "ST_HTTP__HANDLER_THREADS=4"});
  ServiceProcess service(env);
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();

  // Every read of the jobs table now waits on this lock.
  pqxx::connection locker(conninfo_);
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE");
  std::vector<std::jthread> readers;
  std::atomic<int> unavailable{0};
  // As many as there are handler threads: every one of them waits on the lock.
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      if (http("GET", port, "/v1/jobs/00000000-0000-0000-0000-000000000000").status == 503) ++unavailable;
    });
  }
  std::this_thread::sleep_for(500ms);
  // Had it waited on a handler thread or the database, it would take the
  // statement timeout (5 s) at least.
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(http("GET", port, "/health/live").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - before, 2500ms);
  readers.clear();
  lock.abort();
  EXPECT_EQ(unavailable.load(), 4);
  expect_alive_and_serving(service, port, "after-lock");
}

TEST_F(HostileInputTest, SourcesOutsideTheSourceDirectoryAreRefusedAlikeAndNothingIsRead) {
  const auto outside = testing::fresh_dir("hostile-outside-" + database_);
  fs::copy_file(testing::source("short_2s"), outside / "secret.mp4");
  fs::create_symlink(outside / "secret.mp4", sources_ / "link.mp4");
  fs::create_symlink(outside, sources_ / "up");
  fs::create_directory(sources_ / "folder.mp4");
  ::mkfifo((sources_ / "fifo.mp4").c_str(), 0600);
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();

  // Refused by the API: one message for every key that could climb out.
  const auto path = http("POST", port, "/v1/jobs",
                         json{{"tenantId", "acme"}, {"videoId", "p"}, {"source", {{"path", "/etc/shadow"}}}}.dump());
  EXPECT_EQ(path.status, 400);
  EXPECT_NE(path.body["detail"].get<std::string>().find("source.path is not accepted"), std::string::npos);
  std::set<std::string> api_messages;
  for (const auto* key : {"../secret.mp4", "/etc/shadow", "a/../../b.mp4", "..", "./valid.mp4"}) {
    const auto reply = http("POST", port, "/v1/jobs", job("k", key));
    EXPECT_EQ(reply.status, 400) << key;
    api_messages.insert(reply.body["detail"].get<std::string>());
  }
  EXPECT_EQ(api_messages.size(), 1U);

  // Accepted by the API (it cannot know), refused by the worker alike.
  std::set<std::string> worker_messages;
  int video = 0;
  for (const std::string key : {"link.mp4", "up/secret.mp4", "missing.mp4", "folder.mp4", "fifo.mp4"}) {
    const auto created = http("POST", port, "/v1/jobs", job(fmt::format("out-{}", video++), key));
    ASSERT_EQ(created.status, 201) << created.body.dump();
    const auto done = final_state(port, created.body["id"].get<std::string>(), "failed");
    ASSERT_EQ(done["status"], "failed") << done.dump() << service.log();
    auto message = done["error"]["message"].get<std::string>();
    message.replace(message.find(key), key.size(), "KEY");
    worker_messages.insert(message);
  }
  EXPECT_EQ(worker_messages.size(), 1U) << fmt::format("{}", fmt::join(worker_messages, "\n"));
  EXPECT_TRUE(fs::is_empty(outputs_));
  expect_alive_and_serving(service, port, "after-escape");
}

TEST_F(HostileInputTest, ABucketOutsideTheAllowListIsRefused) {
  auto env = environment();
  // S3 mode; nothing listens on port 9: the API never needs to reach it.
  env.insert(env.end(),
             {"ST_S3__ENDPOINT=http://127.0.0.1:9", "ST_S3__OUTPUT_BUCKET=outputs", "ST_S3__SOURCE_BUCKETS=uploads",
              "ST_S3__ACCESS_KEY_ID=test", "ST_S3__SECRET_ACCESS_KEY=test"});
  ServiceProcess service(env);
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  const auto with_bucket = [](const std::string& bucket) {
    return json{{"tenantId", "acme"}, {"videoId", "b"}, {"source", {{"bucket", bucket}, {"key", "v.mp4"}}}}.dump();
  };
  for (const auto* bucket : {"private-backups", "uploads.evil.example", "127.0.0.1", "a/b"}) {
    const auto reply = http("POST", port, "/v1/jobs", with_bucket(bucket));
    EXPECT_EQ(reply.status, 400) << bucket;
    EXPECT_NE(reply.body["detail"].get<std::string>().find("source.bucket"), std::string::npos) << reply.body.dump();
  }
  EXPECT_EQ(http("POST", port, "/v1/jobs", with_bucket("uploads")).status, 201);
}

TEST_F(HostileInputTest, MediaThatLiesAboutItsTimeOrSizeFailsInSecondsAndTheWorkerGoesOn) {
  // A frame at 0 s and the next at 30 h; another whose frames jump by 2 h
  // (within the duration limit); a header that declares 65535x65535.
  const auto make_gap = [&](const std::string& name, int seconds) {
    auto run = run_captured(
        {.argv = {"ffmpeg", "-v", "error", "-y", "-t", "2", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-vf",
                  fmt::format("setpts='if(eq(N\\,19)\\,PTS+{}/TB\\,PTS)'", seconds), "-vsync", "passthrough", "-c:v",
                  "libx264", "-preset", "ultrafast", (sources_ / name).string()}},
        1 << 20);
    ASSERT_TRUE(run && run->result.succeeded()) << (run ? run->result.stderr_tail : run.error().message);
  };
  make_gap("gap-30h.mkv", 30 * 3600);
  make_gap("gap-2h.mkv", 2 * 3600);
  {
    std::ofstream y4m(sources_ / "huge.y4m", std::ios::binary);
    y4m << "YUV4MPEG2 W65535 H65535 F25:1 Ip A1:1 C420jpeg\nFRAME\n" << std::string(100000, '\0');
  }
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  for (const auto& [key, reason] : {std::pair{"gap-30h.mkv", "more than the limit"},
                                    {"gap-2h.mkv", "timestamps jump"},
                                    {"huge.y4m", "65535x65535"}}) {
    const auto started = std::chrono::steady_clock::now();
    const auto created = http("POST", port, "/v1/jobs", job(key, key));
    ASSERT_EQ(created.status, 201) << created.body.dump();
    const auto done = final_state(port, created.body["id"].get<std::string>(), "failed");
    ASSERT_EQ(done["status"], "failed") << done.dump() << service.log();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 15s) << key;
    EXPECT_NE(done["error"]["message"].get<std::string>().find(reason), std::string::npos) << done.dump();
  }
  expect_alive_and_serving(service, port, "after-media");
}

// Upload events as an attacker writes them, on a one-partition topic so that
// a message that blocked would block everything behind it.
class HostileEventsTest : public HostileInputTest {
 protected:
  static constexpr const char* kUploaded = "video-service.video-uploaded";
  static constexpr const char* kDeadLetters = "video-service.video-uploaded.dead-letter";

  void SetUp() override {
    HostileInputTest::SetUp();
    broker_ = std::make_unique<testing::KafkaBroker>(std::vector<std::string>{
        fmt::format("{}:1", kUploaded), fmt::format("{}:1", kDeadLetters), "transcoding-service.video-transcoded:1"});
  }

  std::vector<std::string> kafka_environment() const {
    auto env = environment();
    env.insert(env.end(), {"ST_KAFKA__BOOTSTRAP_SERVERS=" + broker_->bootstrap(), "ST_KAFKA__GROUP_ID=st-" + database_,
                           "ST_KAFKA__SESSION_TIMEOUT_MS=6000", "ST_KAFKA__RETRY_BACKOFF_MS=200",
                           // Room for the 100,000-deep and 200,000-character attacks to reach their own checks.
                           "ST_KAFKA__MAX_MESSAGE_BYTES=262144"});
    return env;
  }

  static json upload(const std::string& video) {
    return {{"videoId", video},
            {"tenantId", "acme"},
            {"source",
             {{"bucket", "uploads"},
              {"key", "valid.mp4"},
              {"sizeBytes", fs::file_size(testing::source("short_2s"))},
              {"contentType", "video/mp4"}}},
            {"uploadedAt", "2026-11-25T10:00:00Z"},
            {"profiles", {"240p"}}};
  }

  std::unique_ptr<testing::KafkaBroker> broker_;
};

TEST_F(HostileEventsTest, PoisonEventsAreDeadLetteredWithReasonsAndTheNextValidEventBecomesAJob) {
  ServiceProcess service(kafka_environment());
  ASSERT_NE(service.port(), 0) << service.log();

  auto checksum = upload("checksum");
  checksum["source"]["checksum"] = "sha256:" + std::string(200000, 'a');
  auto nul = upload("nul");
  nul["sourceVersion"] = std::string("v1\0", 3);
  std::string invalid_utf8 = upload("utf8").dump();
  invalid_utf8.replace(invalid_utf8.find("utf8"), 4, "ut\xFF\xFE");
  const auto deep = R"({"videoId":"deep","x":)" + std::string(100000, '[');
  const auto large = R"({"videoId":"large","pad":")" + std::string(1000000, 'x') + "\"}";

  broker_->produce(kUploaded, {checksum.dump(), deep, invalid_utf8, nul.dump(), large});
  broker_->produce(kUploaded, {upload("header").dump()}, {{"MessageId", "id-\xFF\xFE"}});
  broker_->produce(kUploaded, {upload("valid-after").dump()}, {{"MessageId", "valid-1"}});

  ASSERT_TRUE(eventually([&] { return scalar("SELECT count(*) FROM jobs") == "1"; }, 60s)) << service.log();
  EXPECT_EQ(scalar("SELECT video_id FROM jobs"), "valid-after");

  std::vector<testing::KafkaMessage> dead;
  ASSERT_TRUE(eventually([&] { return (dead = broker_->read_all(kDeadLetters)).size() == 6; }, 30s))
      << dead.size() << service.log();
  const std::vector<std::string> reasons = {"longer than the limit", "nested deeper",       "not valid UTF-8",
                                            "/sourceVersion",        "more than the limit", "header MessageId"};
  for (std::size_t i = 0; i < reasons.size(); ++i) {
    EXPECT_NE(dead[i].headers["dead-letter-reason"].find(reasons[i]), std::string::npos)
        << i << ": " << dead[i].headers["dead-letter-reason"];
  }
  // The 1 MB value could not be republished whole: cut, and the headers say so.
  EXPECT_EQ(dead[4].headers["dead-letter-truncated"], "true");
  EXPECT_EQ(dead[4].headers["dead-letter-original-bytes"], std::to_string(large.size()));
  EXPECT_LT(dead[4].value.size(), large.size());
  EXPECT_EQ(dead[0].headers.count("dead-letter-truncated"), 0U);
  EXPECT_FALSE(service.exited());
  EXPECT_EQ(http("GET", service.port(), "/health/live").status, 200);
}

TEST_F(HostileEventsTest, AnEventTheDatabaseKeepsRefusingIsDeadLetteredAfterTheRetryBound) {
  auto env = kafka_environment();
  env.emplace_back("ST_KAFKA__MAX_RETRY_SECONDS=3");
  ServiceProcess service(env);
  ASSERT_NE(service.port(), 0) << service.log();
  ASSERT_TRUE(service.wait_for_log("partition(s) assigned", 20s)) << service.log();
  pqxx::connection admin(std::getenv("ST_TEST_POSTGRES_ADMIN_URL"));
  pqxx::nontransaction(admin).exec("ALTER DATABASE " + database_ + " ALLOW_CONNECTIONS false");
  pqxx::nontransaction(admin).exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                                   database_ + "'");
  broker_->produce(kUploaded, {upload("waited-too-long").dump()});
  std::vector<testing::KafkaMessage> dead;
  const bool dead_lettered = eventually([&] { return (dead = broker_->read_all(kDeadLetters)).size() == 1; }, 30s);
  pqxx::nontransaction(admin).exec("ALTER DATABASE " + database_ + " ALLOW_CONNECTIONS true");
  ASSERT_TRUE(dead_lettered) << service.log();
  const auto& reason = dead[0].headers["dead-letter-reason"];
  EXPECT_NE(reason.find("not accepted within kafka.max_retry_seconds (3 s)"), std::string::npos) << reason;
  EXPECT_NE(reason.find("last error"), std::string::npos) << reason;
  // The partition moves on: the next event becomes a job once the database is back.
  broker_->produce(kUploaded, {upload("after-outage").dump()});
  ASSERT_TRUE(eventually([&] { return scalar("SELECT count(*) FROM jobs") == "1"; }, 60s)) << service.log();
  EXPECT_EQ(scalar("SELECT video_id FROM jobs"), "after-outage");
}

TEST_F(HostileEventsTest, AnEventOfABucketOutsideTheAllowListIsDeadLettered) {
  auto env = kafka_environment();
  env.insert(env.end(),
             {"ST_S3__ENDPOINT=http://127.0.0.1:9", "ST_S3__OUTPUT_BUCKET=outputs", "ST_S3__SOURCE_BUCKETS=uploads",
              "ST_S3__ACCESS_KEY_ID=test", "ST_S3__SECRET_ACCESS_KEY=test"});
  ServiceProcess service(env);
  ASSERT_NE(service.port(), 0) << service.log();
  auto other = upload("other-bucket");
  other["source"]["bucket"] = "private-backups";
  broker_->produce(kUploaded, {other.dump(), upload("allowed").dump()});
  ASSERT_TRUE(eventually([&] { return scalar("SELECT count(*) FROM jobs") == "1"; }, 60s)) << service.log();
  EXPECT_EQ(scalar("SELECT video_id FROM jobs"), "allowed");
  std::vector<testing::KafkaMessage> dead;
  ASSERT_TRUE(eventually([&] { return (dead = broker_->read_all(kDeadLetters)).size() == 1; }, 30s));
  EXPECT_NE(dead[0].headers["dead-letter-reason"].find("private-backups"), std::string::npos);
}

}  // namespace
}  // namespace st
