// A YAML document (our own, embedded: docs/openapi.yaml) as JSON, with YAML
// 1.2 core-schema scalars: plain true/false, null/~, integers and floats
// become JSON's; quoted scalars stay strings.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace st {

Result<nlohmann::json> yaml_to_json(const std::string& yaml);

}  // namespace st
