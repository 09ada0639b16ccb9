// A bearer token as an attacker sends it, through JwtVerifier: header and
// claims decoding, the algorithm and key checks, libjwt's signature check and
// the claim checks, against a fixed JWKS (RFC 7517's example RSA key and an
// EC key).
#include <cstddef>
#include <cstdint>
#include <string>

#include "auth/jwt_verifier.hpp"

namespace {

constexpr const char* kKeys = R"({"keys":[
  {"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
   "e":"AQAB","alg":"RS256","kid":"rsa"},
  {"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
   "y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","kid":"ec"}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static st::JwksCache keys([]() -> st::Result<std::string> { return std::string(kKeys); }, std::chrono::hours(1));
  static const st::JwtVerifier verifier(st::JwtVerifierOptions{.issuer = "https://issuer.test",
                                                               .audience = "stream-transcoding",
                                                               .now = [] { return std::int64_t{1800000000}; }},
                                        keys);
  const std::string token(reinterpret_cast<const char*>(data), size);
  (void)verifier.verify(token);
  return 0;
}
