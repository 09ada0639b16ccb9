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
#include "util/machine.hpp"
#include "util/parallel.hpp"
#include "util/temp_dir.hpp"

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

// Encrypts a collected track's files in place and describes them again: the
// packager's fragments must start and last exactly as ours did, and every one
// after the clear lead must carry one 'senc' entry per sample.
Result<void> encrypt_track(Track& track, const TrackEncryption& encryption, const SegmentEncryptor& encryptor,
                           double segment_seconds, const fs::path& root, const fs::path& work_parent,
                           std::vector<std::vector<std::string>>& commands, const std::stop_token& stop) {
  const auto folder = root / track.folder;
  std::vector<fs::path> segments;
  segments.reserve(track.segments.size());
  for (const auto& segment : track.segments) segments.push_back(folder / segment.file);
  auto work = TempDir::create(work_parent, "encrypt-");
  if (!work) return tl::unexpected(work.error());
  auto files = encryptor.encrypt(folder / track.init_file, segments, track.kind == TrackKind::kVideo, segment_seconds,
                                 encryption, work->path(), stop);
  if (!files) return tl::unexpected(files.error());
  commands.push_back(files->argv);

  auto info = read_init_segment(files->init);
  if (!info) return tl::unexpected(info.error());
  const auto scheme = std::string(to_string(encryption.scheme));
  if (!info->protection || info->protection->default_kid != encryption.key.kid.bytes ||
      info->protection->scheme != scheme) {
    return fail(ErrorCode::kInternal, fmt::format("the packager did not protect {} with {} and key ID {}", track.id,
                                                  scheme, encryption.key.kid.uuid()));
  }
  // Video must come back cut as it went in (every rendition on the same
  // keyframes); audio may be cut a frame apart, but must cover the same
  // timeline without a gap.
  const bool video = track.kind == TrackKind::kVideo;
  if (video && files->segments.size() != track.segments.size()) {
    return fail(ErrorCode::kInternal, fmt::format("the packager cut the {} segments of {} into {}",
                                                  track.segments.size(), track.id, files->segments.size()));
  }
  const auto first_start = track.segments.front().start;
  const auto end = track.segments.back().start + track.segments.back().duration;
  std::vector<MediaSegment> encrypted;
  for (std::size_t i = 0; i < files->segments.size(); ++i) {
    auto fragment = read_media_segment(files->segments[i], *info);
    if (!fragment) return tl::unexpected(fragment.error());
    const auto expected_start = i == 0 ? first_start : encrypted.back().start + encrypted.back().duration;
    const bool moved = video ? fragment->base_media_decode_time != track.segments[i].start ||
                                   fragment->duration != track.segments[i].duration
                             : fragment->base_media_decode_time != expected_start;
    if (moved) return fail(ErrorCode::kInternal, fmt::format("the packager moved segment {} of {}", i + 1, track.id));
    // The packager rounds the clear lead up to whole fragments: one that
    // starts within it stays clear.
    const bool in_clear_lead = track.seconds(fragment->base_media_decode_time) < encryption.clear_lead_seconds;
    if (!in_clear_lead && fragment->encrypted_samples != fragment->sample_count) {
      return fail(ErrorCode::kInternal, fmt::format("segment {} of {} is not encrypted", i + 1, track.id));
    }
    std::error_code ec;
    MediaSegment segment{.file = fmt::format("seg-{:05d}.m4s", i + 1),
                         .start = fragment->base_media_decode_time,
                         .duration = fragment->duration,
                         .size_bytes = fs::file_size(files->segments[i], ec)};
    if (video && track.segments[i].keyframe_bytes > 0) {
      segment.keyframe_offset = fragment->moof_offset;
      segment.keyframe_bytes = fragment->keyframe_range_bytes();
    }
    encrypted.push_back(std::move(segment));
  }
  if (encrypted.back().start + encrypted.back().duration != end) {
    return fail(ErrorCode::kInternal, fmt::format("the packager's {} ends elsewhere than ours", track.id));
  }
  if (auto moved = move_file(files->init, folder / track.init_file); !moved) return tl::unexpected(moved.error());
  for (const auto& segment : segments) {
    std::error_code ec;
    fs::remove(segment, ec);
  }
  for (std::size_t i = 0; i < encrypted.size(); ++i) {
    if (auto moved = move_file(files->segments[i], folder / encrypted[i].file); !moved) {
      return tl::unexpected(moved.error());
    }
  }
  track.segments = std::move(encrypted);
  TrackProtection protection{.scheme = encryption.scheme,
                             .kid = encryption.key.kid,
                             .key_type = encryption.key.type,
                             .systems = encryption.systems,
                             .headers = {}};
  for (const auto& pssh : info->pssh) {
    const auto system = system_for_id(pssh.system_id);
    if (!system ||
        std::find(encryption.systems.begin(), encryption.systems.end(), *system) == encryption.systems.end()) {
      continue;
    }
    protection.headers.push_back({.system = *system, .box = pssh.box, .data = pssh.data});
  }
  track.protection = std::move(protection);
  return {};
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

Result<void> Packager::encrypt_tracks(Presentation& p, const ProtectionPlan& protection, double segment_seconds,
                                      const fs::path& root, const fs::path& scratch, const std::stop_token& stop) {
  const auto& policy = protection.policy;
  p.signalling = protection.signalling;
  std::vector<std::pair<Track*, TrackEncryption>> work;
  for (auto* tracks : {&p.video, &p.audio}) {
    for (auto& track : *tracks) {
      const auto type =
          track.kind == TrackKind::kAudio ? TrackType::kAudio : policy.video_key_type(track.width, track.height);
      const auto* key = protection.keys.for_type(type);
      if (key == nullptr) {
        return fail(ErrorCode::kUsage, fmt::format("no content key for {} (track type {})", track.id, to_string(type)));
      }
      if (policy.scheme == ProtectionScheme::kAes128) {
        // Whole segments: their bytes cannot be cut into I-frame ranges, nor played from DASH.
        for (std::size_t n = 0; n < track.segments.size(); ++n) {
          auto size = encrypt_whole_segment(root / track.folder / track.segments[n].file, key->key, n + 1);
          if (!size) return tl::unexpected(size.error());
          track.segments[n].size_bytes = *size;
        }
        track.iframe_playlist_file.clear();
        track.protection =
            TrackProtection{.scheme = policy.scheme, .kid = key->kid, .key_type = type, .systems = {}, .headers = {}};
        p.aes128 = true;
        continue;
      }
      work.emplace_back(&track, TrackEncryption{.scheme = policy.scheme,
                                                .systems = policy.systems,
                                                .key = *key,
                                                .clear_lead_seconds = policy.clear_lead_seconds});
    }
  }
  // One packager per track, as many at once as there are cores: each is
  // single-threaded and mostly AES, and a title has six or more tracks.
  const SegmentEncryptor encryptor(encryptor_);
  std::vector<std::vector<std::vector<std::string>>> commands(work.size());
  const int concurrency = std::max(1, static_cast<int>(std::ceil(available_cpus())));
  auto done = parallel_for(work.size(), concurrency, [&](std::size_t i) {
    return encrypt_track(*work[i].first, work[i].second, encryptor, segment_seconds, root, scratch, commands[i], stop);
  });
  for (auto& argv : commands) commands_.insert(commands_.end(), argv.begin(), argv.end());
  return done;
}

Result<Presentation> Packager::package(const EncodeCommand& encoded, const Ladder& ladder, double segment_seconds,
                                       const fs::path& root, const std::optional<SpriteSheets>& sprites,
                                       const ProtectionPlan* protection, const std::stop_token& stop) {
  Presentation p;
  p.segment_seconds = segment_seconds;
  commands_.clear();

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

  if (protection != nullptr && protection->policy.encrypts()) {
    if (auto encrypted = encrypt_tracks(p, *protection, segment_seconds, root, encoded.output_dir, stop); !encrypted) {
      return tl::unexpected(encrypted.error());
    }
  }

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
      if (auto written =
              write_text_file(root / track.folder / track.playlist_file, write_hls_media_playlist(track, p.signalling));
          !written) {
        return tl::unexpected(written.error());
      }
      if (track.iframe_playlist_file.empty()) continue;
      if (auto written = write_text_file(root / track.folder / track.iframe_playlist_file,
                                         write_hls_iframe_playlist(track, p.signalling));
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
  if (p.aes128) {
    p.notes.emplace_back("no DASH manifest: AES-128 encrypts whole segments, which only HLS can play");
  } else if (auto written = write_text_file(root / kDashManifestFile, write_dash_mpd(p)); !written) {
    return tl::unexpected(written.error());
  }
  if (auto written = write_text_file(root / kMasterPlaylistFile, write_hls_multivariant_playlist(p)); !written) {
    return tl::unexpected(written.error());
  }
  return p;
}

}  // namespace st
