#include "auth/jwks.hpp"

#include <fstream>

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "util/base64.hpp"
#include "util/json_bounds.hpp"

namespace st {
namespace {

using nlohmann::json;

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct ParamBuildFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};

std::optional<std::string> member(const json& key, const char* name) {
  const auto it = key.find(name);
  if (it == key.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Result<std::string> pem_of(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return fail(ErrorCode::kInternal, "cannot write a PEM key");
  char* data = nullptr;
  const auto size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<std::string> key_from_params(const char* type, OSSL_PARAM_BLD* build) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(build));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return fail(ErrorCode::kInvalidInput, "its parameters do not make a public key");
  }
  std::unique_ptr<EVP_PKEY, KeyFree> key(raw);
  return pem_of(key.get());
}

Result<std::string> rsa_pem(const json& jwk) {
  const auto n = base64url_decode(member(jwk, "n").value_or(""));
  const auto e = base64url_decode(member(jwk, "e").value_or(""));
  if (!n || !e || n->empty() || e->empty() || e->size() > 8)
    return fail(ErrorCode::kInvalidInput, "n or e is not base64url");
  std::unique_ptr<BIGNUM, BnFree> bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, BnFree> bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  if (!bn_n || !bn_e) return fail(ErrorCode::kInternal, "out of memory");
  if (BN_num_bits(bn_n.get()) < 2048) return fail(ErrorCode::kInvalidInput, "an RSA key shorter than 2048 bits");
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildFree> build(OSSL_PARAM_BLD_new());
  if (!build || OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return fail(ErrorCode::kInternal, "out of memory");
  }
  return key_from_params("RSA", build.get());
}

Result<std::string> ec_pem(const json& jwk, const std::string& crv) {
  const char* group = nullptr;
  std::size_t coordinate = 0;
  if (crv == "P-256") {
    group = "prime256v1";
    coordinate = 32;
  } else if (crv == "P-384") {
    group = "secp384r1";
    coordinate = 48;
  } else {
    return fail(ErrorCode::kInvalidInput, fmt::format("the curve '{}' is not supported", crv.substr(0, 16)));
  }
  const auto x = base64url_decode(member(jwk, "x").value_or(""));
  const auto y = base64url_decode(member(jwk, "y").value_or(""));
  if (!x || !y || x->size() != coordinate || y->size() != coordinate) {
    return fail(ErrorCode::kInvalidInput, "x or y is not a coordinate of the curve");
  }
  std::string point = "\x04" + *x + *y;  // uncompressed SEC 1 point
  std::unique_ptr<OSSL_PARAM_BLD, ParamBuildFree> build(OSSL_PARAM_BLD_new());
  if (!build || OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return fail(ErrorCode::kInternal, "out of memory");
  }
  return key_from_params("EC", build.get());
}

constexpr std::chrono::seconds kRetryAfterFailure{5};

std::size_t write_bounded(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const auto bytes = size * count;
  if (body->size() + bytes > kMaxJwksBytes) return 0;  // aborts the transfer
  body->append(data, bytes);
  return bytes;
}

}  // namespace

Result<ParsedJwks> parse_jwks(const std::string& document) {
  if (auto bounded = check_json_bounds(document, {.max_bytes = kMaxJwksBytes, .max_depth = 8}); !bounded) {
    return fail(ErrorCode::kInvalidInput, "the JWKS is refused: " + bounded.error().message);
  }
  const auto doc = json::parse(document, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return fail(ErrorCode::kInvalidInput, "the JWKS is not a JSON object with a \"keys\" array");
  }
  if (doc["keys"].size() > 100) return fail(ErrorCode::kInvalidInput, "the JWKS has more than 100 keys");
  ParsedJwks parsed;
  for (const auto& jwk : doc["keys"]) {
    if (!jwk.is_object()) continue;
    PublicKey key;
    key.kid = member(jwk, "kid").value_or("");
    key.kty = member(jwk, "kty").value_or("");
    key.alg = member(jwk, "alg").value_or("");
    const auto use = member(jwk, "use").value_or("sig");
    const auto skip = [&](const std::string& why) {
      parsed.skipped.push_back(fmt::format("key '{}': {}", key.kid.substr(0, 64), why));
    };
    if (key.kid.empty() || key.kid.size() > 256) {
      skip("no kid (or one longer than 256 bytes)");
      continue;
    }
    if (use != "sig") {
      skip("not a signing key");
      continue;
    }
    Result<std::string> pem = fail(ErrorCode::kInvalidInput, "");
    if (key.kty == "RSA") {
      pem = rsa_pem(jwk);
    } else if (key.kty == "EC") {
      key.crv = member(jwk, "crv").value_or("");
      pem = ec_pem(jwk, key.crv);
    } else {
      skip(fmt::format("the key type '{}' cannot verify RS or ES signatures", key.kty.substr(0, 16)));
      continue;
    }
    if (!pem) {
      skip(pem.error().message);
      continue;
    }
    key.pem = std::move(*pem);
    parsed.keys.push_back(std::move(key));
  }
  return parsed;
}

JwksSource jwks_from_url(std::string url, std::chrono::milliseconds timeout) {
  return [url = std::move(url), timeout]() -> Result<std::string> {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) return fail(ErrorCode::kInternal, "cannot start libcurl");
    std::string body;
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write_bounded);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
    const auto code = curl_easy_perform(curl.get());
    if (code != CURLE_OK) {
      return fail(ErrorCode::kUnavailable,
                  fmt::format("cannot fetch the JWKS from {}: {}", url, curl_easy_strerror(code)));
    }
    long status = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) return fail(ErrorCode::kUnavailable, fmt::format("the JWKS at {} answered {}", url, status));
    return body;
  };
}

JwksSource jwks_from_file(std::string path) {
  return [path = std::move(path)]() -> Result<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(ErrorCode::kUnavailable, fmt::format("cannot read the JWKS file {}", path));
    std::string body(kMaxJwksBytes + 1, '\0');
    in.read(body.data(), static_cast<std::streamsize>(body.size()));
    body.resize(static_cast<std::size_t>(in.gcount()));
    if (body.size() > kMaxJwksBytes) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("the JWKS file {} is larger than {} bytes", path, kMaxJwksBytes));
    }
    return body;
  };
}

JwksCache::JwksCache(JwksSource source, std::chrono::seconds min_refresh)
    : source_(std::move(source)), min_refresh_(min_refresh) {}

Result<void> JwksCache::refresh() {
  std::lock_guard lock(mutex_);
  return refresh_locked();
}

Result<void> JwksCache::refresh_locked() {
  last_attempt_ = std::chrono::steady_clock::now();
  ++refreshes_;
  last_failed_ = true;
  auto document = source_();
  if (!document) return tl::unexpected(document.error());
  auto parsed = parse_jwks(*document);
  if (!parsed) return tl::unexpected(parsed.error());
  last_failed_ = false;
  for (const auto& why : parsed->skipped) spdlog::warn("JWKS: {} (skipped)", why);
  std::map<std::string, PublicKey> keys;
  for (auto& key : parsed->keys) keys.emplace(key.kid, std::move(key));
  keys_ = std::move(keys);
  return {};
}

std::optional<PublicKey> JwksCache::find(const std::string& kid) {
  std::lock_guard lock(mutex_);
  if (const auto it = keys_.find(kid); it != keys_.end()) return it->second;
  const auto now = std::chrono::steady_clock::now();
  // After a failed fetch (the identity provider was down when we started)
  // the next try comes sooner, still bounded.
  const auto interval = last_failed_ ? std::min<std::chrono::seconds>(min_refresh_, kRetryAfterFailure) : min_refresh_;
  if (last_attempt_ && now - *last_attempt_ < interval) return std::nullopt;
  // Held while fetching: concurrent requests with unknown kids wait for this
  // one fetch instead of starting their own.
  if (auto refreshed = refresh_locked(); !refreshed) {
    spdlog::warn("JWKS refresh failed, keeping the keys we had: {}", refreshed.error().message);
  }
  if (const auto it = keys_.find(kid); it != keys_.end()) return it->second;
  return std::nullopt;
}

int JwksCache::refreshes() const {
  std::lock_guard lock(mutex_);
  return refreshes_;
}

}  // namespace st
