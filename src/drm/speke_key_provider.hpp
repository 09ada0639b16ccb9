// Keys from a SPEKE v2.0 key server: one CPIX 2.3 document POSTed per job
// (`X-Speke-Version: 2.0`), with a fresh random key ID per track type the
// policy asks for, optionally signed with AWS SigV4 (API Gateway's
// `execute-api`, as AWS's own key servers expect).
//
// Failures are sorted for the job's retry policy: a server that cannot be
// reached, times out or answers 5xx or 429 is kUnavailable (the job is tried
// again later); one that answers another 4xx or an unusable document is
// kInvalidInput, with the server's reason (bounded, printable) in the message.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "drm/content_keys.hpp"
#include "storage/s3_store.hpp"

namespace st {

struct SpekeOptions {
  std::string url;  // http(s)://.../speke/v2.0/copyProtection
  bool sigv4 = false;
  std::string region = "us-east-1";
  std::string service = "execute-api";
  std::chrono::milliseconds timeout{10000};
};

class SpekeKeyProvider final : public KeyProvider {
 public:
  // `credentials` is needed (non-null) with `sigv4` only.
  SpekeKeyProvider(SpekeOptions options, std::shared_ptr<CredentialsProvider> credentials)
      : options_(std::move(options)), credentials_(std::move(credentials)) {}

  Result<ContentKeys> keys_for(const KeyRequest& request) override;

 private:
  SpekeOptions options_;
  std::shared_ptr<CredentialsProvider> credentials_;
};

}  // namespace st
