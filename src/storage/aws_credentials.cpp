#include "storage/aws_credentials.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "storage/sigv4.hpp"

namespace st {
namespace {

std::string tag(const std::string& xml, const std::string& name) {
  const auto open = "<" + name + ">";
  const auto start = xml.find(open);
  if (start == std::string::npos) return {};
  const auto end = xml.find("</" + name + ">", start);
  return end == std::string::npos ? std::string() : xml.substr(start + open.size(), end - start - open.size());
}

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// "2026-11-25T10:00:00Z" (STS's Expiration); the epoch when it cannot be read.
std::chrono::system_clock::time_point parse_utc(const std::string& text) {
  std::tm tm{};
  std::istringstream in(text);
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail()) return {};
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Result<void> WebIdentityCredentials::renew() {
  std::ifstream file(options_.token_file);
  std::string token((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.empty()) {
    return fail(ErrorCode::kUsage,
                fmt::format("the web identity token file {} is missing or empty", options_.token_file));
  }
  // AssumeRoleWithWebIdentity is not signed: the token is the credential.
  const auto body = fmt::format(
      "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}&DurationSeconds={}&"
      "WebIdentityToken={}",
      uri_encode(options_.role_arn, false), uri_encode(options_.session_name, false), options_.duration.count(),
      uri_encode(token, false));
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  std::string response;
  curl_easy_setopt(curl.get(), CURLOPT_URL, (options_.sts_endpoint + "/").c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  const auto code = curl_easy_perform(curl.get());
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (code != CURLE_OK) {
    return fail(ErrorCode::kUnavailable, fmt::format("STS {}: {}", options_.sts_endpoint, curl_easy_strerror(code)));
  }
  if (status != 200) {
    return fail(status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kUsage,
                fmt::format("STS AssumeRoleWithWebIdentity for {}: {} {} {}", options_.role_arn, status,
                            tag(response, "Code"), tag(response, "Message")));
  }
  AwsCredentials fresh{.access_key_id = tag(response, "AccessKeyId"),
                       .secret_access_key = tag(response, "SecretAccessKey"),
                       .session_token = tag(response, "SessionToken")};
  if (fresh.access_key_id.empty() || fresh.secret_access_key.empty()) {
    return fail(ErrorCode::kUnavailable, "STS answered without credentials");
  }
  current_ = std::move(fresh);
  expires_ = parse_utc(tag(response, "Expiration"));
  spdlog::info("assumed {} with the web identity token until {}", options_.role_arn, tag(response, "Expiration"));
  return {};
}

Result<AwsCredentials> WebIdentityCredentials::credentials() {
  std::lock_guard lock(mutex_);
  if (current_.access_key_id.empty() || std::chrono::system_clock::now() + options_.renew_before >= expires_) {
    if (auto renewed = renew(); !renewed) {
      // Credentials that are still valid outlive a failed early renewal.
      if (current_.access_key_id.empty() || std::chrono::system_clock::now() >= expires_) {
        return tl::unexpected(renewed.error());
      }
      spdlog::warn("{}", renewed.error().message);
    }
  }
  return current_;
}

Result<std::shared_ptr<CredentialsProvider>> make_credentials_provider(const CredentialSettings& settings) {
  if (!settings.access_key_id.empty() && !settings.secret_access_key.empty()) {
    return std::make_shared<StaticCredentials>(AwsCredentials{.access_key_id = settings.access_key_id,
                                                              .secret_access_key = settings.secret_access_key,
                                                              .session_token = settings.session_token});
  }
  if (!env("AWS_ACCESS_KEY_ID").empty() && !env("AWS_SECRET_ACCESS_KEY").empty()) {
    return std::make_shared<StaticCredentials>(AwsCredentials{.access_key_id = env("AWS_ACCESS_KEY_ID"),
                                                              .secret_access_key = env("AWS_SECRET_ACCESS_KEY"),
                                                              .session_token = env("AWS_SESSION_TOKEN")});
  }
  if (!env("AWS_ROLE_ARN").empty() && !env("AWS_WEB_IDENTITY_TOKEN_FILE").empty()) {
    WebIdentityOptions options{.role_arn = env("AWS_ROLE_ARN"), .token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE")};
    if (!settings.sts_endpoint.empty()) options.sts_endpoint = settings.sts_endpoint;
    if (!env("AWS_ROLE_SESSION_NAME").empty()) options.session_name = env("AWS_ROLE_SESSION_NAME");
    return std::make_shared<WebIdentityCredentials>(options);
  }
  return fail(ErrorCode::kUsage,
              "S3 is configured but no credentials are: set s3.access_key_id and s3.secret_access_key (or _file), "
              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE");
}

}  // namespace st
