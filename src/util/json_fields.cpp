#include "util/json_fields.hpp"

namespace st {

Result<nlohmann::json> parse_json_object(const std::string& body, const JsonBounds& bounds) {
  if (auto bounded = check_json_bounds(body, bounds); !bounded) {
    return fail(ErrorCode::kUsage, "the body is refused: " + bounded.error().message);
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return fail(ErrorCode::kUsage, fmt::format("the body is not valid JSON (at byte {})", e.byte));
  }
  if (!doc.is_object()) return fail(ErrorCode::kUsage, "the body must be a JSON object");
  return doc;
}

}  // namespace st
