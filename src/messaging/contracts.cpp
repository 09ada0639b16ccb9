#include "messaging/contracts.hpp"

#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace st {
namespace {

using nlohmann::json;

std::unique_ptr<valijson::Schema> load_schema(std::string_view name) {
  auto schema = std::make_unique<valijson::Schema>();
  const auto document = json::parse(contract_schema(name));
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter adapter(document);
  parser.populateSchema(adapter, *schema);
  return schema;
}

// Parsed once; read-only afterwards, so shared by every consumer thread.
const valijson::Schema& video_uploaded_schema() {
  static const auto kSchema = load_schema("video-uploaded");
  return *kSchema;
}

std::string pointer_of(const std::vector<std::string>& context) {
  std::string out;
  // valijson's context starts with "<root>" and wraps property names in brackets.
  for (std::size_t i = 1; i < context.size(); ++i) {
    auto part = context[i];
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']') part = part.substr(1, part.size() - 2);
    if (part.size() >= 2 && part.front() == '"' && part.back() == '"') part = part.substr(1, part.size() - 2);
    out += "/" + part;
  }
  return out.empty() ? "/" : out;
}

std::string text(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

Result<VideoUploaded> parse_video_uploaded(std::string_view value) {
  json doc = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(ErrorCode::kInvalidInput, "the message is not JSON");
  // MassTransit's envelope carries the message under "message".
  if (doc.is_object() && doc.contains("messageType") && doc.contains("message") && doc["message"].is_object()) {
    doc = doc["message"];
  }
  if (!doc.is_object()) return fail(ErrorCode::kInvalidInput, "the message is not a JSON object");

  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  if (!validator.validate(video_uploaded_schema(), target, &results)) {
    std::string reasons;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
      // Skip valijson's summary lines for the enclosing objects: the leaves say what is wrong.
      if (error.description.starts_with("Failed to validate against schema associated with property")) continue;
      reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", pointer_of(error.context), error.description);
    }
    return fail(ErrorCode::kInvalidInput, fmt::format("the message violates the VideoUploaded schema: {}", reasons));
  }

  VideoUploaded event;
  event.video_id = text(doc, "videoId");
  event.tenant_id = text(doc, "tenantId");
  const auto& source = doc["source"];
  event.source.bucket = text(source, "bucket");
  event.source.key = text(source, "key");
  event.source.size_bytes = source["sizeBytes"].get<std::int64_t>();
  event.source.checksum = text(source, "checksum");
  event.content_type = text(source, "contentType");
  event.uploaded_at = text(doc, "uploadedAt");
  if (doc.contains("profiles")) event.profiles = doc["profiles"].get<std::vector<std::string>>();
  if (doc.contains("metadata") && doc["metadata"].is_object()) {
    event.title = text(doc["metadata"], "title");
    event.language = text(doc["metadata"], "language");
  }
  event.source_version = text(doc, "sourceVersion");
  if (event.source_version.empty()) {
    event.source_version = event.source.checksum.empty() ? event.uploaded_at : event.source.checksum;
  }
  return event;
}

NewJob to_new_job(const VideoUploaded& event, int max_attempts) {
  return NewJob{.tenant_id = event.tenant_id,
                .video_id = event.video_id,
                .source_version = event.source_version,
                .source = event.source,
                .profile_set = event.profiles,
                .output_prefix = "",
                .priority = 0,
                .max_attempts = max_attempts};
}

}  // namespace st
