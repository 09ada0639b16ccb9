// What a finished job produced, typed: the handler builds it, the queue stores
// it, and the API, the published report and the VideoTranscoded event all read
// it through the one JSON mapping below (camelCase, like the platform's other
// services). Keys are full object keys in `bucket` (or, with the embedded file
// store, paths below its output directory).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "media/quality_scores.hpp"
#include "util/error.hpp"

namespace st {

// How a track is encrypted, for the DRM service: never a key, only its ID.
struct EncryptionOutput {
  std::string scheme;                // "cenc", "cbcs" or "aes-128"
  std::string key_id;                // UUID, as DASH's cenc:default_KID
  std::string key_type;              // the key's track type: "VIDEO", "SD", "HD", "UHD1" or "AUDIO"
  std::vector<std::string> systems;  // "widevine", "playready", "fairplay", "clearkey"; none with AES-128
};

struct VideoOutput {
  std::string name;  // the rendition: "720p"
  int width = 0;
  int height = 0;
  double frame_rate = 0;
  std::string codecs;
  std::string video_range = "SDR";    // HLS's VIDEO-RANGE: "SDR", or "PQ" / "HLG" for the HDR ladder
  std::int64_t average_bit_rate = 0;  // measured, bits per second
  std::int64_t peak_bit_rate = 0;
  std::int64_t size_bytes = 0;
  std::string playlist_key;
  std::string iframe_playlist_key;  // HLS I-frame playlist; empty when none was written
  std::optional<EncryptionOutput> encryption;
  // PSNR and SSIM against the source; none for the HDR ladder, or when not measured.
  std::optional<RenditionQuality> quality;
};

// Trick-play sprite sheets: `sheets` JPEGs named {outputPrefix}thumbnails/sprite-00001.jpg
// and on (docs/outputs.md), described by the WebVTT track at `track_key`.
struct SpriteOutput {
  std::string track_key;
  int sheets = 0;
  int thumbnails = 0;
  double interval_seconds = 0;
  int columns = 0;
  int rows = 0;
  int tile_width = 0;
  int tile_height = 0;
};

struct SubtitleOutput {
  std::string name;
  std::string language;  // BCP 47; "und" when the source does not say
  std::string label;
  std::string kind;  // "subtitle" or "caption"
  bool forced = false;
  std::string playlist_key;  // HLS: WebVTT segments
  std::string vtt_key;       // DASH and downloads: the whole WebVTT file
};

// A source stream left out (image subtitles, tracks beyond the limit), or a
// sidecar file that could not be used, and why.
struct SkippedStreamOutput {
  int index = 0;        // the source stream's; -1 for a sidecar
  std::string sidecar;  // the sidecar's key; empty for a source stream
  std::string codec;
  std::string language;
  std::string reason;
};

struct AudioOutput {
  std::string name;
  std::string codecs;
  std::string language;  // BCP 47; "und" when the source does not say
  std::string label;     // what a player's menu shows: "English 5.1"
  std::string role;      // "main", "commentary" or "description"
  bool is_default = false;
  int channels = 0;
  std::int64_t average_bit_rate = 0;
  std::int64_t size_bytes = 0;
  std::string playlist_key;
  std::optional<EncryptionOutput> encryption;
};

// Where a job's time went, in seconds; the pipeline's own steps are in the report.
struct JobTimings {
  double fetch_seconds = 0;
  double transcode_seconds = 0;
  double publish_seconds = 0;
  // The job's own children (ffprobe, ffmpeg, the packager), from wait4: what
  // the job cost, even with other jobs running beside it.
  double cpu_seconds = 0;
  // Seconds of media per second of the encode step's wall time.
  double encode_speed = 0;
};

struct JobOutcome {
  std::string bucket;         // the output bucket; empty with the embedded file store
  std::string output_prefix;  // {prefix/}{tenantId}/{videoId}/{jobId}/run-{n}/
  std::string master_playlist_key;
  std::string dash_manifest_key;
  std::string poster_key;
  std::string report_key;
  std::int64_t objects = 0;
  std::int64_t bytes = 0;
  double duration_seconds = 0;
  JobTimings timings;
  std::vector<VideoOutput> renditions;
  std::vector<AudioOutput> audio;
  std::vector<SubtitleOutput> subtitles;
  std::vector<SkippedStreamOutput> skipped_streams;
  std::optional<SpriteOutput> sprites;
  // The full transcode report (local paths and command lines included): kept
  // with the job for operators, never published.
  nlohmann::json report;
};

// The one JSON form of an outcome. `with_report` adds the internal report.
nlohmann::json to_json(const JobOutcome& outcome, bool with_report = false);
// Reads what to_json() wrote (the database's copy); kInvalidInput when it is not that.
Result<JobOutcome> outcome_from_json(const nlohmann::json& value);

nlohmann::json to_json(const EncryptionOutput& encryption);
nlohmann::json to_json(const VideoOutput& rendition);
nlohmann::json to_json(const AudioOutput& track);
nlohmann::json to_json(const SpriteOutput& sprites);
nlohmann::json to_json(const SubtitleOutput& track);
nlohmann::json to_json(const SkippedStreamOutput& stream);

}  // namespace st
