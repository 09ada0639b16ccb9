#include "storage/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <map>

#include <fmt/format.h>

namespace st {
namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0f];
  }
  return out;
}

std::string hmac(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &size);
  return {reinterpret_cast<const char*>(out.data()), size};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims and collapses runs of spaces (SigV4's "Trimall").
std::string trim_all(std::string_view value) {
  std::string out;
  bool space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Lowercase names, sorted, each with its values in order joined by commas.
std::map<std::string, std::string> canonical_headers(const SignableRequest& request) {
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : request.headers) {
    auto& joined = headers[lower(name)];
    if (!joined.empty()) joined += ',';
    joined += trim_all(value);
  }
  return headers;
}

std::string signed_header_names(const std::map<std::string, std::string>& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out += (out.empty() ? "" : ";") + name;
  return out;
}

std::string header_value(const SignableRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (lower(n) == name) return v;
  }
  return {};
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", u);
    }
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return hex(digest.data(), digest.size());
}

std::string amz_date(std::int64_t unix_seconds) {
  const auto time = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  std::array<char, 20> text{};
  std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
  return text.data();
}

std::string SigV4Signer::canonical_request(const SignableRequest& request) {
  std::vector<std::pair<std::string, std::string>> query;
  query.reserve(request.query.size());
  for (const auto& [name, value] : request.query) query.emplace_back(uri_encode(name, false), uri_encode(value, false));
  // Sorted by encoded name, then value.
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [name, value] : query)
    canonical_query += fmt::format("{}{}={}", canonical_query.empty() ? "" : "&", name, value);

  const auto headers = canonical_headers(request);
  std::string header_lines;
  for (const auto& [name, value] : headers) header_lines += fmt::format("{}:{}\n", name, value);
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, request.path.empty() ? "/" : request.path,
                     canonical_query, header_lines, signed_header_names(headers), request.payload_sha256);
}

std::string SigV4Signer::scope(std::string_view date) const {
  return fmt::format("{}/{}/{}/aws4_request", date.substr(0, 8), region_, service_);
}

std::string SigV4Signer::string_to_sign(const SignableRequest& request) const {
  const auto date = header_value(request, "x-amz-date");
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", date, scope(date), sha256_hex(canonical_request(request)));
}

std::string SigV4Signer::authorization(const SignableRequest& request, const AwsCredentials& credentials) const {
  const auto date = header_value(request, "x-amz-date");
  // The signing key is derived from the secret through the scope's parts.
  auto key = hmac("AWS4" + credentials.secret_access_key, date.substr(0, 8));
  key = hmac(key, region_);
  key = hmac(key, service_);
  key = hmac(key, "aws4_request");
  const auto signature = hmac(key, string_to_sign(request));
  return fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}", credentials.access_key_id,
                     scope(date), signed_header_names(canonical_headers(request)),
                     hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size()));
}

}  // namespace st
