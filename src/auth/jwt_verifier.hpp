// Bearer token validation: a JWS-signed JWT whose key is in the JWKS.
//
// In order, and refusing at the first failure: the token's size and shape
// (three base64url parts, at most 8 KiB); its header (alg in the allow-list:
// never `none`, never HMAC, since the JWKS holds public keys; a `kid`; no
// `crit`); the key (the JWKS's, of the type the alg needs, and of that alg
// if the key names one); the signature (libjwt, with that key); the claims
// (`iss`, `aud`, `exp` required, `nbf` and `iat` if present, each with
// `leeway`); `sub`, the tenant claim and `roles`. libjwt 1.10 takes the alg
// from the header and checks no claim, hence the checks around it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "auth/jwks.hpp"
#include "auth/principal.hpp"
#include "util/error.hpp"

namespace st {

struct JwtVerifierOptions {
  std::string issuer;
  std::string audience;
  std::vector<std::string> algorithms = {"RS256", "ES256"};
  std::chrono::seconds leeway{30};
  std::string tenant_claim = "tenant_id";
  // Tests move time; the service reads the clock.
  std::function<std::int64_t()> now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
};

inline constexpr std::size_t kMaxTokenBytes = std::size_t{8} * 1024;

class JwtVerifier {
 public:
  JwtVerifier(JwtVerifierOptions options, JwksCache& keys) : options_(std::move(options)), keys_(keys) {}

  // The caller, or why the token is refused (kInvalidInput, with a reason
  // fit for a WWW-Authenticate error_description).
  [[nodiscard]] Result<Principal> verify(const std::string& token) const;

 private:
  JwtVerifierOptions options_;
  JwksCache& keys_;
};

// "RS256" and the like: the algorithms a JWKS key can verify.
bool is_supported_algorithm(const std::string& alg);

}  // namespace st
