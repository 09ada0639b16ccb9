// ObjectStore over the S3 API with libcurl and our SigV4 signer.
//
// Downloads: HEAD, then ranged GETs of `part_size` bytes, `concurrency` at a
// time, each written at its offset of a pre-sized file. Uploads: one PUT up to
// `multipart_threshold`, else a multipart upload whose parts go up in parallel
// and which is aborted on failure, so no orphaned parts are left to pay for.
// Every request is signed (payload hash included) and retried with exponential
// backoff and jitter on 5xx, 408, 429, SlowDown and network errors, signed anew
// each time; other 4xx fail at once with S3's error code in the message.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "storage/object_store.hpp"
#include "storage/sigv4.hpp"

namespace st {

class Metrics;

// Where credentials come from; refreshed by the provider, asked for per request.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual Result<AwsCredentials> credentials() = 0;
};

// Fixed keys (configuration, or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN).
class StaticCredentials final : public CredentialsProvider {
 public:
  explicit StaticCredentials(AwsCredentials credentials) : credentials_(std::move(credentials)) {}
  Result<AwsCredentials> credentials() override { return credentials_; }

 private:
  AwsCredentials credentials_;
};

struct S3Options {
  std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  bool path_style = true;  // bucket in the path (MinIO, moto) or in the host name (AWS)
  std::uint64_t part_size = 16ULL << 20;
  std::uint64_t multipart_threshold = 64ULL << 20;
  int concurrency = 4;
  int max_attempts = 5;
  std::chrono::milliseconds retry_base{200};
  std::chrono::milliseconds retry_cap{10000};
  std::chrono::seconds request_timeout{300};
  // Requests, bytes, latency and retries by operation (null: not measured).
  Metrics* metrics = nullptr;
};

class S3Store final : public ObjectStore {
 public:
  S3Store(std::string bucket, S3Options options, std::shared_ptr<CredentialsProvider> credentials);
  ~S3Store() override;
  S3Store(const S3Store&) = delete;
  S3Store& operator=(const S3Store&) = delete;

  Result<ObjectInfo> get(const std::string& key, const std::filesystem::path& destination,
                         const std::stop_token& stop) override;
  Result<ObjectInfo> put(const std::string& key, const std::filesystem::path& source,
                         const std::string& content_type) override;
  Result<ObjectInfo> head(const std::string& key) override;
  Result<std::vector<ObjectInfo>> list(const std::string& prefix) override;
  Result<std::size_t> remove_prefix(const std::string& prefix) override;
  [[nodiscard]] std::string location() const override { return "s3://" + bucket_; }

  // Whether the bucket answers (HeadBucket, one attempt within `timeout`): readiness.
  Result<void> check_bucket(std::chrono::milliseconds timeout);
  // Creates the bucket (tests, dev stack); an existing bucket of ours is fine.
  Result<void> create_bucket();

 private:
  struct Request;
  struct Response;
  Result<Response> send(const Request& request);
  Result<ObjectInfo> put_multipart(const std::string& key, const std::filesystem::path& source, std::uint64_t size,
                                   const std::string& content_type);

  std::string bucket_;
  S3Options options_;
  std::shared_ptr<CredentialsProvider> credentials_;
  SigV4Signer signer_;
};

}  // namespace st
