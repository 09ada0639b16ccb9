// The API's description: GET /openapi.json (docs/openapi.yaml, compiled in
// and served as JSON) and GET /docs (Swagger UI from npm's swagger-ui-dist,
// whose files are read from `swagger_ui_dir`, beneath it only).
#pragma once

#include <filesystem>
#include <string>

#include "http/server.hpp"

namespace st {

// The OpenAPI document compiled into the binary, as YAML.
const std::string& embedded_openapi_yaml();

// kInternal when the embedded document does not parse (a build fault).
Result<void> add_api_docs_routes(Router& router, const std::filesystem::path& swagger_ui_dir);

}  // namespace st
