#include "app/config.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "util/machine.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string> kMinimal = {{"ST_DATABASE__URL", "postgresql://u@h/db"}};

fs::path write_temp(const std::string& name, const std::string& content) {
  const auto path = fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()));
  std::ofstream(path) << content;
  return path;
}

TEST(Config, DefaultsNeedOnlyADatabase) {
  const auto config = Config::load(std::nullopt, kMinimal);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->database.pool_size, 30);
  EXPECT_EQ(config->http.port, 8080);
  EXPECT_EQ(config->worker.lease_seconds, 30);
  EXPECT_EQ(config->database_conninfo(), "postgresql://u@h/db");
}

TEST(Config, EnvironmentOverridesTheFile) {
  const auto file = write_temp("config.json", R"({"database": {"url": "postgresql://file/db", "pool_size": 5},
                                                  "http": {"port": 9000}})");
  const auto config = Config::load(file, {{"ST_HTTP__PORT", "9100"}});
  fs::remove(file);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->database.url, "postgresql://file/db");
  EXPECT_EQ(config->database.pool_size, 5);
  EXPECT_EQ(config->http.port, 9100);
}

TEST(Config, ReadsThePasswordFromAFileAndEncodesIt) {
  const auto secret = write_temp("password", "p@ss word/1\n");
  auto env = kMinimal;
  env["ST_DATABASE__PASSWORD_FILE"] = secret.string();
  const auto config = Config::load(std::nullopt, env);
  fs::remove(secret);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->database.password, "p@ss word/1");
  EXPECT_EQ(config->database_conninfo(), "postgresql://u@h/db?password=p%40ss%20word%2F1");
}

TEST(Config, ListsEveryProblemAtOnce) {
  const auto file = write_temp("bad.json", R"({"http": {"port": 70000, "colour": "blue"}, "worker": 3})");
  const auto config = Config::load(file, {{"ST_WORKER__LEASE_SECONDS", "ten"}, {"ST_LOG__FORMAT", "xml"}});
  fs::remove(file);
  ASSERT_FALSE(config.has_value());
  const auto& message = config.error().message;
  EXPECT_EQ(config.error().code, ErrorCode::kUsage);
  for (const char* expected : {"6 problems", "unknown key http.colour", "section 'worker' must be an object",
                               "ST_WORKER__LEASE_SECONDS: 'ten' is not a whole number", "http.port must be between",
                               "log.format 'xml'", "database.url is required"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << expected << "\n" << message;
  }
}

TEST(Config, HeartbeatsMustFitInALease) {
  auto env = kMinimal;
  env["ST_WORKER__LEASE_SECONDS"] = "10";
  env["ST_WORKER__HEARTBEAT_SECONDS"] = "8";
  const auto config = Config::load(std::nullopt, env);
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("at most half of worker.lease_seconds"), std::string::npos);
}

TEST(Config, RefusesUnknownVariablesInItsNamespace) {
  auto env = kMinimal;
  env["ST_DATABSE__URL"] = "typo";
  env["ST_SOMETHING"] = "not a key: no double underscore";
  const auto config = Config::load(std::nullopt, env);
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("ST_DATABSE__URL is not a configuration key"), std::string::npos);
  EXPECT_EQ(config.error().message.find("ST_SOMETHING"), std::string::npos);
}

TEST(WorkerConcurrency, FollowsCpusAndMemory) {
  constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
  EXPECT_EQ(default_worker_concurrency(2, 24 * kGiB), 1);
  EXPECT_EQ(default_worker_concurrency(16, 64 * kGiB), 8);
  EXPECT_EQ(default_worker_concurrency(16, 6 * kGiB), 3);  // memory-bound
  EXPECT_EQ(default_worker_concurrency(0.5, 512 * 1024 * 1024), 1);
  EXPECT_GE(available_cpus(), 0.01);
  EXPECT_GT(available_memory_bytes(), 0U);
}

TEST(Config, S3NeedsAnOutputBucketAndAUsableEndpoint) {
  auto environment = kMinimal;
  environment["ST_S3__ENDPOINT"] = "minio:9000";
  environment["ST_S3__ADDRESSING"] = "dns";
  environment["ST_S3__PART_SIZE_MIB"] = "1";
  const auto config = Config::load(std::nullopt, environment);
  ASSERT_FALSE(config.has_value());
  const auto& message = config.error().message;
  EXPECT_NE(message.find("4 problems"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.endpoint 'minio:9000' must start with http:// or https://"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.output_bucket is required"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.addressing 'dns'"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.part_size_mib"), std::string::npos) << message;
}

TEST(Config, TheS3SecretKeyCanComeFromAMountedFile) {
  const auto secret = write_temp("s3-secret", "wJalrXUtnFEMI/K7MDENG\n");
  auto environment = kMinimal;
  environment["ST_S3__ENDPOINT"] = "http://127.0.0.1:9000";
  environment["ST_S3__OUTPUT_BUCKET"] = "renditions";
  environment["ST_S3__SECRET_ACCESS_KEY_FILE"] = secret.string();
  const auto config = Config::load(std::nullopt, environment);
  fs::remove(secret);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->s3.secret_access_key, "wJalrXUtnFEMI/K7MDENG");
  environment["ST_S3__SECRET_ACCESS_KEY_FILE"] = "/nonexistent/secret";
  EXPECT_NE(Config::load(std::nullopt, environment).error().message.find("s3.secret_access_key_file"),
            std::string::npos);
}

}  // namespace
}  // namespace st
