// `serve` as a real process against a real PostgreSQL: HTTP, workers, crashes,
// graceful shutdown, a database that goes away, bad configuration.
#include <csignal>

#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "db/migrations.hpp"
#include "media_fixtures.hpp"
#include "postgres_fixture.hpp"
#include "service_process.hpp"

namespace st {
namespace {

using testing::eventually;
using testing::http;
using testing::ServiceProcess;

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

class ServiceTest : public testing::PostgresTest {
 protected:
  std::vector<std::string> environment(const std::string& preset = "ultrafast") {
    outputs_ = testing::fresh_dir("service-" + database_);
    return {"ST_DATABASE__URL=" + conninfo_,
            "ST_STORAGE__OUTPUT_DIR=" + outputs_.string(),
            "ST_TRANSCODE__PRESET=" + preset,
            "ST_WORKER__CONCURRENCY=1",
            "ST_WORKER__LEASE_SECONDS=3",
            "ST_WORKER__HEARTBEAT_SECONDS=1",
            "ST_WORKER__POLL_MS=200",
            "ST_WORKER__REAPER_INTERVAL_MS=500",
            "ST_WORKER__SHUTDOWN_GRACE_SECONDS=1",
            "ST_DATABASE__ACQUIRE_TIMEOUT_MS=2000",
            "ST_STORAGE__SOURCE_DIR=" + testing::source("short_2s").parent_path().string()};
  }
  static std::string job_body(const std::string& video, const fs::path& source, const std::string& profiles) {
    return json{{"tenantId", "acme"},
                {"videoId", video},
                {"source", {{"key", source.filename().string()}}},
                {"profiles", json::parse(profiles)}}
        .dump();
  }
  fs::path outputs_;
};

TEST_F(ServiceTest, ServesHealthAndRunsAJobSubmittedOverHttp) {
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();

  EXPECT_EQ(http("GET", port, "/health/live").status, 200);
  const auto ready = http("GET", port, "/health/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body["checks"]["database"]["status"], "up");

  const auto created = http("POST", port, "/v1/jobs", job_body("video-1", testing::source("short_2s"), R"(["360p"])"));
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const auto id = created.body["id"].get<std::string>();
  // The same upload again is the same job.
  const auto again = http("POST", port, "/v1/jobs", job_body("video-1", testing::source("short_2s"), R"(["360p"])"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["id"], id);

  ASSERT_TRUE(eventually([&] { return http("GET", port, "/v1/jobs/" + id).body["status"] == "succeeded"; }, 60s))
      << http("GET", port, "/v1/jobs/" + id).body.dump() << service.log();
  const auto job = http("GET", port, "/v1/jobs/" + id).body;
  EXPECT_EQ(job["attempt"], 1);
  EXPECT_EQ(job["progress"], 100);
  EXPECT_EQ(job["outcome"]["renditions"].size(), 1U);
  // One vocabulary: the job's outputPrefix is the outcome's, and keys are full keys.
  EXPECT_EQ(job["outputPrefix"], fmt::format("acme/video-1/{}/run-{}/", id, 1));
  EXPECT_EQ(job["outcome"]["outputPrefix"], job["outputPrefix"]);
  EXPECT_EQ(job["outcome"]["masterPlaylistKey"], fmt::format("acme/video-1/{}/run-1/master.m3u8", id));
  EXPECT_TRUE(fs::exists(outputs_ / job["outcome"]["masterPlaylistKey"].get<std::string>()));
  // JSON log lines carry the job's identifiers.
  EXPECT_TRUE(service.wait_for_log("\"job_id\":\"" + id + "\"", 1s));
}

TEST_F(ServiceTest, BadRequestsGetProblemDetails) {
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  const auto invalid = http("POST", port, "/v1/jobs", R"({"tenantId":"../evil","videoId":"v","source":{}})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.body["status"], 400);
  EXPECT_NE(invalid.body["detail"].get<std::string>().find("tenantId"), std::string::npos);
  EXPECT_EQ(http("POST", port, "/v1/jobs", "not json").status, 400);
  EXPECT_EQ(http("GET", port, "/v1/jobs/not-a-job").status, 404);
  EXPECT_EQ(http("DELETE", port, "/health/live").status, 405);
  EXPECT_EQ(http("POST", port, "/v1/jobs", std::string(2 * 1024 * 1024, 'x')).status, 413);
}

TEST_F(ServiceTest, AWorkerKilledWithSigkillHasItsJobFinishedByAnother) {
  std::string id;
  {
    ServiceProcess first(environment("medium"));
    const auto port = first.port();
    ASSERT_NE(port, 0) << first.log();
    const auto created =
        http("POST", port, "/v1/jobs", job_body("crash", testing::source("long_1080p"), R"(["240p"])"));
    ASSERT_EQ(created.status, 201);
    id = created.body["id"];
    ASSERT_TRUE(eventually([&] { return http("GET", port, "/v1/jobs/" + id).body["progress"].get<double>() > 0; }, 60s))
        << first.log();
    first.signal(SIGKILL);
    ASSERT_TRUE(first.wait_exit(10s).has_value());
  }
  EXPECT_EQ(scalar("SELECT status FROM jobs WHERE id = '" + id + "'"), "running");

  ServiceProcess second(environment("ultrafast"));
  const auto port = second.port();
  ASSERT_NE(port, 0) << second.log();
  ASSERT_TRUE(eventually([&] { return http("GET", port, "/v1/jobs/" + id).body["status"] == "succeeded"; }, 120s))
      << http("GET", port, "/v1/jobs/" + id).body.dump() << second.log();
  EXPECT_EQ(http("GET", port, "/v1/jobs/" + id).body["attempt"], 2);
}

TEST_F(ServiceTest, SigtermReleasesARunningJobAfterTheGracePeriodAndExitsZero) {
  ServiceProcess service(environment("medium"));
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  const auto created = http("POST", port, "/v1/jobs", job_body("long", testing::source("long_1080p"), R"(["240p"])"));
  ASSERT_EQ(created.status, 201);
  const auto id = created.body["id"].get<std::string>();
  ASSERT_TRUE(eventually([&] { return http("GET", port, "/v1/jobs/" + id).body["status"] == "running"; }, 30s));
  service.signal(SIGTERM);
  const auto exit = service.wait_exit(20s);
  ASSERT_TRUE(exit.has_value()) << "serve did not stop";
  EXPECT_EQ(exit->exit_code, 0) << "signal " << exit->term_signal << "\n" << exit->stderr_tail << service.log();
  EXPECT_EQ(scalar("SELECT status || '/' || attempt FROM jobs WHERE id = '" + id + "'"), "queued/0");
}

TEST_F(ServiceTest, ReadinessFailsWhileTheDatabaseIsAwayAndRecoversWithoutARestart) {
  ServiceProcess service(environment());
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  ASSERT_EQ(http("GET", port, "/health/ready").status, 200);

  // From the service's side, the database goes away: connections dropped, new ones refused.
  pqxx::connection admin(std::getenv("ST_TEST_POSTGRES_ADMIN_URL"));
  pqxx::nontransaction(admin).exec("ALTER DATABASE " + database_ + " ALLOW_CONNECTIONS false");
  pqxx::nontransaction(admin).exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                                   database_ + "'");
  EXPECT_TRUE(eventually([&] { return http("GET", port, "/health/ready").status == 503; }, 20s));
  const auto down = http("GET", port, "/health/ready");
  EXPECT_EQ(down.body["checks"]["database"]["status"], "down");
  EXPECT_EQ(http("GET", port, "/health/live").status, 200);

  pqxx::nontransaction(admin).exec("ALTER DATABASE " + database_ + " ALLOW_CONNECTIONS true");
  EXPECT_TRUE(eventually([&] { return http("GET", port, "/health/ready").status == 200; }, 20s));
  EXPECT_FALSE(service.exited());
}

TEST_F(ServiceTest, ABadConfigurationListsEveryProblemAndExitsTwo) {
  auto process = Process::spawn({.argv = {ST_BINARY, "serve"},
                                 .environment = {"ST_DATABASE__URL=" + conninfo_, "ST_DATABASE__POOL_SIZE=lots",
                                                 "ST_HTTP__PORT=99999", "ST_LOG__LEVEL=loud", "ST_HTTP__PROT=1"}});
  ASSERT_TRUE(process.has_value());
  const auto result = process->wait(nullptr);
  EXPECT_EQ(result.exit_code, 2);
  for (const char* expected :
       {"4 problems", "ST_DATABASE__POOL_SIZE: 'lots' is not a whole number", "http.port must be between 0 and 65535",
        "log.level 'loud'", "ST_HTTP__PROT is not a configuration variable; did you mean ST_HTTP__PORT?"}) {
    EXPECT_NE(result.stderr_tail.find(expected), std::string::npos) << expected << "\n" << result.stderr_tail;
  }
}

TEST_F(ServiceTest, MigrateAppliesNothingTwice) {
  auto process = Process::spawn(
      {.argv = {ST_BINARY, "migrate"}, .environment = {"ST_DATABASE__URL=" + conninfo_, "ST_LOG__FORMAT=text"}});
  ASSERT_TRUE(process.has_value());
  std::string out;
  const auto result = process->wait([&](std::string_view line) { out += std::string(line) + "\n"; });
  EXPECT_EQ(result.exit_code, 0) << result.stderr_tail;
  EXPECT_NE(out.find(fmt::format("database schema at version {}", embedded_migrations().back().version)),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("applied migration"), std::string::npos) << out;
}

TEST_F(ServiceTest, AMasterTooLargeForTheScratchDiskFailsWithAClearReasonBeforeDownloading) {
  // A sparse file: 8 TiB by its size (ext4 allows 16), nothing on disk.
  const auto sources = testing::fresh_dir("huge-" + database_);
  {
    std::ofstream(sources / "huge.mp4") << "";
    fs::resize_file(sources / "huge.mp4", std::uintmax_t{8} << 40);
  }
  auto env = environment();
  std::erase_if(env, [](const std::string& e) { return e.starts_with("ST_STORAGE__SOURCE_DIR="); });
  env.push_back("ST_STORAGE__SOURCE_DIR=" + sources.string());
  ServiceProcess service(env);
  const auto port = service.port();
  ASSERT_NE(port, 0) << service.log();
  const auto created = http(
      "POST", port, "/v1/jobs",
      json{{"tenantId", "acme"}, {"videoId", "huge"}, {"source", {{"key", "huge.mp4"}}}, {"maxAttempts", 1}}.dump());
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const auto id = created.body["id"].get<std::string>();
  ASSERT_TRUE(eventually([&] { return http("GET", port, "/v1/jobs/" + id).body["status"] == "dead"; }, 30s))
      << http("GET", port, "/v1/jobs/" + id).body.dump() << service.log();
  const auto job = http("GET", port, "/v1/jobs/" + id).body;
  EXPECT_NE(job.dump().find("not enough scratch space"), std::string::npos) << job.dump();
}

}  // namespace
}  // namespace st
