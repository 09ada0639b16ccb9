#include "pipeline/packager.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "packaging/bit_rates.hpp"
#include "packaging/bmff.hpp"
#include "packaging/dash_writer.hpp"
#include "packaging/hls_writer.hpp"
#include "packaging/output_names.hpp"
#include "packaging/thumbnail_track.hpp"
#include "packaging/webvtt.hpp"
#include "util/files.hpp"

namespace st {
namespace {

namespace fs = std::filesystem;

// Renditions at different frame rates (60 and 30) put keyframes on the same
// instant up to timescale rounding; anything beyond a millisecond is a real drift.
constexpr double kAlignmentToleranceSeconds = 0.001;

// `picture_start_seconds`: for audio, when the picture's first frame is shown.
// B-frames make the encoder show it a few frames after its decode time 0 while
// the audio starts at 0; the audio's fragments are moved by the difference
// (their 'tfdt' rewritten) so that sound and picture keep the source's sync.
Result<Track> collect_track(const EncodeCommand& encoded, int representation, Track track, const fs::path& root,
                            double picture_start_seconds = 0) {
  const auto folder = root / track.folder;
  if (auto made = make_directories(folder); !made) return tl::unexpected(made.error());

  auto info = read_init_segment(encoded.init_file(representation));
  if (!info) return tl::unexpected(info.error());
  track.codecs = info->codecs;
  track.timescale = info->timescale;
  if (track.kind == TrackKind::kAudio) {
    track.channels = info->channels;
    track.sample_rate = info->sample_rate;
  }
  if (auto moved = move_file(encoded.init_file(representation), folder / track.init_file); !moved) {
    return tl::unexpected(moved.error());
  }

  for (int number = 1;; ++number) {
    const auto from = encoded.segment_file(representation, number);
    std::error_code ec;
    if (!fs::exists(from, ec)) break;
    auto fragment = read_media_segment(from, *info);
    if (!fragment) return tl::unexpected(fragment.error());
    if (track.kind == TrackKind::kVideo && !fragment->starts_with_sync_sample) {
      return fail(ErrorCode::kInternal,
                  fmt::format("segment {} of {} does not start with a keyframe", number, track.id));
    }
    if (number == 1) {
      const double start = static_cast<double>(fragment->base_media_decode_time + fragment->first_composition_offset) /
                           static_cast<double>(track.timescale);
      track.presentation_start_seconds = start;
      if (track.kind == TrackKind::kAudio && picture_start_seconds > start) {
        track.delay_ticks = static_cast<std::uint64_t>(
            std::llround((picture_start_seconds - start) * static_cast<double>(track.timescale)));
        track.presentation_start_seconds = picture_start_seconds;
      }
    }
    if (track.delay_ticks > 0) {
      if (auto moved = set_decode_time(from, *fragment, fragment->base_media_decode_time + track.delay_ticks); !moved) {
        return tl::unexpected(moved.error());
      }
    }
    MediaSegment segment{
        .file = fmt::format("seg-{:05d}.m4s", number),
        .start = fragment->base_media_decode_time + track.delay_ticks,
        .duration = fragment->duration,
        .size_bytes = fs::file_size(from, ec),
    };
    if (track.kind == TrackKind::kVideo &&
        fragment->moof_offset + fragment->keyframe_range_bytes() <= segment.size_bytes) {
      segment.keyframe_offset = fragment->moof_offset;
      segment.keyframe_bytes = fragment->keyframe_range_bytes();
    }
    if (auto moved = move_file(from, folder / segment.file); !moved) return tl::unexpected(moved.error());
    track.segments.push_back(std::move(segment));
  }
  if (track.segments.empty()) {
    return fail(ErrorCode::kInternal, fmt::format("ffmpeg wrote no segments for {}", track.id));
  }
  const bool keyframes_located = std::all_of(track.segments.begin(), track.segments.end(),
                                             [](const MediaSegment& s) { return s.keyframe_bytes > 0; });
  if (track.kind == TrackKind::kVideo && keyframes_located)
    track.iframe_playlist_file = std::string(kIFramePlaylistFile);
  return track;
}

// The WebVTT ffmpeg made of the ladder's `k`th subtitle track, whole and cut
// on the video's segment grid. A track that is not usable WebVTT (too large,
// too many cues) is left out with a note, never failing the job.
Result<std::optional<TextTrack>> collect_subtitles(const EncodeCommand& encoded, int k,
                                                   const SubtitleRendition& rendition, const Track& video,
                                                   const fs::path& root, std::vector<std::string>& notes) {
  const auto from = encoded.subtitle_file(k);
  const WebVttLimits limits;
  std::error_code ec;
  const auto size = fs::file_size(from, ec);
  if (ec || size > limits.max_bytes) {
    notes.push_back(fmt::format("subtitle track {} left out: {}", rendition.name,
                                ec ? ec.message() : fmt::format("{} bytes of WebVTT", size)));
    return std::optional<TextTrack>();
  }
  std::string text;
  {
    std::ifstream in(from, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  auto cues = parse_webvtt(text, limits);
  if (!cues) {
    notes.push_back(fmt::format("subtitle track {} left out: {}", rendition.name, cues.error().message));
    return std::optional<TextTrack>();
  }
  TextTrack track{.id = rendition.name,
                  .folder = "subtitles/" + rendition.name,
                  .language = rendition.language,
                  .label = rendition.label,
                  .caption = rendition.caption,
                  .forced = rendition.forced,
                  .is_default = rendition.is_default};
  const auto folder = root / track.folder;
  if (auto made = make_directories(folder); !made) return tl::unexpected(made.error());
  const auto whole = write_webvtt(*cues);
  if (auto written = write_text_file(folder / track.vtt_file, whole); !written) return tl::unexpected(written.error());
  track.bytes = whole.size();
  track.cues = cues->size();
  for (std::size_t i = 0; i < video.segments.size(); ++i) {
    const auto& segment = video.segments[i];
    TextTrack::Segment piece{.file = fmt::format("seg-{:05d}.vtt", i + 1),
                             .start = video.seconds(segment.start),
                             .duration = video.seconds(segment.duration)};
    if (auto written = write_text_file(folder / piece.file,
                                       write_webvtt_segment(*cues, piece.start, piece.start + piece.duration));
        !written) {
      return tl::unexpected(written.error());
    }
    track.segments.push_back(std::move(piece));
  }
  return std::optional<TextTrack>(std::move(track));
}

Result<void> check_alignment(const std::vector<Track>& video) {
  for (std::size_t i = 1; i < video.size(); ++i) {
    const auto& a = video.front();
    const auto& b = video[i];
    if (a.segments.size() != b.segments.size()) {
      return fail(ErrorCode::kInternal,
                  fmt::format("{} has {} segments but {} has {}", a.id, a.segments.size(), b.id, b.segments.size()));
    }
    for (std::size_t s = 0; s < a.segments.size(); ++s) {
      if (std::abs(a.seconds(a.segments[s].start) - b.seconds(b.segments[s].start)) > kAlignmentToleranceSeconds) {
        return fail(ErrorCode::kInternal,
                    fmt::format("segment {} of {} and {} start at different times", s + 1, a.id, b.id));
      }
    }
  }
  return {};
}

}  // namespace

Result<Presentation> Packager::package(const EncodeCommand& encoded, const Ladder& ladder, double segment_seconds,
                                       const fs::path& root, const std::optional<SpriteSheets>& sprites) const {
  Presentation p;
  p.segment_seconds = segment_seconds;

  // The SDR ladder first (its top rung is the poster's fallback, its
  // smallest the sprites'), then the HDR ladder.
  const auto add_video = [&](const VideoRendition& rendition, const RenditionOutput& output) -> Result<void> {
    Track track;
    track.kind = TrackKind::kVideo;
    track.id = rendition.name;
    track.folder = "video/" + rendition.name;
    track.width = rendition.width;
    track.height = rendition.height;
    track.frame_rate = rendition.frame_rate;
    if (rendition.is_hdr()) track.video_range = rendition.color_transfer == "smpte2084" ? "PQ" : "HLG";
    track.target_bps = static_cast<std::uint64_t>(rendition.bitrate_kbps) * 1000;
    auto collected = collect_track(encoded, output.representation, std::move(track), root);
    if (!collected) return tl::unexpected(collected.error());
    p.video.push_back(std::move(*collected));
    return {};
  };
  for (std::size_t i = 0; i < ladder.video.size(); ++i) {
    if (auto added = add_video(ladder.video[i], encoded.video.at(i)); !added) return tl::unexpected(added.error());
  }
  for (std::size_t i = 0; i < ladder.hdr_video.size(); ++i) {
    if (auto added = add_video(ladder.hdr_video[i], encoded.hdr_video.at(i)); !added) {
      return tl::unexpected(added.error());
    }
  }
  for (std::size_t i = 0; i < ladder.audio.size(); ++i) {
    const auto& rendition = ladder.audio[i];
    Track track;
    track.kind = TrackKind::kAudio;
    track.id = rendition.name;
    track.folder = "audio/" + rendition.name;
    track.language = rendition.language;
    track.label = rendition.label;
    track.role = rendition.role;
    track.is_default = rendition.is_default;
    track.target_bps = static_cast<std::uint64_t>(rendition.bitrate_kbps) * 1000;
    const double picture_start = p.video.empty() ? 0.0 : p.video.front().presentation_start_seconds;
    auto collected = collect_track(encoded, encoded.audio.at(i).representation, std::move(track), root, picture_start);
    if (!collected) return tl::unexpected(collected.error());
    p.audio.push_back(std::move(*collected));
  }
  if (auto aligned = check_alignment(p.video); !aligned) return tl::unexpected(aligned.error());

  for (auto* tracks : {&p.video, &p.audio}) {
    for (auto& track : *tracks) {
      measure_bit_rates(track, hls_target_duration(track), p.min_buffer_seconds());
      p.duration_seconds = std::max(p.duration_seconds, track.duration_seconds());
    }
  }

  for (std::size_t k = 0; k < ladder.subtitles.size() && !p.video.empty(); ++k) {
    auto text = collect_subtitles(encoded, encoded.subtitles.at(k).representation, ladder.subtitles[k], p.video.front(),
                                  root, p.notes);
    if (!text) return tl::unexpected(text.error());
    if (*text) p.subtitles.push_back(std::move(**text));
  }
  p.sprites = sprites;
  if (p.sprites) {
    if (auto written =
            write_text_file(root / p.sprites->track_file, write_thumbnail_track(*p.sprites, p.duration_seconds));
        !written) {
      return tl::unexpected(written.error());
    }
  }

  // Media playlists first, the two entry points last: whoever can see a
  // manifest can fetch everything it names.
  for (const auto* tracks : {&p.video, &p.audio}) {
    for (const auto& track : *tracks) {
      if (auto written = write_text_file(root / track.folder / track.playlist_file, write_hls_media_playlist(track));
          !written) {
        return tl::unexpected(written.error());
      }
      if (track.iframe_playlist_file.empty()) continue;
      if (auto written =
              write_text_file(root / track.folder / track.iframe_playlist_file, write_hls_iframe_playlist(track));
          !written) {
        return tl::unexpected(written.error());
      }
    }
  }
  for (const auto& text : p.subtitles) {
    if (auto written = write_text_file(root / text.folder / text.playlist_file, write_hls_text_playlist(text));
        !written) {
      return tl::unexpected(written.error());
    }
  }
  if (auto written = write_text_file(root / kDashManifestFile, write_dash_mpd(p)); !written) {
    return tl::unexpected(written.error());
  }
  if (auto written = write_text_file(root / kMasterPlaylistFile, write_hls_multivariant_playlist(p)); !written) {
    return tl::unexpected(written.error());
  }
  return p;
}

}  // namespace st
