#include "pipeline/report.hpp"

#include "packaging/output_names.hpp"

namespace st {
namespace {

using nlohmann::json;

json bit_rates_json(const Track& track) {
  return {{"average_bps", track.bit_rates.average_bps},
          {"peak_bps", track.bit_rates.peak_bps},
          {"dash_bandwidth_bps", track.bit_rates.dash_bandwidth_bps}};
}

json track_json(const Track& t) {
  json j = {{"name", t.id},
            {"codecs", t.codecs},
            {"folder", t.folder},
            {"playlist", t.folder + "/" + t.playlist_file},
            {"init_segment", t.folder + "/" + t.init_file},
            {"target_bit_rate_bps", t.target_bps},
            {"measured", bit_rates_json(t)},
            {"size_bytes", t.total_segment_bytes()},
            {"segment_count", t.segments.size()},
            {"duration_seconds", t.duration_seconds()},
            {"start_seconds", t.presentation_start_seconds}};
  if (t.protection) {
    json systems = json::array();
    for (const auto system : t.protection->systems) systems.push_back(to_string(system));
    j["encryption"] = {{"scheme", to_string(t.protection->scheme)},
                       {"key_id", t.protection->kid.uuid()},
                       {"key_type", to_string(t.protection->key_type)},
                       {"systems", systems}};
  }
  if (t.kind == TrackKind::kVideo) {
    j["width"] = t.width;
    j["height"] = t.height;
    j["frame_rate"] = t.frame_rate.to_string();
    j["video_range"] = t.video_range;
    if (!t.iframe_playlist_file.empty()) j["iframe_playlist"] = t.folder + "/" + t.iframe_playlist_file;
  } else {
    j["channels"] = t.channels;
    j["sample_rate"] = t.sample_rate;
    j["language"] = t.language;
    j["label"] = t.label;
    j["role"] = to_string(t.role);
    j["default"] = t.is_default;
  }
  return j;
}

json source_json(const std::string& path, const MediaInfo& s) {
  json subtitles = json::array();
  for (const auto& t : s.subtitles) {
    subtitles.push_back({{"index", t.index},
                         {"codec", t.codec},
                         {"language", t.language},
                         {"default", t.is_default},
                         {"forced", t.forced},
                         {"hearing_impaired", t.hearing_impaired}});
  }
  json audio = json::array();
  for (const auto& a : s.audio) {
    audio.push_back({{"index", a.index},
                     {"codec", a.codec},
                     {"channels", a.channels},
                     {"sample_rate", a.sample_rate},
                     {"language", a.language},
                     {"default", a.is_default},
                     {"role", to_string(a.role)}});
  }
  const auto& v = s.video;
  return {{"path", path},
          {"size_bytes", s.size_bytes},
          {"container", s.format_name},
          {"duration_seconds", s.duration_seconds},
          {"bit_rate_bps", s.bit_rate},
          {"video",
           {{"index", v.index},
            {"codec", v.codec},
            {"pixel_format", v.pixel_format},
            {"color_transfer", v.color_transfer},
            {"color_primaries", v.color_primaries},
            {"color_matrix", v.color_matrix},
            {"width", v.width},
            {"height", v.height},
            {"display_width", v.display_width()},
            {"display_height", v.display_height()},
            {"rotation", v.rotation},
            {"sample_aspect_ratio", v.sample_aspect.to_string()},
            {"frame_rate", v.frame_rate.to_string()},
            {"field_order", v.field_order},
            {"interlaced", v.interlaced}}},
          {"audio", audio},
          {"subtitles", subtitles}};
}

json subtitles_json(const Presentation& p) {
  json out = json::array();
  for (const auto& t : p.subtitles) {
    out.push_back({{"name", t.id},
                   {"language", t.language},
                   {"label", t.label},
                   {"kind", t.caption ? "caption" : "subtitle"},
                   {"forced", t.forced},
                   {"cues", t.cues},
                   {"vtt", t.folder + "/" + t.vtt_file},
                   {"playlist", t.folder + "/" + t.playlist_file}});
  }
  return out;
}

json skipped_json(const Ladder& ladder) {
  json out = json::array();
  for (const auto& s : ladder.skipped) {
    json stream = {{"codec", s.codec}, {"language", s.language}, {"reason", s.reason}};
    if (s.sidecar.empty()) {
      stream["index"] = s.index;
    } else {
      stream["sidecar"] = s.sidecar;
    }
    out.push_back(std::move(stream));
  }
  return out;
}

json sprites_json(const Presentation& p) {
  if (!p.sprites) return nullptr;
  const auto& s = *p.sprites;
  return {{"track", s.track_file},
          {"sheets", s.files},
          {"thumbnails", s.thumbnails},
          {"interval_seconds", s.interval_seconds},
          {"columns", s.columns},
          {"rows", s.rows},
          {"tile_width", s.tile_width},
          {"tile_height", s.tile_height},
          {"bytes", s.bytes},
          // From the smallest rendition's keyframes: the "sprites" step.
          {"made_from", "the smallest rendition's keyframes"}};
}

}  // namespace

json to_json(const TranscodeReport& r) {
  json renditions = json::array();
  for (const auto& t : r.presentation.video) renditions.push_back(track_json(t));
  json audio = json::array();
  for (const auto& t : r.presentation.audio) audio.push_back(track_json(t));
  json steps = json::array();
  double wall_total = 0;
  for (const auto& s : r.steps) {
    steps.push_back({{"name", s.name}, {"wall_seconds", s.wall_seconds}, {"cpu_seconds", s.cpu_seconds}});
    wall_total += s.wall_seconds;
  }
  json commands = json::array();
  for (const auto& c : r.commands) commands.push_back({{"step", c.step}, {"argv", c.argv}});

  return {{"tool", {{"name", "stream-transcoding"}, {"version", ST_VERSION}}},
          {"source", source_json(r.source_path, r.source)},
          {"output",
           {{"master_playlist", kMasterPlaylistFile},
            {"dash_manifest", kDashManifestFile},
            {"poster", r.poster_file},
            {"duration_seconds", r.presentation.duration_seconds},
            {"segment_duration_seconds", r.presentation.segment_seconds}}},
          {"ladder",
           {{"frame_rate", r.ladder.frame_rate.to_string()},
            {"deinterlaced", r.ladder.deinterlace},
            {"tone_mapped_from", r.ladder.tone_map_from},
            {"notes", r.ladder.notes},
            {"mode", to_string(r.ladder_mode)},
            {"per_title", r.per_title                              ? to_json(*r.per_title)
                          : r.ladder_mode == LadderMode::kPerTitle ? json{{"note", r.per_title_note}}
                                                                   : json(nullptr)},
            {"skipped_streams", skipped_json(r.ladder)}}},
          {"renditions", renditions},
          {"audio", audio},
          {"poster",
           {{"file", r.poster_file},
            {"width", r.poster.width},
            {"height", r.poster.height},
            {"position_seconds", r.poster.position_seconds},
            {"luma_average", r.poster.luma_average},
            {"taken_from", r.poster_file.empty() ? "" : r.poster.taken_from},
            {"note", r.poster.note}}},
          {"sprites", sprites_json(r.presentation)},
          {"subtitles", subtitles_json(r.presentation)},
          {"packaging_notes", r.presentation.notes},
          {"quality", r.quality ? to_json(*r.quality) : json{{"note", r.quality_note}}},
          {"steps", steps},
          {"wall_seconds", wall_total},
          {"commands", commands},
          {"resources",
           {{"self_peak_rss_bytes", r.self_peak_rss_bytes},
            {"ffmpeg_peak_rss_bytes", r.ffmpeg_peak_rss_bytes},
            {"children_cpu_seconds", r.children_cpu_seconds}}}};
}

json to_public_json(const TranscodeReport& report) {
  auto j = to_json(report);
  j["source"].erase("path");
  j.erase("commands");
  return j;
}

}  // namespace st
