// AWS Signature Version 4 (header-based), as S3 applies it.
//
// Written here because no Debian package signs AWS requests for C++; checked
// byte for byte against AWS's published SigV4 test suite (tests/unit/sigv4_test).
// S3's rules differ from the generic ones in two ways that matter: the path is
// used as sent (no "." / ".." normalisation, no second percent-encoding), and
// the payload hash is also sent as x-amz-content-sha256.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace st {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials (STS) only
};

struct SignableRequest {
  std::string method;  // "GET"
  // The path as sent on the wire: already percent-encoded, once (see uri_encode).
  std::string path;
  // Decoded names and values; encoded and sorted when signing.
  std::vector<std::pair<std::string, std::string>> query;
  // Every header to sign, including host and x-amz-date (YYYYMMDD'T'HHMMSS'Z').
  std::vector<std::pair<std::string, std::string>> headers;
  std::string payload_sha256;  // lowercase hex of the body's SHA-256
};

class SigV4Signer {
 public:
  SigV4Signer(std::string region, std::string service) : region_(std::move(region)), service_(std::move(service)) {}

  // The steps, exposed so that each can be checked against the test suite.
  [[nodiscard]] static std::string canonical_request(const SignableRequest& request);
  [[nodiscard]] std::string string_to_sign(const SignableRequest& request) const;
  // The Authorization header's value.
  [[nodiscard]] std::string authorization(const SignableRequest& request, const AwsCredentials& credentials) const;

 private:
  [[nodiscard]] std::string scope(std::string_view date) const;
  std::string region_;
  std::string service_;
};

// RFC 3986 percent-encoding of everything but unreserved characters (and "/"
// when `keep_slash`), with uppercase hex digits, as SigV4 and S3 keys need it.
std::string uri_encode(std::string_view text, bool keep_slash);

std::string sha256_hex(std::string_view data);

// "YYYYMMDDTHHMMSSZ" for a Unix time.
std::string amz_date(std::int64_t unix_seconds);

}  // namespace st
