// A small, hand-checked Presentation shared by the manifest writer tests.
#pragma once

#include "packaging/presentation.hpp"

namespace st::testing {

// Two video renditions and one audio track; three segments of 4 s (the last
// one 2 s), at timescales 15360 (video) and 48000 (audio).
inline Presentation small_presentation() {
  Presentation p;
  p.segment_seconds = 4;
  p.duration_seconds = 10;

  auto video = [](std::string id, int w, int h, std::uint64_t scale_bytes) {
    Track t;
    t.kind = TrackKind::kVideo;
    t.id = id;
    t.folder = "video/" + id;
    t.codecs = "avc1.640028";
    t.timescale = 15360;
    t.width = w;
    t.height = h;
    t.frame_rate = {30, 1};
    t.segments = {{"seg-00001.m4s", 0, 61440, 2 * scale_bytes},
                  {"seg-00002.m4s", 61440, 61440, 3 * scale_bytes},
                  {"seg-00003.m4s", 122880, 30720, scale_bytes / 2}};
    return t;
  };
  p.video.push_back(video("1080p", 1920, 1080, 1'000'000));
  p.video.push_back(video("720p", 1280, 720, 500'000));

  Track a;
  a.kind = TrackKind::kAudio;
  a.id = "aac-stereo-en";
  a.folder = "audio/aac-stereo-en";
  a.codecs = "mp4a.40.2";
  a.timescale = 48000;
  a.channels = 2;
  a.sample_rate = 48000;
  a.language = "en";
  a.label = "English";
  a.is_default = true;
  a.segments = {{"seg-00001.m4s", 0, 192000, 64'000},
                {"seg-00002.m4s", 192000, 192000, 64'000},
                {"seg-00003.m4s", 384000, 96000, 32'000}};
  p.audio.push_back(a);
  return p;
}

// An audio track beside the fixture's English stereo one.
inline Track audio_track(std::string id, std::string language, int channels, std::uint64_t segment_bytes,
                         AudioRole role = AudioRole::kMain) {
  auto t = small_presentation().audio.front();
  t.id = id;
  t.folder = "audio/" + id;
  t.language = std::move(language);
  t.label = id;
  t.channels = channels;
  t.role = role;
  t.is_default = false;
  for (auto& s : t.segments) s.size_bytes = segment_bytes;
  return t;
}

}  // namespace st::testing
