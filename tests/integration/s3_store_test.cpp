// S3Store against a real S3 API server (moto): round trips of small and large
// (multipart, parallel) files, a download cut mid-transfer and retried, client
// errors surfaced with S3's code, hostile keys refused. FileStore alongside.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include <fmt/format.h>

#include "media_fixtures.hpp"
#include "s3_fixture.hpp"
#include "storage/aws_credentials.hpp"
#include "storage/file_store.hpp"
#include "storage/naming.hpp"
#include "storage/output_publisher.hpp"
#include "storage/s3_store.hpp"
#include "util/process.hpp"
#include "util/scratch_space.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;
using testing::MotoServer;

std::string sha256_of(const fs::path& file) {
  auto run = run_captured({.argv = {"sha256sum", file.string()}}, 4096);
  return run ? run->stdout_text.substr(0, 64) : "";
}

fs::path random_file(const fs::path& dir, const std::string& name, std::size_t bytes) {
  const auto path = dir / name;
  std::ofstream out(path, std::ios::binary);
  std::mt19937_64 generator(bytes);
  std::vector<std::uint64_t> block(1 << 16);
  std::size_t left = bytes;
  while (left > 0) {
    for (auto& word : block) word = generator();
    const auto n = std::min(left, block.size() * sizeof(std::uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
  return path;
}

class S3StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { moto_ = new MotoServer(); }
  static void TearDownTestSuite() {
    delete moto_;
    moto_ = nullptr;
  }

  void SetUp() override {
    static int counter = 0;
    dir_ = testing::fresh_dir(fmt::format("s3-{}", ++counter));
    bucket_ = fmt::format("bucket-{}-{}", ::getpid(), counter);
  }

  std::unique_ptr<S3Store> store(S3Options options = {}, std::string endpoint = "") {
    options.endpoint = endpoint.empty() ? moto_->endpoint() : endpoint;
    options.retry_base = std::chrono::milliseconds(20);
    auto s3 = std::make_unique<S3Store>(
        bucket_, options,
        std::make_shared<StaticCredentials>(AwsCredentials{.access_key_id = "test", .secret_access_key = "test"}));
    return s3;
  }

  static MotoServer* moto_;
  fs::path dir_;
  std::string bucket_;
};

MotoServer* S3StoreTest::moto_ = nullptr;

TEST_F(S3StoreTest, RoundTripsASmallFileWithAnIdenticalChecksum) {
  auto s3 = store();
  ASSERT_TRUE(s3->create_bucket());
  const auto source = random_file(dir_, "small.bin", 300 * 1024);
  const auto put = s3->put("acme/v1/small.bin", source, "application/octet-stream");
  ASSERT_TRUE(put.has_value()) << put.error().message;
  EXPECT_EQ(put->size, 300U * 1024);

  const auto head = s3->head("acme/v1/small.bin");
  ASSERT_TRUE(head.has_value()) << head.error().message;
  EXPECT_EQ(head->size, 300U * 1024);
  const auto back = dir_ / "back.bin";
  ASSERT_TRUE(s3->get("acme/v1/small.bin", back, {}).has_value());
  EXPECT_EQ(sha256_of(back), sha256_of(source));

  // Keys with spaces and unicode are encoded once, as S3 expects.
  ASSERT_TRUE(s3->put("acme/v1/a name é.bin", source, "application/octet-stream").has_value());
  const auto listed = s3->list("acme/v1/");
  ASSERT_TRUE(listed.has_value()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].key, "acme/v1/a name é.bin");
  EXPECT_EQ(s3->remove_prefix("acme/").value(), 2U);
  EXPECT_TRUE(s3->list("acme/")->empty());
}

TEST_F(S3StoreTest, RoundTripsA200MiBFileInParallelParts) {
  auto s3 = store({.part_size = 16ULL << 20, .multipart_threshold = 32ULL << 20, .concurrency = 4});
  ASSERT_TRUE(s3->create_bucket());
  const auto source = random_file(dir_, "large.bin", 200ULL << 20);
  const auto put = s3->put("acme/v1/large.bin", source, "video/mp4");
  ASSERT_TRUE(put.has_value()) << put.error().message;
  // A multipart ETag names its part count: 200 MiB in 16 MiB parts is 13.
  EXPECT_NE(put->etag.find("-13"), std::string::npos) << put->etag;
  // Nothing left half-uploaded.
  auto uploads = run_captured(
      {.argv = {"aws", "--endpoint-url", moto_->endpoint(), "s3api", "list-multipart-uploads", "--bucket", bucket_,
                "--output", "json"},
       .environment = {"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_DEFAULT_REGION=us-east-1"}},
      1 << 20);
  ASSERT_TRUE(uploads.has_value());
  EXPECT_EQ(uploads->stdout_text.find("UploadId"), std::string::npos) << uploads->stdout_text;

  const auto back = dir_ / "back.bin";
  const auto got = s3->get("acme/v1/large.bin", back, {});
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(fs::file_size(back), 200ULL << 20);
  EXPECT_EQ(sha256_of(back), sha256_of(source));

  // A cancelled job's download stops between parts and leaves no partial file.
  std::stop_source stop;
  stop.request_stop();
  const auto stopped = s3->get("acme/v1/large.bin", dir_ / "stopped.bin", stop.get_token());
  ASSERT_FALSE(stopped.has_value());
  EXPECT_EQ(stopped.error().code, ErrorCode::kCancelled);
  EXPECT_FALSE(fs::exists(dir_ / "stopped.bin"));
  // And a cancelled job's publishing starts no upload.
  fs::create_directories(dir_ / "outputs");
  std::ofstream(dir_ / "outputs" / "master.m3u8") << "#EXTM3U\n";
  const auto published = OutputPublisher(*s3, 4).publish(dir_ / "outputs", "acme/v1/stopped/", stop.get_token());
  ASSERT_FALSE(published.has_value());
  EXPECT_EQ(published.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(s3->head("acme/v1/stopped/master.m3u8").error().code, ErrorCode::kNotFound);
}

TEST_F(S3StoreTest, ADownloadCutMidTransferIsRetriedAndComplete) {
  ASSERT_TRUE(store()->create_bucket());
  const auto source = random_file(dir_, "cut.bin", 4 << 20);
  ASSERT_TRUE(store()->put("acme/v1/cut.bin", source, "video/mp4").has_value());

  testing::CuttingProxy proxy(moto_->port(), /*cuts=*/3, /*cut_after_bytes=*/200 * 1024);
  auto s3 = store({.part_size = 1 << 20, .concurrency = 2}, fmt::format("http://127.0.0.1:{}", proxy.port()));
  const auto back = dir_ / "back.bin";
  const auto got = s3->get("acme/v1/cut.bin", back, {});
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_GE(proxy.cut(), 1);
  EXPECT_EQ(sha256_of(back), sha256_of(source));
}

TEST_F(S3StoreTest, ClientErrorsFailAtOnceWithS3sCode) {
  auto s3 = store({.max_attempts = 5});
  ASSERT_TRUE(s3->create_bucket());
  const auto started = std::chrono::steady_clock::now();
  const auto missing = s3->get("acme/v1/nothing.mp4", dir_ / "x", {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "x"));

  bucket_ = "no-such-bucket";
  const auto no_bucket = store()->put("k", random_file(dir_, "f", 10), "video/mp4");
  ASSERT_FALSE(no_bucket.has_value());
  EXPECT_NE(no_bucket.error().message.find("NoSuchBucket"), std::string::npos) << no_bucket.error().message;
  EXPECT_EQ(no_bucket.error().code, ErrorCode::kNotFound);
  // Not retried: well under the backoff of five attempts.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
}

TEST_F(S3StoreTest, AServerThatIsDownIsRetriedThenReportedUnavailable) {
  auto s3 = store({.max_attempts = 3}, fmt::format("http://127.0.0.1:{}", testing::free_port()));
  const auto head = s3->head("acme/v1/x");
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(head.error().message.find("3 times"), std::string::npos) << head.error().message;
}

TEST_F(S3StoreTest, WebIdentityCredentialsComeFromStsAndAreRenewedBeforeTheyExpire) {
  const auto token = dir_ / "token";
  std::ofstream(token) << "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln\n";
  // Renewing 2 hours before expiry of 1-hour credentials: every call renews.
  WebIdentityCredentials provider({.role_arn = "arn:aws:iam::123456789012:role/stream-transcoding",
                                   .token_file = token.string(),
                                   .sts_endpoint = moto_->endpoint(),
                                   .renew_before = std::chrono::hours(2)});
  const auto first = provider.credentials();
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_FALSE(first->access_key_id.empty());
  EXPECT_FALSE(first->session_token.empty());
  const auto second = provider.credentials();
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->access_key_id, first->access_key_id);
  // Signed with them, S3 works.
  S3Options options{.endpoint = moto_->endpoint()};
  S3Store s3(bucket_, options,
             std::make_shared<WebIdentityCredentials>(
                 WebIdentityOptions{.role_arn = "arn:aws:iam::123456789012:role/stream-transcoding",
                                    .token_file = token.string(),
                                    .sts_endpoint = moto_->endpoint()}));
  ASSERT_TRUE(s3.create_bucket());
  EXPECT_TRUE(s3.put("k", random_file(dir_, "f", 100), "video/mp4").has_value());

  WebIdentityCredentials missing(
      {.role_arn = "r", .token_file = (dir_ / "none").string(), .sts_endpoint = moto_->endpoint()});
  EXPECT_EQ(missing.credentials().error().code, ErrorCode::kUsage);
}

// Records the order of puts of the store it wraps.
class RecordingStore final : public ObjectStore {
 public:
  explicit RecordingStore(ObjectStore& inner) : inner_(inner) {}
  Result<ObjectInfo> get(const std::string& key, const fs::path& destination, const std::stop_token& stop) override {
    return inner_.get(key, destination, stop);
  }
  Result<ObjectInfo> put(const std::string& key, const fs::path& source, const std::string& content_type) override {
    {
      std::lock_guard lock(mutex_);
      order.push_back(key);
      types[key] = content_type;
    }
    return inner_.put(key, source, content_type);
  }
  Result<ObjectInfo> head(const std::string& key) override { return inner_.head(key); }
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override { return inner_.list(prefix); }
  Result<std::size_t> remove_prefix(const std::string& prefix) override { return inner_.remove_prefix(prefix); }
  [[nodiscard]] std::string location() const override { return inner_.location(); }
  std::vector<std::string> order;
  std::map<std::string, std::string> types;

 private:
  ObjectStore& inner_;
  std::mutex mutex_;
};

TEST_F(S3StoreTest, PublishingPutsMediaFirstAndManifestsLast) {
  const auto out = dir_ / "out";
  for (const auto* file :
       {"master.m3u8", "manifest.mpd", "report.json", "thumbnails/poster.jpg", "video/720p/init.mp4",
        "video/720p/seg-00001.m4s", "video/720p/seg-00002.m4s", "video/720p/playlist.m3u8",
        "audio/aac-stereo-und/init.mp4", "audio/aac-stereo-und/seg-00001.m4s", "audio/aac-stereo-und/playlist.m3u8"}) {
    fs::create_directories((out / file).parent_path());
    std::ofstream(out / file) << file;
  }
  auto s3 = store();
  ASSERT_TRUE(s3->create_bucket());
  RecordingStore recording(*s3);
  const auto published = OutputPublisher(recording, 4).publish(out, "acme/v1/job/");
  ASSERT_TRUE(published.has_value()) << published.error().message;
  EXPECT_EQ(published->objects, 11U);
  ASSERT_EQ(recording.order.size(), 11U);
  auto position = [&](const std::string& key) {
    return std::find(recording.order.begin(), recording.order.end(), "acme/v1/job/" + key) - recording.order.begin();
  };
  for (const auto* media : {"video/720p/seg-00002.m4s", "audio/aac-stereo-und/init.mp4", "thumbnails/poster.jpg"}) {
    EXPECT_LT(position(media), position("video/720p/playlist.m3u8")) << media;
  }
  EXPECT_LT(position("video/720p/playlist.m3u8"), position("master.m3u8"));
  EXPECT_LT(position("audio/aac-stereo-und/playlist.m3u8"), position("manifest.mpd"));
  EXPECT_GE(position("master.m3u8"), 9);
  EXPECT_GE(position("manifest.mpd"), 9);
  EXPECT_EQ(recording.types["acme/v1/job/master.m3u8"], "application/vnd.apple.mpegurl");
  EXPECT_EQ(recording.types["acme/v1/job/manifest.mpd"], "application/dash+xml");
  EXPECT_EQ(recording.types["acme/v1/job/video/720p/seg-00001.m4s"], "video/iso.segment");
  EXPECT_EQ(s3->list("acme/v1/job/")->size(), 11U);
}

TEST(ScratchSpaceTest, LeftoversOfDeadProcessesAreRemovedAndLiveOnesKept) {
  const auto parent = testing::fresh_dir("scratch");
  // A dead process's folder: a lock file nobody holds.
  fs::create_directories(parent / "run-dead01");
  std::ofstream(parent / "run-dead01" / ".lock") << "";
  std::ofstream(parent / "run-dead01" / "master.mp4") << "partial";
  auto live = ScratchSpace::open(parent);
  ASSERT_TRUE(live.has_value()) << live.error().message;
  EXPECT_EQ(live->removed_stale(), 1U);
  EXPECT_FALSE(fs::exists(parent / "run-dead01"));
  // Another process starting beside a live one leaves its folder alone (flock is per open file).
  auto neighbour = ScratchSpace::open(parent);
  ASSERT_TRUE(neighbour.has_value());
  EXPECT_EQ(neighbour->removed_stale(), 0U);
  EXPECT_TRUE(fs::exists(live->path()));
  const auto path = neighbour->path();
  neighbour = tl::unexpected(Error{});  // destroyed: its folder goes
  EXPECT_FALSE(fs::exists(path));
}

TEST(Naming, KeysFromHostileIdsAreRefused) {
  EXPECT_EQ(output_key_prefix("", "acme", "v1", "job", 7).value(), "acme/v1/job/run-7/");
  EXPECT_EQ(output_key_prefix("outputs/", "acme", "v1", "job", 7).value(), "outputs/acme/v1/job/run-7/");
  for (const auto* bad : {"..", "../other", "a/b", "a\\b", "", ".hidden", "a..b", "x\n", "-dash"}) {
    EXPECT_FALSE(output_key_prefix("", bad, "v1", "job", 1).has_value()) << bad;
    EXPECT_FALSE(output_key_prefix("", "acme", bad, "job", 1).has_value()) << bad;
  }
  EXPECT_FALSE(output_key_prefix("../up", "acme", "v1", "job", 1).has_value());
  EXPECT_TRUE(is_safe_key("acme/v1/master.mp4"));
  for (const auto* bad : {"/abs", "a/../b", "a//b", "./a", "a/.", "a\x01", ""}) EXPECT_FALSE(is_safe_key(bad)) << bad;
}

TEST(FileStoreTest, StoresListsAndRefusesKeysThatLeaveItsRoot) {
  const auto dir = testing::fresh_dir("file-store");
  FileStore store(dir / "root");
  const auto source = random_file(dir, "in.bin", 1000);
  ASSERT_TRUE(store.put("acme/v1/a.bin", source, "video/mp4").has_value());
  ASSERT_TRUE(store.put("acme/v2/b.bin", source, "video/mp4").has_value());
  EXPECT_EQ(store.head("acme/v1/a.bin")->size, 1000U);
  EXPECT_EQ(store.head("acme/v1/none").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.list("acme/v1/")->size(), 1U);
  ASSERT_TRUE(store.get("acme/v2/b.bin", dir / "out.bin", {}).has_value());
  EXPECT_EQ(sha256_of(dir / "out.bin"), sha256_of(source));
  // Refused like a missing object: the answer says nothing about what lies outside.
  EXPECT_EQ(store.get("../in.bin", dir / "x", {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store.get("../in.bin", dir / "x", {}).error().message,
            fmt::format("no object '../in.bin' in file://{}", (dir / "root").string()));
  EXPECT_FALSE(store.put("acme/../../escape", source, "video/mp4").has_value());
  EXPECT_EQ(store.remove_prefix("acme/").value(), 2U);
}

}  // namespace
}  // namespace st
