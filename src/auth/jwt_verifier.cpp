#include "auth/jwt_verifier.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include <fmt/format.h>
#include <jwt.h>
#include <nlohmann/json.hpp>

#include "storage/naming.hpp"
#include "util/base64.hpp"
#include "util/json_bounds.hpp"

namespace st {

namespace {

using nlohmann::json;

tl::unexpected<Error> refuse(std::string why) {
  return fail(ErrorCode::kInvalidInput, std::move(why));
}

// The family of key an algorithm needs, and for EC its curve.
struct AlgorithmNeeds {
  std::string kty;
  std::string crv;
};

std::optional<AlgorithmNeeds> needs_of(const std::string& alg) {
  if (alg == "RS256" || alg == "RS384" || alg == "RS512") return AlgorithmNeeds{"RSA", ""};
  if (alg == "ES256") return AlgorithmNeeds{"EC", "P-256"};
  if (alg == "ES384") return AlgorithmNeeds{"EC", "P-384"};
  return std::nullopt;
}

Result<json> decode_part(std::string_view part, const char* what) {
  const auto bytes = base64url_decode(part);
  if (!bytes) return refuse(fmt::format("the token's {} is not base64url", what));
  if (auto bounded = check_json_bounds(*bytes, {.max_bytes = kMaxTokenBytes, .max_depth = 8}); !bounded) {
    return refuse(fmt::format("the token's {} is refused: {}", what, bounded.error().message));
  }
  auto value = json::parse(*bytes, nullptr, false);
  if (value.is_discarded() || !value.is_object())
    return refuse(fmt::format("the token's {} is not a JSON object", what));
  return value;
}

std::optional<std::int64_t> numeric_date(const json& claims, const char* name, bool* malformed) {
  const auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>()) || std::abs(it->get<double>()) > 1e11) {
    *malformed = true;
    return std::nullopt;
  }
  return static_cast<std::int64_t>(it->get<double>());
}

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};

}  // namespace

bool is_supported_algorithm(const std::string& alg) {
  return needs_of(alg).has_value();
}

Result<Principal> JwtVerifier::verify(const std::string& token) const {
  if (token.empty()) return refuse("no token");
  if (token.size() > kMaxTokenBytes) return refuse(fmt::format("the token is longer than {} bytes", kMaxTokenBytes));
  const auto first = token.find('.');
  const auto second = first == std::string::npos ? std::string::npos : token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos) {
    return refuse("the token is not a JWS compact serialization (three parts)");
  }
  auto header = decode_part(std::string_view(token).substr(0, first), "header");
  if (!header) return tl::unexpected(header.error());
  const auto alg = header->value("alg", json()).is_string() ? (*header)["alg"].get<std::string>() : std::string();
  if (std::find(options_.algorithms.begin(), options_.algorithms.end(), alg) == options_.algorithms.end() ||
      !needs_of(alg)) {
    return refuse(fmt::format("the algorithm '{}' is not accepted", alg.substr(0, 16)));
  }
  if (header->contains("crit")) return refuse("the token has critical header parameters this service does not know");
  const auto kid_it = header->find("kid");
  if (kid_it == header->end() || !kid_it->is_string() || kid_it->get_ref<const std::string&>().empty() ||
      kid_it->get_ref<const std::string&>().size() > 256) {
    return refuse("the token names no key (kid)");
  }
  const auto key = keys_.find(kid_it->get<std::string>());
  if (!key) return refuse("the token's key (kid) is not in the JWKS");
  const auto needs = *needs_of(alg);
  if (key->kty != needs.kty || (!needs.crv.empty() && key->crv != needs.crv) ||
      (!key->alg.empty() && key->alg != alg)) {
    return refuse(fmt::format("the key '{}' cannot verify {}", key->kid.substr(0, 64), alg));
  }

  jwt_t* raw = nullptr;
  const int decoded = jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(key->pem.data()),
                                 static_cast<int>(key->pem.size()));
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  if (decoded != 0 || !jwt) return refuse("the token's signature does not verify");
  // libjwt chose the algorithm from the header: it must be the one we checked.
  if (jwt_get_alg(jwt.get()) != jwt_str_alg(alg.c_str())) return refuse("the token's algorithm changed");

  auto claims = decode_part(std::string_view(token).substr(first + 1, second - first - 1), "claims");
  if (!claims) return tl::unexpected(claims.error());
  if (!claims->value("iss", json()).is_string() || (*claims)["iss"].get<std::string>() != options_.issuer) {
    return refuse("the token's issuer (iss) is not accepted");
  }
  const auto aud = claims->value("aud", json());
  const bool audience_ok = (aud.is_string() && aud.get<std::string>() == options_.audience) ||
                           (aud.is_array() && std::any_of(aud.begin(), aud.end(), [&](const json& a) {
                              return a.is_string() && a.get<std::string>() == options_.audience;
                            }));
  if (!audience_ok) return refuse("the token is not meant for this service (aud)");
  bool malformed = false;
  const auto exp = numeric_date(*claims, "exp", &malformed);
  const auto nbf = numeric_date(*claims, "nbf", &malformed);
  const auto iat = numeric_date(*claims, "iat", &malformed);
  if (malformed) return refuse("the token's exp, nbf or iat is not a NumericDate");
  const auto now = options_.now();
  const auto leeway = options_.leeway.count();
  if (!exp) return refuse("the token has no expiry (exp)");
  if (now >= *exp + leeway) return refuse("the token has expired");
  if (nbf && now + leeway < *nbf) return refuse("the token is not valid yet (nbf)");
  if (iat && now + leeway < *iat) return refuse("the token was issued in the future (iat)");

  Principal principal;
  const auto sub = claims->value("sub", json());
  if (!sub.is_string() || sub.get<std::string>().empty() || sub.get<std::string>().size() > 256) {
    return refuse("the token has no subject (sub)");
  }
  principal.subject = sub.get<std::string>();
  const auto tenant = claims->value(options_.tenant_claim, json());
  if (!tenant.is_string() || !is_safe_id(tenant.get<std::string>()) || tenant.get<std::string>().size() > 64) {
    return refuse(fmt::format("the token has no valid tenant ({})", options_.tenant_claim));
  }
  principal.tenant = tenant.get<std::string>();
  const auto roles = claims->value("roles", json());
  if (roles.is_array() && roles.size() <= 32) {
    for (const auto& role : roles) {
      if (!role.is_string()) continue;
      const auto& name = role.get_ref<const std::string&>();
      if (name == "viewer") principal.roles.push_back(Role::kViewer);
      if (name == "operator") principal.roles.push_back(Role::kOperator);
      if (name == "admin") principal.roles.push_back(Role::kAdmin);
    }
  }
  return principal;
}

}  // namespace st
