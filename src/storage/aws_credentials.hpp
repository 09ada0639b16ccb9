// Where S3 credentials come from, in the order AWS SDKs use:
//   1. keys in the configuration (s3.access_key_id, s3.secret_access_key[_file]);
//   2. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN);
//   3. web identity: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE, exchanged with
//      STS AssumeRoleWithWebIdentity and renewed before they expire (how a pod
//      gets its IAM role on EKS).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "storage/s3_store.hpp"

namespace st {

struct WebIdentityOptions {
  std::string role_arn;
  std::string token_file;  // re-read at each renewal: the kubelet rotates it
  std::string sts_endpoint = "https://sts.amazonaws.com";
  std::string session_name = "stream-transcoding";
  std::chrono::seconds duration{3600};
  std::chrono::seconds renew_before{300};  // renew this long before expiry
};

class WebIdentityCredentials final : public CredentialsProvider {
 public:
  explicit WebIdentityCredentials(WebIdentityOptions options) : options_(std::move(options)) {}
  Result<AwsCredentials> credentials() override;

 private:
  Result<void> renew();
  WebIdentityOptions options_;
  std::mutex mutex_;
  AwsCredentials current_;
  std::chrono::system_clock::time_point expires_{};
};

struct CredentialSettings {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string sts_endpoint;  // for web identity; empty: AWS's
};

// The provider for these settings and this process's environment; kUsage when
// nothing provides credentials.
Result<std::shared_ptr<CredentialsProvider>> make_credentials_provider(const CredentialSettings& settings);

}  // namespace st
