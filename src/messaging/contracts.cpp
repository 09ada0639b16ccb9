#include "messaging/contracts.hpp"

#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <re2/re2.h>
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "packaging/output_names.hpp"
#include "util/json_bounds.hpp"
#include "util/utf8.hpp"

namespace st {
namespace {

using nlohmann::json;

// A contract as two validators that together mean exactly the schema:
// valijson for everything but the regular expressions, and RE2 for those.
// valijson 1.0 runs `pattern` (and the date formats) on std::regex, which
// recurses once per character of the subject: a 200,000-character string
// overflows the stack. RE2 runs in linear time without recursion.
struct Contract {
  nlohmann::json document;  // the schema as published, patterns included
  valijson::Schema structure;
};

// The schema without its regular expressions, for valijson: "pattern" and
// "format" go, and a "not" that held only a pattern goes with it (an empty
// "not" would refuse everything).
void strip_patterns(json& schema) {
  if (!schema.is_object()) {
    if (schema.is_array()) {
      for (auto& item : schema) strip_patterns(item);
    }
    return;
  }
  schema.erase("pattern");
  schema.erase("format");
  if (const auto it = schema.find("patternProperties"); it != schema.end()) {
    throw std::logic_error("contracts may not use patternProperties (valijson would run std::regex)");
  }
  for (auto& [key, value] : schema.items()) strip_patterns(value);
  if (const auto it = schema.find("not"); it != schema.end() && it->is_object() && it->empty()) schema.erase(it);
}

std::unique_ptr<Contract> load_contract(std::string_view name) {
  auto contract = std::make_unique<Contract>();
  contract->document = json::parse(contract_schema(name));
  json structure = contract->document;
  strip_patterns(structure);
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter adapter(structure);
  parser.populateSchema(adapter, contract->structure);
  return contract;
}

// Parsed once; read-only afterwards, so shared by every consumer thread.
const Contract& contract_of(std::string_view name) {
  static const auto kUploaded = load_contract("video-uploaded");
  static const auto kTranscoded = load_contract("video-transcoded");
  static const auto kProgress = load_contract("transcode-progress");
  if (name == "video-uploaded") return *kUploaded;
  return name == "transcode-progress" ? *kProgress : *kTranscoded;
}

// Compiled once per pattern and thread and kept: the contracts have a handful.
const re2::RE2& compiled(const std::string& pattern) {
  thread_local std::map<std::string, std::unique_ptr<re2::RE2>> cache;
  auto& slot = cache[pattern];
  if (!slot) {
    re2::RE2::Options options;
    options.set_log_errors(false);
    slot = std::make_unique<re2::RE2>(pattern, options);
    if (!slot->ok()) throw std::logic_error("a contract pattern is not valid RE2: " + pattern);
  }
  return *slot;
}

// The schema's patterns applied to `value`, following properties and items
// (the keywords the contracts use to reach their strings). Its recursion
// follows the schema, whose depth is ours, not the document's.
void check_patterns(const json& schema, const json& value, const std::string& pointer,
                    std::vector<std::string>& problems) {
  if (!schema.is_object()) return;
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (const auto it = schema.find("pattern"); it != schema.end() && it->is_string()) {
      if (!re2::RE2::PartialMatch(text, compiled(it->get<std::string>()))) {
        problems.push_back(
            fmt::format("{}: does not match the pattern {}", pointer.empty() ? "/" : pointer, it->get<std::string>()));
      }
    }
    if (const auto no = schema.find("not"); no != schema.end() && no->is_object()) {
      if (const auto it = no->find("pattern"); it != no->end() && it->is_string()) {
        if (re2::RE2::PartialMatch(text, compiled(it->get<std::string>()))) {
          problems.push_back(fmt::format("{}: matches the forbidden pattern {}", pointer.empty() ? "/" : pointer,
                                         it->get<std::string>()));
        }
      }
    }
  }
  if (const auto properties = schema.find("properties"); properties != schema.end() && value.is_object()) {
    for (const auto& [key, subschema] : properties->items()) {
      if (const auto member = value.find(key); member != value.end()) {
        check_patterns(subschema, *member, fmt::format("{}/{}", pointer, key), problems);
      }
    }
  }
  if (const auto items = schema.find("items"); items != schema.end() && items->is_object() && value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      check_patterns(*items, value[i], pointer + "/" + std::to_string(i), problems);
    }
  }
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

// Every violation of `contract` by `doc`, "; "-separated; empty when it conforms.
std::string violations(const Contract& contract, const json& doc) {
  std::vector<std::string> problems;
  check_patterns(contract.document, doc, "", problems);
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(doc);
  std::string reasons;
  for (const auto& problem : problems) reasons += (reasons.empty() ? "" : "; ") + problem;
  if (validator.validate(contract.structure, target, &results)) return reasons;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    // Skip valijson's summary lines for the enclosing objects: the leaves say what is wrong.
    if (error.description.starts_with("Failed to validate against schema associated with property")) continue;
    reasons += fmt::format("{}{}: {}", reasons.empty() ? "" : "; ", pointer_of(error.context), error.description);
  }
  return reasons.empty() ? "the document does not match the schema" : reasons;
}

// The bounded checks every message passes before it is parsed.
Result<json> parse_bounded(std::string_view value, std::size_t max_bytes) {
  if (value.size() > max_bytes) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("the message has {} bytes, more than the limit of {}", value.size(), max_bytes));
  }
  if (!is_valid_utf8(value)) return fail(ErrorCode::kInvalidInput, "the message is not valid UTF-8");
  if (auto bounded = check_json_bounds(value, {.max_bytes = max_bytes, .max_depth = 16, .max_string_bytes = 4096});
      !bounded) {
    return fail(ErrorCode::kInvalidInput, "the message is refused: " + bounded.error().message);
  }
  json doc = json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail(ErrorCode::kInvalidInput, "the message is not JSON");
  return doc;
}

}  // namespace

Result<VideoUploaded> parse_video_uploaded(std::string_view value, const EventLimits& limits) {
  auto parsed = parse_bounded(value, limits.max_bytes);
  if (!parsed) return tl::unexpected(parsed.error());
  // MassTransit's envelope carries the message under "message"; read in place, never copied.
  const json* doc = &*parsed;
  if (doc->is_object() && doc->contains("messageType")) {
    if (const auto it = doc->find("message"); it != doc->end() && it->is_object()) doc = &*it;
  }
  if (!doc->is_object()) return fail(ErrorCode::kInvalidInput, "the message is not a JSON object");

  if (auto reasons = violations(contract_of("video-uploaded"), *doc); !reasons.empty()) {
    return fail(ErrorCode::kInvalidInput, fmt::format("the message violates the VideoUploaded schema: {}", reasons));
  }

  VideoUploaded event;
  event.video_id = text(*doc, "videoId");
  event.tenant_id = text(*doc, "tenantId");
  const auto& source = doc->at("source");
  event.source.bucket = text(source, "bucket");
  event.source.key = text(source, "key");
  // The schema bounds it to [1, 2^53 - 1]: an integer that fits.
  event.source.size_bytes = source.at("sizeBytes").get<std::int64_t>();
  event.source.checksum = text(source, "checksum");
  event.content_type = text(source, "contentType");
  event.uploaded_at = text(*doc, "uploadedAt");
  if (const auto profiles = doc->find("profiles"); profiles != doc->end()) {
    for (const auto& profile : *profiles) event.profiles.push_back(profile.get<std::string>());
  }
  if (const auto subtitles = doc->find("subtitles"); subtitles != doc->end()) {
    // The schema has checked the shape; the language table decides the rest.
    std::vector<std::string> problems;
    event.subtitles = subtitle_sidecars_from_json(*subtitles, problems);
    if (!problems.empty()) {
      return fail(ErrorCode::kInvalidInput,
                  fmt::format("the message's subtitles are refused: {}", fmt::join(problems, "; ")));
    }
  }
  if (const auto metadata = doc->find("metadata"); metadata != doc->end() && metadata->is_object()) {
    event.title = text(*metadata, "title");
    event.language = text(*metadata, "language");
  }
  event.source_version = text(*doc, "sourceVersion");
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
                .subtitles = event.subtitles,
                .output_prefix = "",
                .priority = 0,
                .max_attempts = max_attempts};
}

std::string video_transcoded_json(const Job& job) {
  const bool succeeded = job.status == JobStatus::kSucceeded && job.outcome;
  const bool cancelled = job.status == JobStatus::kCancelled;
  const bool superseded = cancelled && job.error_code == kSupersededErrorCode;
  json event = {{"videoId", job.spec.video_id},
                {"tenantId", job.spec.tenant_id},
                {"jobId", job.id},
                {"sourceVersion", job.spec.source_version},
                {"status", succeeded    ? "succeeded"
                           : superseded ? "superseded"
                           : cancelled  ? "cancelled"
                                        : "failed"},
                {"attempts", job.attempt}};
  json timings = {{"createdAt", job.created_at}};
  if (!job.started_at.empty()) timings["startedAt"] = job.started_at;
  if (!job.finished_at.empty()) timings["finishedAt"] = job.finished_at;
  event["timings"] = timings;

  if (succeeded) {
    // The same names and keys as the API's job.outcome (jobs/job_outcome.hpp).
    const auto& o = *job.outcome;
    event["bucket"] = o.bucket;
    event["outputPrefix"] = o.output_prefix;
    event["masterPlaylistKey"] = o.master_playlist_key;
    event["dashManifestKey"] = o.dash_manifest_key;
    event["durationSeconds"] = o.duration_seconds;
    event["renditions"] = json::array();
    for (const auto& r : o.renditions) event["renditions"].push_back(to_json(r));
    event["audio"] = json::array();
    for (const auto& a : o.audio) event["audio"].push_back(to_json(a));
    event["subtitles"] = json::array();
    for (const auto& t : o.subtitles) event["subtitles"].push_back(to_json(t));
    event["skippedStreams"] = json::array();
    for (const auto& s : o.skipped_streams) event["skippedStreams"].push_back(to_json(s));
    if (!o.poster_key.empty()) event["thumbnails"] = {{"posterKey", o.poster_key}};
    if (o.sprites) event["thumbnails"]["sprites"] = to_json(*o.sprites);
  } else {
    const bool input_at_fault = job.status == JobStatus::kFailed;
    event["failure"] = {{"code", job.error_code.empty() ? std::string(to_string(job.status)) : job.error_code},
                        {"message", job.error_message.empty() ? std::string("the job was stopped") : job.error_message},
                        {"retryable", !input_at_fault}};
  }
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string transcode_progress_json(const Job& job, const JobProgress& progress) {
  auto detail = to_json(progress);
  json event = {{"videoId", job.spec.video_id},
                {"tenantId", job.spec.tenant_id},
                {"jobId", job.id},
                {"sourceVersion", job.spec.source_version},
                {"attempt", job.attempt},
                {"step", detail["step"]},
                {"percent", static_cast<int>(progress.percent / 10) * 10},
                {"encodePercent", detail["encodePercent"]},
                {"renditions", detail["renditions"]},
                {"speed", detail["speed"]},
                {"etaSeconds", detail["etaSeconds"]},
                {"measuredAt", progress.updated_at}};
  return event.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<void> validate_contract(std::string_view name, std::string_view value) {
  auto doc = parse_bounded(value, std::size_t{1} << 20);
  if (!doc) return tl::unexpected(doc.error());
  if (auto reasons = violations(contract_of(name), *doc); !reasons.empty()) {
    return fail(ErrorCode::kInvalidInput, reasons);
  }
  return {};
}

}  // namespace st
