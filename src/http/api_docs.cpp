#include "http/api_docs.hpp"

#include <unistd.h>

#include <array>
#include <map>

#include <fmt/format.h>

#include "util/files.hpp"
#include "util/yaml_json.hpp"

namespace st {
namespace {

// The files of swagger-ui-dist that the page needs; nothing else is served.
const std::map<std::string, std::string>& swagger_files() {
  static const std::map<std::string, std::string> kFiles = {
      {"swagger-ui.css", "text/css"},
      {"swagger-ui-bundle.js", "application/javascript"},
      {"swagger-ui-standalone-preset.js", "application/javascript"},
      {"favicon-32x32.png", "image/png"},
  };
  return kFiles;
}

constexpr const char* kSwaggerPage = R"(<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>StreamTranscoding API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
)";

// Separate from the page so that a Content-Security-Policy without
// 'unsafe-inline' holds.
constexpr const char* kSwaggerInit = R"(window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout"
});
)";

Result<std::string> read_beneath(const std::filesystem::path& root, const std::string& name) {
  auto fd = open_beneath(root, name);
  if (!fd) return tl::unexpected(fd.error());
  std::string content;
  std::array<char, 65536> buffer{};
  while (true) {
    const auto n = ::read(fd->get(), buffer.data(), buffer.size());
    if (n < 0) return fail(ErrorCode::kIo, fmt::format("cannot read {}", name));
    if (n == 0) break;
    content.append(buffer.data(), static_cast<std::size_t>(n));
    if (content.size() > (std::size_t{16} << 20)) return fail(ErrorCode::kIo, fmt::format("{} is too large", name));
  }
  return content;
}

HttpResponse with_type(std::string body, std::string type) {
  HttpResponse response{.status = 200, .content_type = std::move(type), .body = std::move(body), .headers = {}};
  response.headers["Cache-Control"] = "public, max-age=3600";
  response.headers["X-Content-Type-Options"] = "nosniff";
  return response;
}

}  // namespace

Result<void> add_api_docs_routes(Router& router, const std::filesystem::path& swagger_ui_dir) {
  auto document = yaml_to_json(embedded_openapi_yaml());
  if (!document) return fail(ErrorCode::kInternal, "the embedded OpenAPI document: " + document.error().message);
  auto body = std::make_shared<const std::string>(document->dump());
  router.add(
      "GET", "/openapi.json", Access::kPublic,
      [body](const HttpRequest&) { return with_type(*body, "application/json"); }, Router::Blocking::kNo);
  router.add(
      "GET", "/docs", Access::kPublic,
      [](const HttpRequest&) {
        auto response = with_type(kSwaggerPage, "text/html; charset=utf-8");
        response.headers["Content-Security-Policy"] =
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'";
        return response;
      },
      Router::Blocking::kNo);
  router.add(
      "GET", "/docs/init.js", Access::kPublic,
      [](const HttpRequest&) { return with_type(kSwaggerInit, "application/javascript"); }, Router::Blocking::kNo);
  router.add("GET", "/docs/{file}", Access::kPublic, [swagger_ui_dir](const HttpRequest& request) {
    const auto& name = request.params.at("file");
    const auto file = swagger_files().find(name);
    if (file == swagger_files().end()) return problem(404, "Not Found", "no such file of the API documentation");
    auto content = read_beneath(swagger_ui_dir, name);
    if (!content) {
      return problem(503, "Service Unavailable",
                     "Swagger UI's files are not installed (api.swagger_ui_dir: npm's swagger-ui-dist)");
    }
    return with_type(std::move(*content), file->second);
  });
  return {};
}

}  // namespace st
