// JSON Web Key Sets (RFC 7517): the public keys that sign the tokens this
// service accepts, read from the identity provider's JWKS URL (libcurl) or a
// file, and cached.
//
// A key becomes a PEM public key (what libjwt verifies with) through
// OpenSSL 3. Only signing keys this service can use are kept: RSA of at
// least 2048 bits, EC on P-256 or P-384; others are skipped with a note. The
// document is bounded (size, depth, key count) before it is read.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/error.hpp"

namespace st {

struct PublicKey {
  std::string kid;
  std::string kty;  // "RSA" or "EC"
  std::string alg;  // the JWK's "alg" if it names one: the only algorithm it may verify
  std::string crv;  // EC: "P-256" or "P-384"
  std::string pem;  // SubjectPublicKeyInfo
};

struct ParsedJwks {
  std::vector<PublicKey> keys;
  std::vector<std::string> skipped;  // why each unusable key was left out
};

inline constexpr std::size_t kMaxJwksBytes = std::size_t{256} * 1024;

// kInvalidInput when the document is not a JWKS.
Result<ParsedJwks> parse_jwks(const std::string& document);

// Where the JWKS comes from: fetches the current document.
using JwksSource = std::function<Result<std::string>()>;
// GET `url` with libcurl: http(s) only, no redirects to other protocols,
// `timeout`, at most kMaxJwksBytes.
JwksSource jwks_from_url(std::string url, std::chrono::milliseconds timeout);
JwksSource jwks_from_file(std::string path);

// The keys by kid. An unknown kid refreshes the set, at most once per
// `min_refresh` (a flood of made-up kids costs one fetch, not one each), or
// once per 5 s while the last fetch failed. Thread-safe.
class JwksCache {
 public:
  JwksCache(JwksSource source, std::chrono::seconds min_refresh);

  // The key named `kid`, refreshing once if it is unknown and the last
  // refresh is old enough; nullopt when no key has that id.
  std::optional<PublicKey> find(const std::string& kid);
  // Fetches now (at start, so that a bad URL shows at once).
  Result<void> refresh();
  [[nodiscard]] int refreshes() const;

 private:
  Result<void> refresh_locked();

  JwksSource source_;
  std::chrono::seconds min_refresh_;
  mutable std::mutex mutex_;
  std::map<std::string, PublicKey> keys_;
  std::optional<std::chrono::steady_clock::time_point> last_attempt_;
  bool last_failed_ = false;
  int refreshes_ = 0;
};

}  // namespace st
