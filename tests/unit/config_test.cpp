#include "app/config.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

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

TEST(Config, TheDrmSectionGivesTheDefaultPolicyAndIsCheckedWhole) {
  auto env = kMinimal;
  env["ST_DRM__KEY_PROVIDER"] = "speke";
  env["ST_DRM__SPEKE_URL"] = "https://keys.example/speke/v2.0/copyProtection";
  env["ST_DRM__SCHEME"] = "cbcs";
  env["ST_DRM__SYSTEMS"] = "widevine, fairplay";
  env["ST_DRM__VIDEO_KEYS"] = "per-resolution";
  const auto config = Config::load(std::nullopt, env);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  const auto policy = drm_policy(config->drm);
  EXPECT_EQ(policy.scheme, ProtectionScheme::kCbcs);
  EXPECT_EQ(policy.systems, (std::vector<DrmSystem>{DrmSystem::kWidevine, DrmSystem::kFairPlay}));
  EXPECT_EQ(policy.video_keys, VideoKeys::kPerResolution);

  auto bad = kMinimal;
  bad["ST_DRM__SCHEME"] = "cenc";
  bad["ST_DRM__SYSTEMS"] = "fairplay,hdcp";
  bad["ST_DRM__KEY_PROVIDER"] = "static";
  bad["ST_DRM__CLEAR_LEAD_SECONDS"] = "600";
  const auto refused = Config::load(std::nullopt, bad);
  ASSERT_FALSE(refused.has_value());
  for (const auto* says : {"'hdcp' is not widevine", "drm.static_keys (ST_DRM__STATIC_KEYS)",
                           "drm.clear_lead_seconds must be between 0 and 60"}) {
    EXPECT_NE(refused.error().message.find(says), std::string::npos) << refused.error().message;
  }
  auto no_provider = kMinimal;
  no_provider["ST_DRM__SCHEME"] = "cbcs";
  const auto without = Config::load(std::nullopt, no_provider);
  ASSERT_FALSE(without.has_value());
  EXPECT_NE(without.error().message.find("drm.key_provider is none"), std::string::npos);
}

TEST(Config, TheOtelSectionIsCheckedWhole) {
  auto env = kMinimal;
  env["ST_OTEL__ENDPOINT"] = "http://collector:4318";
  env["ST_OTEL__SAMPLE_RATIO"] = "0.25";
  env["ST_KAFKA__CLOSE_TIMEOUT_MS"] = "1500";
  env["ST_METRICS__ENABLED"] = "false";
  const auto config = Config::load(std::nullopt, env);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->otel.endpoint, "http://collector:4318");
  EXPECT_DOUBLE_EQ(config->otel.sample_ratio, 0.25);
  EXPECT_EQ(config->kafka.close_timeout_ms, 1500);
  EXPECT_FALSE(config->metrics.enabled);

  auto bad = kMinimal;
  bad["ST_OTEL__ENDPOINT"] = "collector:4318";
  bad["ST_OTEL__SAMPLE_RATIO"] = "1.5";
  bad["ST_OTEL__MAX_QUEUE"] = "0";
  bad["ST_OTEL__SERVICE_NAME"] = std::string(200, 's');
  bad["ST_OTEL__HEALTH_TIMEOUT_MS"] = "-1";
  const auto refused = Config::load(std::nullopt, bad);
  ASSERT_FALSE(refused.has_value());
  for (const auto* says : {"otel.endpoint 'collector:4318' must start with http:// or https://",
                           "otel.sample_ratio 1.5 is not between 0 and 1", "otel.max_queue",
                           "otel.service_name must be 1 to 128 characters", "otel.health_timeout_ms"}) {
    EXPECT_NE(refused.error().message.find(says), std::string::npos) << says << "\n" << refused.error().message;
  }
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
  EXPECT_NE(config.error().message.find("ST_DATABSE__URL is not a configuration variable; did you mean "
                                        "ST_DATABASE__URL?"),
            std::string::npos)
      << config.error().message;
  EXPECT_EQ(config.error().message.find("ST_SOMETHING"), std::string::npos);
}

TEST(Config, ReportsAVariableThatIsOursButForAnUnderscore) {
  auto env = kMinimal;
  env["ST_WORKER_CONCURRENCY"] = "4";
  env["ST_DEV_PG_PORT"] = "55432";  // a tool's own variable: warned about, not refused
  const auto config = Config::load(std::nullopt, env);
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("ST_WORKER_CONCURRENCY is not a configuration variable; did you mean "
                                        "ST_WORKER__CONCURRENCY?"),
            std::string::npos)
      << config.error().message;
  env.erase("ST_WORKER_CONCURRENCY");
  const auto warned = Config::load(std::nullopt, env);
  ASSERT_TRUE(warned.has_value()) << warned.error().message;
  ASSERT_EQ(warned->warnings.size(), 1U);
  EXPECT_NE(warned->warnings[0].find("ST_DEV_PG_PORT"), std::string::npos);
}

TEST(Config, SuggestsTheKeyAnUnknownFileKeyResembles) {
  const auto file = write_temp("typo.json", R"({"worker": {"concurency": 2}, "http": {"prot": 80}})");
  const auto config = Config::load(file, kMinimal);
  fs::remove(file);
  ASSERT_FALSE(config.has_value());
  EXPECT_NE(config.error().message.find("unknown key worker.concurency; did you mean worker.concurrency?"),
            std::string::npos)
      << config.error().message;
  EXPECT_NE(config.error().message.find("unknown key http.prot; did you mean http.port?"), std::string::npos);
}

TEST(Config, ParsesUrlsAndAddressesAtValidation) {
  auto env = kMinimal;
  env["ST_DATABASE__URL"] = "notaurl";
  env["ST_HTTP__HOST"] = "localhost:80";
  env["ST_KAFKA__BOOTSTRAP_SERVERS"] = "broker:9092,broker2";
  env["ST_S3__ENDPOINT"] = "http://";
  env["ST_S3__OUTPUT_BUCKET"] = "Not_A_Bucket";
  env["ST_S3__SOURCE_BUCKETS"] = "uploads, 192.168.1.1";
  const auto config = Config::load(std::nullopt, env);
  ASSERT_FALSE(config.has_value());
  const auto& message = config.error().message;
  EXPECT_NE(message.find("database.url is not a PostgreSQL URI or connection string"), std::string::npos) << message;
  EXPECT_NE(message.find("http.host 'localhost:80' is not an IP address"), std::string::npos) << message;
  EXPECT_NE(message.find("kafka.bootstrap_servers: 'broker2' is not host:port"), std::string::npos) << message;
  EXPECT_EQ(message.find("'broker:9092'"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.endpoint 'http://' is not a valid URL"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.output_bucket 'Not_A_Bucket' is not a valid bucket name"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.source_buckets: '192.168.1.1'"), std::string::npos) << message;
  EXPECT_EQ(message.find("'uploads'"), std::string::npos) << message;
}

TEST(Config, SaysWhyAFileCannotBeReadOrParsed) {
  const auto missing = Config::load(fs::path("/nonexistent/config.json"), kMinimal);
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message.find("No such file or directory"), std::string::npos) << missing.error().message;

  const auto file = write_temp("broken.json", "{\n  \"http\": {\n    \"port\": 80,,\n  }\n}\n");
  const auto broken = Config::load(file, kMinimal);
  ASSERT_FALSE(broken.has_value());
  EXPECT_NE(broken.error().message.find(file.string() + ":3:16: not valid JSON"), std::string::npos)
      << broken.error().message;

  std::ofstream(file) << std::string(100000, '[');
  const auto deep = Config::load(file, kMinimal);
  fs::remove(file);
  ASSERT_FALSE(deep.has_value());
  EXPECT_NE(deep.error().message.find("nested deeper"), std::string::npos) << deep.error().message;
}

TEST(WorkerConcurrency, FollowsCpusAndMemory) {
  constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;
  EXPECT_EQ(default_worker_concurrency(2, 24 * kGiB), 2);
  EXPECT_EQ(default_worker_concurrency(16, 64 * kGiB), 16);
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
  EXPECT_NE(message.find("5 problems"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.endpoint 'minio:9000' must start with http:// or https://"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.source_buckets is required"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.output_bucket is required"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.addressing 'dns'"), std::string::npos) << message;
  EXPECT_NE(message.find("s3.part_size_mib"), std::string::npos) << message;
}

TEST(Config, TheS3SecretKeyCanComeFromAMountedFile) {
  const auto secret = write_temp("s3-secret", "wJalrXUtnFEMI/K7MDENG\n");
  auto environment = kMinimal;
  environment["ST_S3__ENDPOINT"] = "http://127.0.0.1:9000";
  environment["ST_S3__OUTPUT_BUCKET"] = "renditions";
  environment["ST_S3__SOURCE_BUCKETS"] = "uploads";
  environment["ST_S3__SECRET_ACCESS_KEY_FILE"] = secret.string();
  const auto config = Config::load(std::nullopt, environment);
  fs::remove(secret);
  ASSERT_TRUE(config.has_value()) << config.error().message;
  EXPECT_EQ(config->s3.secret_access_key, "wJalrXUtnFEMI/K7MDENG");
  environment["ST_S3__SECRET_ACCESS_KEY_FILE"] = "/nonexistent/secret";
  EXPECT_NE(Config::load(std::nullopt, environment).error().message.find("s3.secret_access_key_file"),
            std::string::npos);
}

TEST(Config, AuthIsRequiredUnlessExplicitlyInDevelopmentAndRefusesNoneAndHmac) {
  const auto load = [](std::map<std::string, std::string> environment) {
    environment.insert(kMinimal.begin(), kMinimal.end());
    return Config::load(std::nullopt, environment);
  };
  // The defaults: enabled, but with nothing to check tokens against.
  const auto defaults = load({});
  ASSERT_TRUE(defaults.has_value());
  const auto missing = check_auth_config(defaults->auth);
  ASSERT_FALSE(missing.has_value());
  for (const auto* named : {"jwks_url", "auth.issuer", "auth.audience"}) {
    EXPECT_NE(missing.error().message.find(named), std::string::npos) << named;
  }
  // Off only with the development flag.
  EXPECT_FALSE(check_auth_config(load({{"ST_AUTH__ENABLED", "false"}})->auth).has_value());
  EXPECT_TRUE(
      check_auth_config(load({{"ST_AUTH__ENABLED", "false"}, {"ST_AUTH__DEVELOPMENT", "true"}})->auth).has_value());
  EXPECT_FALSE(load({{"ST_AUTH__ENABLED", "maybe"}}).has_value()) << "a boolean that is not one";
  const std::map<std::string, std::string> valid = {{"ST_AUTH__JWKS_URL", "https://login.example/jwks.json"},
                                                    {"ST_AUTH__ISSUER", "https://login.example/"},
                                                    {"ST_AUTH__AUDIENCE", "stream-transcoding"}};
  EXPECT_TRUE(check_auth_config(load(valid)->auth).has_value());
  for (const auto* alg : {"none", "HS256", "RS256,HS512", "PS256"}) {
    auto environment = valid;
    environment["ST_AUTH__ALGORITHMS"] = alg;
    const auto refused = check_auth_config(load(environment)->auth);
    EXPECT_FALSE(refused.has_value()) << alg;
  }
  auto both = valid;
  both["ST_AUTH__JWKS_FILE"] = "/etc/jwks.json";
  EXPECT_FALSE(check_auth_config(load(both)->auth).has_value()) << "exactly one source of keys";
  auto not_a_url = valid;
  not_a_url["ST_AUTH__JWKS_URL"] = "file:///etc/passwd";
  EXPECT_FALSE(check_auth_config(load(not_a_url)->auth).has_value());
  EXPECT_FALSE(load({{"ST_AUTH__LEEWAY_SECONDS", "100000"}}).has_value());
  EXPECT_FALSE(load({{"ST_API__MAX_PAGE_SIZE", "0"}}).has_value());
}

}  // namespace
}  // namespace st

namespace st {
namespace {

TEST(Config, QualityScoresAreOnByDefaultAndTheirSamplingIsBounded) {
  const auto defaults = Config::load(std::nullopt, kMinimal);
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_TRUE(defaults->transcode.quality_scores);
  EXPECT_EQ(defaults->transcode.quality_windows, 3);
  auto env = kMinimal;
  env["ST_TRANSCODE__QUALITY_SCORES"] = "false";
  const auto off = Config::load(std::nullopt, env);
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_FALSE(off->transcode.quality_scores);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"ST_TRANSCODE__QUALITY_WINDOWS", "0"},
                                                        {"ST_TRANSCODE__QUALITY_WINDOWS", "1000000000000"},
                                                        {"ST_TRANSCODE__QUALITY_WINDOW_SECONDS", "0"},
                                                        {"ST_TRANSCODE__QUALITY_WINDOW_SECONDS", "nan"},
                                                        {"ST_TRANSCODE__QUALITY_SCORES", "maybe"}}) {
    auto bad = kMinimal;
    bad[name] = value;
    const auto refused = Config::load(std::nullopt, bad);
    ASSERT_FALSE(refused.has_value()) << name << "=" << value;
    auto message = refused.error().message;
    std::transform(message.begin(), message.end(), message.begin(), [](unsigned char c) { return std::tolower(c); });
    EXPECT_NE(message.find("quality"), std::string::npos) << refused.error().message;  // it names the setting
  }
}

}  // namespace
}  // namespace st

namespace st {
namespace {

TEST(Config, TheLadderModeAndThePerTitleBoundsAreCheckedAndNamed) {
  const auto defaults = Config::load(std::nullopt, kMinimal);
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_EQ(defaults->transcode.ladder, "fixed");
  auto env = kMinimal;
  env["ST_TRANSCODE__LADDER"] = "per-title";
  env["ST_TRANSCODE__PER_TITLE_CEILING"] = "1.5";
  const auto per_title = Config::load(std::nullopt, env);
  ASSERT_TRUE(per_title.has_value()) << per_title.error().message;
  EXPECT_EQ(per_title->transcode.ladder, "per-title");
  EXPECT_EQ(per_title->transcode.per_title_ceiling, 1.5);
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"ST_TRANSCODE__LADDER", "content-aware"},
                                                        {"ST_TRANSCODE__LADDER", std::string(100000, 'x')},
                                                        {"ST_TRANSCODE__LADDER", "per-title\xff"},
                                                        {"ST_TRANSCODE__PER_TITLE_FLOOR", "0"},
                                                        {"ST_TRANSCODE__PER_TITLE_FLOOR", "nan"},
                                                        {"ST_TRANSCODE__PER_TITLE_CEILING", "1e308"},
                                                        {"ST_TRANSCODE__PER_TITLE_CEILING", "lots"},
                                                        {"ST_TRANSCODE__PER_TITLE_FLOOR", "0.9"}}) {
    auto bad = kMinimal;
    bad[name] = value;
    if (value == "0.9") bad["ST_TRANSCODE__PER_TITLE_CEILING"] = "0.5";  // a floor above the ceiling
    const auto refused = Config::load(std::nullopt, bad);
    ASSERT_FALSE(refused.has_value()) << name << "=" << value.substr(0, 20);
    auto message = refused.error().message;
    std::transform(message.begin(), message.end(), message.begin(), [](unsigned char c) { return std::tolower(c); });
    EXPECT_TRUE(message.find("ladder") != std::string::npos || message.find("per_title") != std::string::npos)
        << message.substr(0, 300);  // it names the setting
  }
}

}  // namespace
}  // namespace st
