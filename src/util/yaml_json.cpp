#include "util/yaml_json.hpp"

#include <charconv>
#include <cstdint>

#include <yaml-cpp/yaml.h>

namespace st {
namespace {

using nlohmann::json;

json scalar(const YAML::Node& node) {
  const auto& text = node.Scalar();
  // A quoted scalar has the non-specific tag "!": always a string.
  if (node.Tag() == "!") return text;
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null" || text == "~" || text.empty()) return nullptr;
  std::int64_t integer = 0;
  if (auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), integer);
      error == std::errc() && end == text.data() + text.size()) {
    return integer;
  }
  const bool numeric = text.find_first_not_of("0123456789.eE+-") == std::string::npos &&
                       text.find_first_of("0123456789") != std::string::npos;
  if (numeric) {
    double number = 0;
    if (auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        error == std::errc() && end == text.data() + text.size()) {
      return number;
    }
  }
  return text;
}

json convert(const YAML::Node& node, int depth) {
  if (depth > 64) throw std::runtime_error("nested deeper than 64 levels");
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& item : node) out[item.first.Scalar()] = convert(item.second, depth + 1);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(convert(item, depth + 1));
      return out;
    }
    case YAML::NodeType::Scalar:
      return scalar(node);
    default:
      return nullptr;
  }
}

}  // namespace

Result<json> yaml_to_json(const std::string& yaml) {
  try {
    return convert(YAML::Load(yaml), 0);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInvalidInput, std::string("not a YAML document: ") + e.what());
  }
}

}  // namespace st
