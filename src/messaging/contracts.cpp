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
const valijson::Schema& schema_of(std::string_view name) {
  static const auto kUploaded = load_schema("video-uploaded");
  static const auto kTranscoded = load_schema("video-transcoded");
  return name == "video-uploaded" ? *kUploaded : *kTranscoded;
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

// Every violation of `schema` by `doc`, "; "-separated; empty when it conforms.
std::string violations(const valijson::Schema& schema, const json& doc) {
  // A validator caches the std::regex of every pattern it has met; compiling
  // them anew for each message cost 0.4 ms, most of the consumer's time.
  thread_local valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  if (validator.validate(schema, target, &results)) return {};
  std::string reasons;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    // Skip valijson's summary lines for the enclosing objects: the leaves say what is wrong.
    if (error.description.starts_with("Failed to validate against schema associated with property")) continue;
    reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", pointer_of(error.context), error.description);
  }
  return reasons.empty() ? "the document does not match the schema" : reasons;
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

  if (auto reasons = violations(schema_of("video-uploaded"), doc); !reasons.empty()) {
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

std::string video_transcoded_json(const Job& job) {
  const bool succeeded = job.status == JobStatus::kSucceeded;
  json event = {{"videoId", job.spec.video_id},
                {"tenantId", job.spec.tenant_id},
                {"jobId", job.id},
                {"sourceVersion", job.spec.source_version},
                {"status", succeeded ? "succeeded" : "failed"},
                {"attempts", job.attempt}};
  json timings = {{"createdAt", job.created_at}};
  if (!job.started_at.empty()) timings["startedAt"] = job.started_at;
  if (!job.finished_at.empty()) timings["finishedAt"] = job.finished_at;
  event["timings"] = timings;

  if (succeeded) {
    // The handler's result names the outputs relative to the output prefix (see
    // TranscodeJobHandler); the event names them as full keys.
    const auto result = json::parse(job.result_json.empty() ? "{}" : job.result_json, nullptr, false);
    const auto prefix = result.is_object() ? result.value("outputPrefix", std::string()) : std::string();
    event["outputPrefix"] = prefix;
    event["masterPlaylistKey"] = prefix + "master.m3u8";
    event["dashManifestKey"] = prefix + "manifest.mpd";
    event["renditions"] = json::array();
    if (result.is_object()) {
      if (result.contains("durationSeconds")) event["durationSeconds"] = result["durationSeconds"];
      if (result.contains("renditions")) event["renditions"] = result["renditions"];
      if (result.contains("audio")) event["audio"] = result["audio"];
      if (result.contains("posterKey")) event["thumbnails"] = {{"posterKey", result["posterKey"]}};
    }
  } else {
    const bool input_at_fault = job.status == JobStatus::kFailed;
    event["failure"] = {{"code", job.error_code.empty() ? std::string(to_string(job.status)) : job.error_code},
                        {"message", job.error_message.empty() ? std::string("the job was stopped") : job.error_message},
                        {"retryable", !input_at_fault}};
  }
  return event.dump();
}

Result<void> validate_contract(std::string_view name, std::string_view value) {
  const json doc = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(ErrorCode::kInvalidInput, "not JSON");
  if (auto reasons = violations(schema_of(name), doc); !reasons.empty()) {
    return fail(ErrorCode::kInvalidInput, reasons);
  }
  return {};
}

}  // namespace st
