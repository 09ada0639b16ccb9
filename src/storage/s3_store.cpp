#include "storage/s3_store.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "observability/metrics.hpp"
#include "observability/tracing.hpp"
#include "util/files.hpp"
#include "util/parallel.hpp"
#include "util/retry.hpp"
#include "util/sha256.hpp"
#include "util/xml.hpp"

namespace st {
namespace {

constexpr std::size_t kMaxErrorBody = std::size_t{64} * 1024;

// One libcurl handle per thread, reused so that connections are kept alive.
class CurlHandle {
 public:
  CurlHandle() : curl_(curl_easy_init()) {}
  CurlHandle(const CurlHandle&) = delete;
  CurlHandle& operator=(const CurlHandle&) = delete;
  ~CurlHandle() { curl_easy_cleanup(curl_); }
  CURL* get() {
    curl_easy_reset(curl_);
    return curl_;
  }

 private:
  CURL* curl_;
};

CURL* thread_curl() {
  thread_local CurlHandle handle;
  return handle.get();
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string xml_decode(std::string text) {
  const std::array<std::pair<std::string_view, std::string_view>, 5> entities = {
      {{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}}};
  for (const auto& [entity, character] : entities) {
    for (auto at = text.find(entity); at != std::string::npos; at = text.find(entity, at + character.size())) {
      text.replace(at, entity.size(), character);
    }
  }
  return text;
}

// The texts of every <tag>...</tag> in S3's XML answers (flat, well-formed, no CDATA).
std::vector<std::string> xml_values(std::string_view xml, std::string_view tag) {
  std::vector<std::string> values;
  const auto open = fmt::format("<{}>", tag);
  const auto close = fmt::format("</{}>", tag);
  for (auto start = xml.find(open); start != std::string_view::npos; start = xml.find(open, start)) {
    start += open.size();
    const auto end = xml.find(close, start);
    if (end == std::string_view::npos) break;
    values.push_back(xml_decode(std::string(xml.substr(start, end - start))));
    start = end + close.size();
  }
  return values;
}

std::string xml_value(std::string_view xml, std::string_view tag) {
  auto values = xml_values(xml, tag);
  return values.empty() ? std::string() : values.front();
}

}  // namespace

struct S3Store::Request {
  std::string operation;  // for messages: "GetObject"
  std::string method;
  std::string key;  // empty: the bucket itself
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A file range as the body instead (uploads), when body_fd >= 0.
  int body_fd = -1;
  std::uint64_t body_offset = 0;
  std::uint64_t body_size = 0;
  // Where a successful response body goes (downloads), when response_fd >= 0.
  int response_fd = -1;
  std::uint64_t response_offset = 0;
  // Overrides of the options, for a probe that must answer quickly: one
  // attempt, a short time limit.
  int max_attempts = 0;
  std::chrono::milliseconds timeout{0};
};

struct S3Store::Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;                            // unless written to response_fd
};

namespace {

struct Transfer {
  CURL* curl = nullptr;
  int body_fd = -1;
  std::uint64_t body_offset = 0;
  std::uint64_t body_left = 0;
  int response_fd = -1;
  std::uint64_t response_offset = 0;
  bool write_failed = false;
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(size * count, t.body_left));
  if (want == 0) return 0;
  const auto got = ::pread(t.body_fd, buffer, want, static_cast<off_t>(t.body_offset));
  if (got < 0) return CURL_READFUNC_ABORT;
  t.body_offset += static_cast<std::uint64_t>(got);
  t.body_left -= static_cast<std::uint64_t>(got);
  return static_cast<std::size_t>(got);
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const auto bytes = size * count;
  if (t.status == 0) curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &t.status);
  if (t.response_fd >= 0 && t.status >= 200 && t.status < 300) {
    std::size_t written = 0;
    while (written < bytes) {
      const auto n =
          ::pwrite(t.response_fd, data + written, bytes - written, static_cast<off_t>(t.response_offset + written));
      if (n <= 0) {
        t.write_failed = true;
        return 0;  // aborts the transfer
      }
      written += static_cast<std::size_t>(n);
    }
    t.response_offset += bytes;
    return bytes;
  }
  if (t.body.size() < kMaxErrorBody) t.body.append(data, std::min(bytes, kMaxErrorBody - t.body.size()));
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& t = *static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) t.headers.clear();  // a new response (after 100 Continue or a redirect)
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    t.headers[lower(std::string(line.substr(0, colon)))] = std::string(value);
  }
  return size * count;
}

bool is_retryable_status(long status) {
  return status >= 500 || status == 408 || status == 429;
}

bool is_retryable_curl(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

S3Store::S3Store(std::string bucket, S3Options options, std::shared_ptr<CredentialsProvider> credentials)
    : bucket_(std::move(bucket)),
      options_(std::move(options)),
      credentials_(std::move(credentials)),
      signer_(options_.region, "s3") {
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/') options_.endpoint.pop_back();
}

S3Store::~S3Store() = default;

Result<S3Store::Response> S3Store::send(const Request& request) {
  // The host as the endpoint names it, with the bucket in front for virtual-host addressing.
  const auto scheme_end = options_.endpoint.find("://");
  const auto scheme = options_.endpoint.substr(0, scheme_end);
  auto host = options_.endpoint.substr(scheme_end == std::string::npos ? 0 : scheme_end + 3);
  auto path = std::string("/");
  if (options_.path_style) {
    path += bucket_;
    if (!request.key.empty()) path += "/" + uri_encode(request.key, true);
  } else {
    host = bucket_ + "." + host;
    path += uri_encode(request.key, true);
  }
  std::string query;
  for (const auto& [name, value] : request.query) {
    query += fmt::format("{}{}", query.empty() ? "?" : "&", uri_encode(name, false));
    if (!value.empty() || name != "uploads") query += "=" + uri_encode(value, false);
  }
  const auto url = fmt::format("{}://{}{}{}", scheme, host, path, query);

  std::string payload_hash;
  if (request.body_fd >= 0) {
    auto hashed = sha256_of_file_range(request.body_fd, request.body_offset, request.body_size);
    if (!hashed) return tl::unexpected(hashed.error());
    payload_hash = hashed->hex;
  } else {
    payload_hash = sha256_hex(request.body);
  }

  RetryPolicy retry{.base = options_.retry_base,
                    .cap = options_.retry_cap,
                    .max_attempts = request.max_attempts > 0 ? request.max_attempts : options_.max_attempts};
  std::string last_problem;
  for (int attempt = 1;; ++attempt) {
    auto credentials = credentials_->credentials();
    if (!credentials) return tl::unexpected(credentials.error());
    SignableRequest signable{
        .method = request.method, .path = path, .query = request.query, .headers = {}, .payload_sha256 = payload_hash};
    signable.headers = {
        {"host", host},
        {"x-amz-date",
         amz_date(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                      .count())},
        {"x-amz-content-sha256", payload_hash}};
    if (!credentials->session_token.empty())
      signable.headers.emplace_back("x-amz-security-token", credentials->session_token);
    for (const auto& header : request.headers) signable.headers.push_back(header);

    // One client span per attempt (OpenTelemetry's AWS SDK conventions), a
    // child of the step or part that sends it.
    Span span(fmt::format("S3.{}", request.operation), SpanKind::kClient);
    span.set("rpc.system", "aws-api");
    span.set("rpc.service", "S3");
    span.set("rpc.method", request.operation);
    span.set("aws.s3.bucket", bucket_);
    if (!request.key.empty()) span.set("aws.s3.key", request.key);
    span.set("http.request.method", request.method);
    span.set("server.address", host);
    if (attempt > 1) span.set("http.request.resend_count", static_cast<std::int64_t>(attempt - 1));
    const auto sent_at = std::chrono::steady_clock::now();
    CURL* curl = thread_curl();
    Transfer t{.curl = curl,
               .body_fd = request.body_fd,
               .body_offset = request.body_offset,
               .body_left = request.body_size,
               .response_fd = request.response_fd,
               .response_offset = request.response_offset};
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : signable.headers) {
      if (name != "host") headers = curl_slist_append(headers, fmt::format("{}: {}", name, value).c_str());
    }
    headers = curl_slist_append(
        headers, fmt::format("Authorization: {}", signer_.authorization(signable, *credentials)).c_str());
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, curl_slist_free_all);

    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (request.timeout.count() > 0) {
      curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
      curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    } else {
      curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
      curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(options_.request_timeout.count()));
    }
    // A stalled transfer is abandoned after 30 s below 1 KiB/s, and retried.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 30L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
      curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
      if (request.body_fd >= 0) {
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &t);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
      } else {
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(0));
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(curl, CURLOPT_READDATA, &t);
      }
    } else if (request.method == "POST") {
      curl_easy_setopt(curl, CURLOPT_POST, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    const auto code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.status);
    if (t.status > 0) span.set("http.response.status_code", static_cast<std::int64_t>(t.status));
    if (code != CURLE_OK || t.status >= 400) {
      span.set_error(code != CURLE_OK ? curl_easy_strerror(code) : fmt::format("status {}", t.status));
    }
    if (auto* metrics = options_.metrics) {
      curl_off_t uploaded = 0;
      curl_off_t downloaded = 0;
      curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &uploaded);
      curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &downloaded);
      metrics->s3_request(request.operation, code == CURLE_OK ? static_cast<int>(t.status) : 0,
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - sent_at).count(),
                          static_cast<std::uint64_t>(std::max<curl_off_t>(uploaded, 0)),
                          static_cast<std::uint64_t>(std::max<curl_off_t>(downloaded, 0)));
    }
    if (t.write_failed) {
      return fail(ErrorCode::kIo, fmt::format("S3 {} {}: cannot write the download: {}", request.operation, request.key,
                                              std::strerror(errno)));
    }
    bool retry_this = false;
    if (code != CURLE_OK) {
      last_problem = curl_easy_strerror(code);
      retry_this = is_retryable_curl(code);
      if (!retry_this) {
        return fail(ErrorCode::kUnavailable, fmt::format("S3 {} {}: {}", request.operation, request.key, last_problem));
      }
    } else if (t.status >= 200 && t.status < 300) {
      return Response{t.status, std::move(t.headers), std::move(t.body)};
    } else {
      const auto s3_code = xml_value(t.body, "Code");
      const auto message = xml_value(t.body, "Message");
      last_problem = fmt::format("{} {}{}", t.status, s3_code.empty() ? "(no error code)" : s3_code,
                                 message.empty() ? "" : fmt::format(" ({})", message));
      retry_this = is_retryable_status(t.status) || s3_code == "SlowDown" || s3_code == "RequestTimeout";
      if (!retry_this) {
        // 404 is "not there"; other 4xx are requests that cannot succeed as they are.
        const auto error_code = t.status == 404 ? ErrorCode::kNotFound : ErrorCode::kUsage;
        return fail(error_code, fmt::format("S3 {} {}/{}: {}", request.operation, bucket_, request.key, last_problem));
      }
    }
    if (attempt >= retry.max_attempts) {
      return fail(ErrorCode::kUnavailable, fmt::format("S3 {} {}/{} failed {} times, last: {}", request.operation,
                                                       bucket_, request.key, attempt, last_problem));
    }
    const auto wait = retry.delay(attempt);
    if (options_.metrics != nullptr) options_.metrics->s3_retry(request.operation);
    spdlog::debug("S3 {} {}: {}; retrying in {} ms", request.operation, request.key, last_problem, wait.count());
    std::this_thread::sleep_for(wait);
  }
}

Result<ObjectInfo> S3Store::head(const std::string& key) {
  auto response = send({.operation = "HeadObject", .method = "HEAD", .key = key});
  if (!response) return tl::unexpected(response.error());
  ObjectInfo info{.key = key};
  if (const auto it = response->headers.find("content-length"); it != response->headers.end()) {
    info.size = std::stoull(it->second);
  }
  if (const auto it = response->headers.find("etag"); it != response->headers.end()) info.etag = it->second;
  return info;
}

Result<ObjectInfo> S3Store::get(const std::string& key, const std::filesystem::path& destination,
                                const std::stop_token& stop) {
  auto info = head(key);
  if (!info) return tl::unexpected(info.error());
  const UniqueFd fd(::open(destination.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) {
    return fail(ErrorCode::kIo, fmt::format("cannot create {}: {}", destination.string(), std::strerror(errno)));
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(info->size)) != 0) {
    return fail(ErrorCode::kIo, fmt::format("cannot size {}: {}", destination.string(), std::strerror(errno)));
  }
  const auto part = std::max<std::uint64_t>(options_.part_size, 1);
  const auto parts = std::max<std::uint64_t>((info->size + part - 1) / part, 1);
  auto fetched = parallel_for(parts, options_.concurrency, [&](std::size_t i) -> Result<void> {
    if (stop.stop_requested()) return fail(ErrorCode::kCancelled, fmt::format("the download of {} was stopped", key));
    const auto first = i * part;
    if (info->size == 0) {
      return send({.operation = "GetObject", .method = "GET", .key = key, .response_fd = fd.get()}).map([](auto&&) {});
    }
    const auto last = std::min(first + part, info->size) - 1;
    // If-Match: every part comes from the same version of the object.
    std::vector<std::pair<std::string, std::string>> headers = {{"range", fmt::format("bytes={}-{}", first, last)}};
    if (!info->etag.empty()) headers.emplace_back("if-match", info->etag);
    auto response = send({.operation = "GetObject",
                          .method = "GET",
                          .key = key,
                          .headers = headers,
                          .response_fd = fd.get(),
                          .response_offset = first});
    if (!response) return tl::unexpected(response.error());
    return {};
  });
  if (!fetched) {
    std::error_code ignored;
    std::filesystem::remove(destination, ignored);
    return tl::unexpected(fetched.error());
  }
  if (::fsync(fd.get()) != 0) return fail(ErrorCode::kIo, fmt::format("cannot sync {}", destination.string()));
  const auto written = std::filesystem::file_size(destination);
  if (written != info->size) {
    return fail(ErrorCode::kUnavailable, fmt::format("S3 GetObject {}: got {} bytes of {}", key, written, info->size));
  }
  return info;
}

Result<ObjectInfo> S3Store::put(const std::string& key, const std::filesystem::path& source,
                                const std::string& content_type) {
  std::error_code error;
  const auto size = std::filesystem::file_size(source, error);
  if (error) return fail(ErrorCode::kIo, fmt::format("cannot read {}: {}", source.string(), error.message()));
  if (size > options_.multipart_threshold) return put_multipart(key, source, size, content_type);
  const UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return fail(ErrorCode::kIo, fmt::format("cannot open {}: {}", source.string(), std::strerror(errno)));
  auto response = send({.operation = "PutObject",
                        .method = "PUT",
                        .key = key,
                        .headers = {{"content-type", content_type}},
                        .body_fd = fd.get(),
                        .body_size = size});
  if (!response) return tl::unexpected(response.error());
  return ObjectInfo{.key = key, .size = size, .etag = response->headers["etag"]};
}

Result<ObjectInfo> S3Store::put_multipart(const std::string& key, const std::filesystem::path& source,
                                          std::uint64_t size, const std::string& content_type) {
  const UniqueFd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return fail(ErrorCode::kIo, fmt::format("cannot open {}: {}", source.string(), std::strerror(errno)));
  auto created = send({.operation = "CreateMultipartUpload",
                       .method = "POST",
                       .key = key,
                       .query = {{"uploads", ""}},
                       .headers = {{"content-type", content_type}}});
  if (!created) return tl::unexpected(created.error());
  const auto upload_id = xml_value(created->body, "UploadId");
  if (upload_id.empty())
    return fail(ErrorCode::kUnavailable, fmt::format("S3 CreateMultipartUpload {}: no UploadId", key));

  // S3 allows at most 10,000 parts: larger files get larger parts.
  const auto part = std::max(options_.part_size, (size + 9999) / 10000);
  const auto parts = (size + part - 1) / part;
  std::vector<std::string> etags(parts);
  auto uploaded = parallel_for(parts, options_.concurrency, [&](std::size_t i) -> Result<void> {
    const auto offset = i * part;
    auto response = send({.operation = "UploadPart",
                          .method = "PUT",
                          .key = key,
                          .query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}},
                          .body_fd = fd.get(),
                          .body_offset = offset,
                          .body_size = std::min(part, size - offset)});
    if (!response) return tl::unexpected(response.error());
    etags[i] = response->headers["etag"];
    return {};
  });
  if (uploaded) {
    std::string body = R"(<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">)";
    for (std::size_t i = 0; i < parts; ++i) {
      body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, xml_escape(etags[i]));
    }
    body += "</CompleteMultipartUpload>";
    auto completed = send({.operation = "CompleteMultipartUpload",
                           .method = "POST",
                           .key = key,
                           .query = {{"uploadId", upload_id}},
                           .headers = {{"content-type", "application/xml"}},
                           .body = body});
    // CompleteMultipartUpload can fail with 200 and an <Error> body.
    if (completed && xml_value(completed->body, "Code").empty()) {
      return ObjectInfo{.key = key, .size = size, .etag = xml_value(completed->body, "ETag")};
    }
    uploaded = completed ? fail(ErrorCode::kUnavailable, fmt::format("S3 CompleteMultipartUpload {}: {}", key,
                                                                     xml_value(completed->body, "Code")))
                         : tl::unexpected(completed.error());
  }
  // Parts of an abandoned upload are stored (and billed) until it is aborted.
  if (auto aborted = send(
          {.operation = "AbortMultipartUpload", .method = "DELETE", .key = key, .query = {{"uploadId", upload_id}}});
      !aborted) {
    spdlog::warn("could not abort the multipart upload of {}: {}", key, aborted.error().message);
  }
  return tl::unexpected(uploaded.error());
}

Result<std::vector<ObjectInfo>> S3Store::list(const std::string& prefix) {
  std::vector<ObjectInfo> objects;
  std::string token;
  for (;;) {
    Request request{.operation = "ListObjectsV2", .method = "GET", .query = {{"list-type", "2"}, {"prefix", prefix}}};
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    auto response = send(request);
    if (!response) return tl::unexpected(response.error());
    for (const auto& contents : xml_values(response->body, "Contents")) {
      objects.push_back({.key = xml_value(contents, "Key"),
                         .size = std::stoull(xml_value(contents, "Size").empty() ? "0" : xml_value(contents, "Size")),
                         .etag = xml_value(contents, "ETag")});
    }
    token = xml_value(response->body, "NextContinuationToken");
    if (xml_value(response->body, "IsTruncated") != "true" || token.empty()) break;
  }
  return objects;
}

Result<std::size_t> S3Store::remove_prefix(const std::string& prefix) {
  auto objects = list(prefix);
  if (!objects) return tl::unexpected(objects.error());
  auto removed = parallel_for(objects->size(), options_.concurrency, [&](std::size_t i) -> Result<void> {
    auto response = send({.operation = "DeleteObject", .method = "DELETE", .key = (*objects)[i].key});
    if (!response && response.error().code != ErrorCode::kNotFound) return tl::unexpected(response.error());
    return {};
  });
  if (!removed) return tl::unexpected(removed.error());
  return objects->size();
}

Result<void> S3Store::check_bucket(std::chrono::milliseconds timeout) {
  auto response = send({.operation = "HeadBucket", .method = "HEAD", .max_attempts = 1, .timeout = timeout});
  if (!response) return tl::unexpected(response.error());
  return {};
}

Result<void> S3Store::create_bucket() {
  auto response = send({.operation = "CreateBucket", .method = "PUT"});
  if (!response && response.error().message.find("BucketAlreadyOwnedByYou") == std::string::npos) {
    return tl::unexpected(response.error());
  }
  return {};
}

}  // namespace st
