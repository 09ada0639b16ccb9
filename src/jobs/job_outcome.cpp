#include "jobs/job_outcome.hpp"

#include <type_traits>

#include <fmt/format.h>

#include "util/json_fields.hpp"

namespace st {

using nlohmann::json;

json to_json(const EncryptionOutput& e) {
  return {{"scheme", e.scheme}, {"keyId", e.key_id}, {"keyType", e.key_type}, {"systems", e.systems}};
}

namespace {

// An outcome's "encryption" as to_json() wrote it; none when absent or not that.
std::optional<EncryptionOutput> encryption_from_json(const json& value) {
  if (!value.is_object()) return std::nullopt;
  EncryptionOutput out;
  const auto text = [&](const char* name) {
    const auto it = value.find(name);
    return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  out.scheme = text("scheme");
  out.key_id = text("keyId");
  out.key_type = text("keyType");
  if (const auto systems = value.find("systems"); systems != value.end() && systems->is_array()) {
    for (const auto& system : *systems) {
      if (system.is_string()) out.systems.push_back(system.get<std::string>());
    }
  }
  return out;
}

}  // namespace

json to_json(const VideoOutput& r) {
  json rendition = {{"name", r.name},
                    {"width", r.width},
                    {"height", r.height},
                    {"frameRate", r.frame_rate},
                    {"codecs", r.codecs},
                    {"videoRange", r.video_range},
                    {"averageBitRate", r.average_bit_rate},
                    {"peakBitRate", r.peak_bit_rate},
                    {"sizeBytes", r.size_bytes},
                    {"playlistKey", r.playlist_key}};
  if (!r.iframe_playlist_key.empty()) rendition["iframePlaylistKey"] = r.iframe_playlist_key;
  if (r.encryption) rendition["encryption"] = to_json(*r.encryption);
  if (r.quality) rendition["quality"] = to_json(*r.quality);
  return rendition;
}

json to_json(const SubtitleOutput& t) {
  return {{"name", t.name},     {"language", t.language},        {"label", t.label},   {"kind", t.kind},
          {"forced", t.forced}, {"playlistKey", t.playlist_key}, {"vttKey", t.vtt_key}};
}

json to_json(const SkippedStreamOutput& s) {
  json out = {{"codec", s.codec}, {"language", s.language}, {"reason", s.reason}};
  if (s.sidecar.empty()) {
    out["index"] = s.index;
  } else {
    out["sidecarKey"] = s.sidecar;
  }
  return out;
}

json to_json(const SpriteOutput& s) {
  return {{"trackKey", s.track_key},    {"sheets", s.sheets},
          {"thumbnails", s.thumbnails}, {"intervalSeconds", s.interval_seconds},
          {"columns", s.columns},       {"rows", s.rows},
          {"tileWidth", s.tile_width},  {"tileHeight", s.tile_height}};
}

json to_json(const AudioOutput& a) {
  json track = {{"name", a.name},           {"codecs", a.codecs},
                {"language", a.language},   {"label", a.label},
                {"role", a.role},           {"default", a.is_default},
                {"channels", a.channels},   {"averageBitRate", a.average_bit_rate},
                {"sizeBytes", a.size_bytes}};
  if (!a.playlist_key.empty()) track["playlistKey"] = a.playlist_key;
  if (a.encryption) track["encryption"] = to_json(*a.encryption);
  return track;
}

json to_json(const JobOutcome& o, bool with_report) {
  json renditions = json::array();
  for (const auto& r : o.renditions) renditions.push_back(to_json(r));
  json audio = json::array();
  for (const auto& a : o.audio) audio.push_back(to_json(a));
  json out = {{"bucket", o.bucket},
              {"outputPrefix", o.output_prefix},
              {"masterPlaylistKey", o.master_playlist_key},
              {"dashManifestKey", o.dash_manifest_key},
              {"posterKey", o.poster_key},
              {"reportKey", o.report_key},
              {"objects", o.objects},
              {"bytes", o.bytes},
              {"durationSeconds", o.duration_seconds},
              {"timings",
               {{"fetchSeconds", o.timings.fetch_seconds},
                {"transcodeSeconds", o.timings.transcode_seconds},
                {"publishSeconds", o.timings.publish_seconds},
                {"cpuSeconds", o.timings.cpu_seconds},
                {"encodeSpeed", o.timings.encode_speed}}},
              {"renditions", renditions},
              {"audio", audio}};
  if (o.sprites) out["sprites"] = to_json(*o.sprites);
  out["subtitles"] = json::array();
  for (const auto& t : o.subtitles) out["subtitles"].push_back(to_json(t));
  out["skippedStreams"] = json::array();
  for (const auto& s : o.skipped_streams) out["skippedStreams"].push_back(to_json(s));
  if (with_report && !o.report.is_null()) out["report"] = o.report;
  return out;
}

namespace {

// Reads `value[key]` as T when present and of the right type; otherwise
// records the problem.
class Reader {
 public:
  explicit Reader(const json& value) : value_(value) {}

  template <typename T>
  T get(const char* key) {
    const auto it = value_.find(key);
    if (it == value_.end() || it->is_null()) return T{};
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      // Not get<T>(): it would cast 1e300 to an integer unchecked.
      if (const auto v = json_integer<T>(*it)) return *v;
      ok_ = false;
      bad_ = key;
      return T{};
    }
    try {
      return it->get<T>();
    } catch (const json::exception&) {
      ok_ = false;
      bad_ = key;
      return T{};
    }
  }
  const json& at(const char* key) {
    static const json kNull;
    const auto it = value_.find(key);
    return it == value_.end() ? kNull : *it;
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& bad() const { return bad_; }

 private:
  const json& value_;
  bool ok_ = true;
  std::string bad_;
};

}  // namespace

Result<JobOutcome> outcome_from_json(const json& value) {
  if (!value.is_object()) return fail(ErrorCode::kInvalidInput, "a job outcome must be a JSON object");
  Reader read(value);
  JobOutcome o;
  o.bucket = read.get<std::string>("bucket");
  o.output_prefix = read.get<std::string>("outputPrefix");
  o.master_playlist_key = read.get<std::string>("masterPlaylistKey");
  o.dash_manifest_key = read.get<std::string>("dashManifestKey");
  o.poster_key = read.get<std::string>("posterKey");
  o.report_key = read.get<std::string>("reportKey");
  o.objects = read.get<std::int64_t>("objects");
  o.bytes = read.get<std::int64_t>("bytes");
  o.duration_seconds = read.get<double>("durationSeconds");
  if (const auto& t = read.at("timings"); t.is_object()) {
    Reader timings(t);
    o.timings = {.fetch_seconds = timings.get<double>("fetchSeconds"),
                 .transcode_seconds = timings.get<double>("transcodeSeconds"),
                 .publish_seconds = timings.get<double>("publishSeconds"),
                 .cpu_seconds = timings.get<double>("cpuSeconds"),
                 .encode_speed = timings.get<double>("encodeSpeed")};
  }
  if (const auto& list = read.at("renditions"); list.is_array()) {
    for (const auto& item : list) {
      if (!item.is_object()) continue;
      Reader r(item);
      o.renditions.push_back(
          {.name = r.get<std::string>("name"),
           .width = r.get<int>("width"),
           .height = r.get<int>("height"),
           .frame_rate = r.get<double>("frameRate"),
           .codecs = r.get<std::string>("codecs"),
           .video_range = r.at("videoRange").is_string() ? r.get<std::string>("videoRange") : "SDR",
           .average_bit_rate = r.get<std::int64_t>("averageBitRate"),
           .peak_bit_rate = r.get<std::int64_t>("peakBitRate"),
           .size_bytes = r.get<std::int64_t>("sizeBytes"),
           .playlist_key = r.get<std::string>("playlistKey"),
           .iframe_playlist_key = r.get<std::string>("iframePlaylistKey"),
           .encryption = encryption_from_json(item.contains("encryption") ? item.at("encryption") : json()),
           .quality = item.contains("quality") ? rendition_quality_from_json(item.at("quality")) : std::nullopt});
      if (!r.ok())
        return fail(ErrorCode::kInvalidInput, fmt::format("a job outcome's renditions.{} has the wrong type", r.bad()));
    }
  }
  if (const auto& list = read.at("audio"); list.is_array()) {
    for (const auto& item : list) {
      if (!item.is_object()) continue;
      Reader a(item);
      o.audio.push_back(
          {.name = a.get<std::string>("name"),
           .codecs = a.get<std::string>("codecs"),
           .language = a.get<std::string>("language"),
           .label = a.get<std::string>("label"),
           .role = a.get<std::string>("role"),
           .is_default = a.get<bool>("default"),
           .channels = a.get<int>("channels"),
           .average_bit_rate = a.get<std::int64_t>("averageBitRate"),
           .size_bytes = a.get<std::int64_t>("sizeBytes"),
           .playlist_key = a.get<std::string>("playlistKey"),
           .encryption = encryption_from_json(item.contains("encryption") ? item.at("encryption") : json())});
      if (!a.ok())
        return fail(ErrorCode::kInvalidInput, fmt::format("a job outcome's audio.{} has the wrong type", a.bad()));
    }
  }
  if (const auto& list = read.at("subtitles"); list.is_array()) {
    for (const auto& item : list) {
      if (!item.is_object()) continue;
      Reader t(item);
      o.subtitles.push_back({.name = t.get<std::string>("name"),
                             .language = t.get<std::string>("language"),
                             .label = t.get<std::string>("label"),
                             .kind = t.get<std::string>("kind"),
                             .forced = t.get<bool>("forced"),
                             .playlist_key = t.get<std::string>("playlistKey"),
                             .vtt_key = t.get<std::string>("vttKey")});
      if (!t.ok())
        return fail(ErrorCode::kInvalidInput, fmt::format("a job outcome's subtitles.{} has the wrong type", t.bad()));
    }
  }
  if (const auto& list = read.at("skippedStreams"); list.is_array()) {
    for (const auto& item : list) {
      if (!item.is_object()) continue;
      Reader s(item);
      o.skipped_streams.push_back({.index = item.contains("sidecarKey") ? -1 : s.get<int>("index"),
                                   .sidecar = s.get<std::string>("sidecarKey"),
                                   .codec = s.get<std::string>("codec"),
                                   .language = s.get<std::string>("language"),
                                   .reason = s.get<std::string>("reason")});
      if (!s.ok())
        return fail(ErrorCode::kInvalidInput,
                    fmt::format("a job outcome's skippedStreams.{} has the wrong type", s.bad()));
    }
  }
  if (const auto& sprites = read.at("sprites"); sprites.is_object()) {
    Reader t(sprites);
    o.sprites = SpriteOutput{.track_key = t.get<std::string>("trackKey"),
                             .sheets = t.get<int>("sheets"),
                             .thumbnails = t.get<int>("thumbnails"),
                             .interval_seconds = t.get<double>("intervalSeconds"),
                             .columns = t.get<int>("columns"),
                             .rows = t.get<int>("rows"),
                             .tile_width = t.get<int>("tileWidth"),
                             .tile_height = t.get<int>("tileHeight")};
    if (!t.ok())
      return fail(ErrorCode::kInvalidInput, fmt::format("a job outcome's sprites.{} has the wrong type", t.bad()));
  }
  if (const auto& report = read.at("report"); report.is_object()) o.report = report;
  if (!read.ok())
    return fail(ErrorCode::kInvalidInput, fmt::format("a job outcome's {} has the wrong type", read.bad()));
  return o;
}

}  // namespace st
