#include "drm/speke_key_provider.hpp"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>
#include <ctime>
#include <memory>

#include <fmt/format.h>

#include "drm/cpix.hpp"
#include "storage/sigv4.hpp"

namespace st {
namespace {

struct Response {
  std::string body;
  bool too_large = false;
};

std::size_t write_bounded(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  const auto bytes = size * count;
  if (response->body.size() + bytes > kMaxCpixBytes) {
    response->too_large = true;
    return 0;  // aborts the transfer
  }
  response->body.append(data, bytes);
  return bytes;
}

// A key server's complaint, made safe to log: its first line, printable, bounded.
std::string reason_of(const std::string& body) {
  std::string out;
  for (const char c : body.substr(0, 200)) {
    if (c == '\n' || c == '\r') break;
    out.push_back(std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?');
  }
  return out.empty() ? std::string("no reason given") : out;
}

struct UrlParts {
  std::string host;  // with the port when the URL has one
  std::string path;
};

Result<UrlParts> url_parts(const std::string& url) {
  const std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), &curl_url_cleanup);
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return fail(ErrorCode::kUsage, fmt::format("drm.speke_url '{}' is not a URL", url));
  }
  const auto part = [&](CURLUPart which) {
    char* text = nullptr;
    std::string out;
    if (curl_url_get(handle.get(), which, &text, 0) == CURLUE_OK && text != nullptr) out = text;
    curl_free(text);
    return out;
  };
  UrlParts parts{.host = part(CURLUPART_HOST), .path = part(CURLUPART_PATH)};
  if (const auto port = part(CURLUPART_PORT); !port.empty()) parts.host += ":" + port;
  if (parts.path.empty()) parts.path = "/";
  return parts;
}

}  // namespace

Result<ContentKeys> SpekeKeyProvider::keys_for(const KeyRequest& request) {
  std::vector<CpixKeyRequest> keys;
  for (const auto type : request.types) {
    CpixKeyRequest key{.kid = {}, .type = type};
    if (RAND_bytes(key.kid.bytes.data(), static_cast<int>(key.kid.bytes.size())) != 1) {
      return fail(ErrorCode::kInternal, "cannot draw a random key ID");
    }
    keys.push_back(key);
  }
  // SPEKE names HLS AES-128 by the CENC scheme of the same cipher mode.
  const auto scheme = request.scheme == "aes-128" ? std::string("cbc1") : request.scheme;
  const auto document = cpix_request(request.content_id, scheme, keys, request.system_ids);

  std::vector<std::string> headers = {"Content-Type: application/xml", "X-Speke-Version: 2.0"};
  if (options_.sigv4) {
    if (!credentials_) return fail(ErrorCode::kUsage, "drm.speke_sigv4 needs AWS credentials");
    auto credentials = credentials_->credentials();
    if (!credentials) return tl::unexpected(credentials.error());
    auto parts = url_parts(options_.url);
    if (!parts) return tl::unexpected(parts.error());
    const auto date = amz_date(static_cast<std::int64_t>(std::time(nullptr)));
    SignableRequest signable{.method = "POST",
                             .path = parts->path,
                             .query = {},
                             .headers = {{"content-type", "application/xml"},
                                         {"host", parts->host},
                                         {"x-amz-date", date},
                                         {"x-speke-version", "2.0"}},
                             .payload_sha256 = sha256_hex(document)};
    if (!credentials->session_token.empty()) {
      signable.headers.emplace_back("x-amz-security-token", credentials->session_token);
      headers.push_back("X-Amz-Security-Token: " + credentials->session_token);
    }
    headers.push_back("X-Amz-Date: " + date);
    headers.push_back("Authorization: " +
                      SigV4Signer(options_.region, options_.service).authorization(signable, *credentials));
  }

  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return fail(ErrorCode::kInternal, "cannot start libcurl");
  curl_slist* list = nullptr;
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list, &curl_slist_free_all);
  Response response;
  curl_easy_setopt(curl.get(), CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, document.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(document.size()));
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write_bounded);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  const auto code = curl_easy_perform(curl.get());
  if (response.too_large) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("the key server's answer is larger than {} bytes", kMaxCpixBytes));
  }
  if (code != CURLE_OK) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("the key server {} cannot be reached: {}", options_.url, curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 500 || status == 429 || status == 408) {
    return fail(ErrorCode::kUnavailable,
                fmt::format("the key server answered {}: {}", status, reason_of(response.body)));
  }
  if (status != 200) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("the key server refused the request ({}): {}", status, reason_of(response.body)));
  }
  auto parsed = parse_cpix_response(response.body, request.content_id, keys, request.system_ids);
  OPENSSL_cleanse(response.body.data(), response.body.size());
  if (!parsed) {
    return fail(parsed.error().code, fmt::format("the key server's answer is unusable: {}", parsed.error().message));
  }
  return parsed;
}

}  // namespace st
