// The messages this service exchanges, as C++ values, and their JSON mapping.
//
// The JSON Schemas of docs/contracts/ are compiled into the binary and are the
// validators: what the schema (the contract published to other teams) accepts is
// exactly what the consumer accepts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jobs/job.hpp"
#include "util/error.hpp"

namespace st {

struct VideoUploaded {
  std::string video_id;
  std::string tenant_id;
  std::string source_version;  // as sent, or derived (see the schema)
  JobSource source;
  std::string content_type;
  std::string uploaded_at;
  std::vector<std::string> profiles;
  std::vector<SubtitleSidecar> subtitles;
  std::string title;
  std::string language;
};

// What an upload event may be before it is looked at.
struct EventLimits {
  std::size_t max_bytes = 65536;
};

// Parses a Kafka message value: plain camelCase JSON, or a MassTransit envelope
// ({"messageType": [...], "message": {...}}). Hostile input first meets bounded
// checks (size, UTF-8, nesting depth, string lengths) and only then the parser
// and the schema; the schema's patterns run on RE2 (linear time, no
// recursion), never on std::regex. kInvalidInput names every violation of the
// schema, with its JSON pointer.
Result<VideoUploaded> parse_video_uploaded(std::string_view value, const EventLimits& limits = {});

NewJob to_new_job(const VideoUploaded& event, int max_attempts);

// The VideoTranscoded event (docs/contracts/video-transcoded.schema.json) that
// announces `job`'s final status; its outputs come from the job's result.
std::string video_transcoded_json(const Job& job);

// The TranscodeProgress event (docs/contracts/transcode-progress.schema.json)
// of a running job.
std::string transcode_progress_json(const Job& job, const JobProgress& progress);

// Checks a JSON text against a compiled-in contract ("video-uploaded",
// "video-transcoded"), with the same bounds and pattern engine as
// parse_video_uploaded; kInvalidInput names every violation with its JSON pointer.
Result<void> validate_contract(std::string_view name, std::string_view value);

// The schema text of a contract ("video-uploaded"), as compiled in.
std::string_view contract_schema(std::string_view name);

}  // namespace st
