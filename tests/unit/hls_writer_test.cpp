#include "packaging/hls_writer.hpp"

#include <gtest/gtest.h>

#include "packaging/bit_rates.hpp"
#include "presentation_fixture.hpp"

namespace st {
namespace {

Presentation measured() {
  auto p = testing::small_presentation();
  for (auto* tracks : {&p.video, &p.audio}) {
    for (auto& t : *tracks) measure_bit_rates(t, hls_target_duration(t), p.min_buffer_seconds());
  }
  return p;
}

TEST(HlsWriter, WritesAVodMediaPlaylistWithAnInitSection) {
  const auto p = measured();
  EXPECT_EQ(write_hls_media_playlist(p.video[0]),
            "#EXTM3U\n"
            "#EXT-X-VERSION:7\n"
            "#EXT-X-TARGETDURATION:4\n"
            "#EXT-X-MEDIA-SEQUENCE:1\n"
            "#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MAP:URI=\"init.mp4\"\n"
            "#EXTINF:4.000,\n"
            "seg-00001.m4s\n"
            "#EXTINF:4.000,\n"
            "seg-00002.m4s\n"
            "#EXTINF:2.000,\n"
            "seg-00003.m4s\n"
            "#EXT-X-ENDLIST\n");
}

TEST(HlsWriter, WritesTheMultivariantPlaylistWithMeasuredPeakAndAverage) {
  const auto p = measured();
  // BANDWIDTH = video peak + audio peak (6 Mb/s + 128 kb/s); AVERAGE-BANDWIDTH likewise.
  EXPECT_EQ(write_hls_multivariant_playlist(p),
            "#EXTM3U\n"
            "#EXT-X-VERSION:7\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio-mp4a.40.2\",NAME=\"English\",LANGUAGE=\"en\",DEFAULT=YES,"
            "AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/aac-stereo-en/playlist.m3u8\"\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=6128000,AVERAGE-BANDWIDTH=4528000,CODECS=\"avc1.640028,mp4a.40.2\","
            "RESOLUTION=1920x1080,FRAME-RATE=30.000,AUDIO=\"audio-mp4a.40.2\"\n"
            "video/1080p/playlist.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=3128000,AVERAGE-BANDWIDTH=2328000,CODECS=\"avc1.640028,mp4a.40.2\","
            "RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO=\"audio-mp4a.40.2\"\n"
            "video/720p/playlist.m3u8\n");
}

Presentation with_tracks(std::vector<Track> extra) {
  auto p = testing::small_presentation();
  for (auto& t : extra) p.audio.push_back(std::move(t));
  for (auto* tracks : {&p.video, &p.audio}) {
    for (auto& t : *tracks) measure_bit_rates(t, hls_target_duration(t), p.min_buffer_seconds());
  }
  return p;
}

TEST(HlsWriter, StatesTheVideoRangeOfEveryVariantOnceAnHdrLadderIsThere) {
  auto p = measured();
  EXPECT_EQ(write_hls_multivariant_playlist(p).find("VIDEO-RANGE"), std::string::npos) << "SDR alone says nothing";
  auto hdr = p.video.front();
  hdr.id = "1080p-hdr";
  hdr.folder = "video/1080p-hdr";
  hdr.codecs = "hvc1.2.4.L120.B0";
  hdr.video_range = "PQ";
  hdr.iframe_playlist_file = "iframes.m3u8";
  hdr.segments.front().keyframe_bytes = 1000;
  p.video.push_back(hdr);
  const auto text = write_hls_multivariant_playlist(p);
  EXPECT_NE(text.find("CODECS=\"hvc1.2.4.L120.B0,mp4a.40.2\",RESOLUTION=1920x1080,FRAME-RATE=30.000,VIDEO-RANGE=PQ,"
                      "AUDIO=\"audio-mp4a.40.2\"\nvideo/1080p-hdr/playlist.m3u8\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("FRAME-RATE=30.000,VIDEO-RANGE=SDR,AUDIO=\"audio-mp4a.40.2\"\nvideo/720p/playlist.m3u8\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("RESOLUTION=1920x1080,VIDEO-RANGE=PQ,URI=\"video/1080p-hdr/iframes.m3u8\""), std::string::npos)
      << text;
}

TEST(HlsWriter, ListsEveryAudioTrackInOneGroupPerCodecAndCountsTheLargest) {
  // English stereo (default), English 5.1 at 384 kb/s, French, an English commentary, an audio description.
  const auto p = with_tracks(
      {testing::audio_track("aac-5.1-en", "en", 6, 192'000), testing::audio_track("aac-stereo-fr", "fr", 2, 64'000),
       testing::audio_track("aac-stereo-en-commentary", "en", 2, 64'000, AudioRole::kCommentary),
       testing::audio_track("aac-stereo-en-description", "en", 2, 64'000, AudioRole::kDescription)});
  const auto text = write_hls_multivariant_playlist(p);
  EXPECT_NE(text.find("NAME=\"aac-5.1-en\",LANGUAGE=\"en\",DEFAULT=NO,AUTOSELECT=YES,CHANNELS=\"6\","),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("NAME=\"aac-stereo-fr\",LANGUAGE=\"fr\",DEFAULT=NO,AUTOSELECT=YES,CHANNELS=\"2\""),
            std::string::npos);
  EXPECT_NE(text.find("NAME=\"aac-stereo-en-commentary\",LANGUAGE=\"en\",DEFAULT=NO,AUTOSELECT=NO,"
                      "CHARACTERISTICS=\"public.auxiliary-content\""),
            std::string::npos);
  EXPECT_NE(text.find("CHARACTERISTICS=\"public.accessibility.describes-video\""), std::string::npos);
  // One DEFAULT=YES in the group, one variant per video rendition.
  std::size_t defaults = 0;
  for (auto at = text.find("DEFAULT=YES"); at != std::string::npos; at = text.find("DEFAULT=YES", at + 1)) ++defaults;
  EXPECT_EQ(defaults, 1U);
  std::size_t variants = 0;
  for (auto at = text.find("#EXT-X-STREAM-INF"); at != std::string::npos; at = text.find("#EXT-X-STREAM-INF", at + 1)) {
    ++variants;
  }
  EXPECT_EQ(variants, 2U);
  // BANDWIDTH counts the 5.1 track's peak (768 kb/s: its last segment is 2 s
  // long and as large as the others), the largest of the group.
  EXPECT_NE(text.find("BANDWIDTH=6768000,"), std::string::npos) << text;
}

TEST(HlsWriter, RepeatsEachVariantForEveryAudioCodec) {
  auto ec3 = testing::audio_track("ec3-5.1-en", "en", 6, 96'000);
  ec3.codecs = "ec-3";
  const auto text = write_hls_multivariant_playlist(with_tracks({ec3}));
  EXPECT_NE(text.find("GROUP-ID=\"audio-ec-3\",NAME=\"ec3-5.1-en\",LANGUAGE=\"en\",DEFAULT=YES"), std::string::npos)
      << text;
  EXPECT_NE(text.find("CODECS=\"avc1.640028,ec-3\",RESOLUTION=1920x1080,FRAME-RATE=30.000,AUDIO=\"audio-ec-3\""),
            std::string::npos);
  EXPECT_NE(
      text.find("CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,FRAME-RATE=30.000,AUDIO=\"audio-mp4a.40.2\""),
      std::string::npos);
}

TEST(HlsWriter, OmitsTheAudioGroupWhenThereIsNoAudio) {
  auto p = measured();
  p.audio.clear();
  const auto text = write_hls_multivariant_playlist(p);
  EXPECT_EQ(text.find("EXT-X-MEDIA"), std::string::npos);
  EXPECT_EQ(text.find("AUDIO="), std::string::npos);
  EXPECT_NE(text.find("CODECS=\"avc1.640028\","), std::string::npos);
  EXPECT_NE(text.find("BANDWIDTH=6000000,"), std::string::npos);
}

TEST(HlsWriter, WritesAnIFramePlaylistOfKeyframeByteRanges) {
  auto p = measured();
  auto& v = p.video[0];
  v.iframe_playlist_file = "iframes.m3u8";
  for (auto& s : v.segments) {
    s.keyframe_offset = 24;
    s.keyframe_bytes = 50'000;
  }
  EXPECT_EQ(write_hls_iframe_playlist(v),
            "#EXTM3U\n"
            "#EXT-X-VERSION:7\n"
            "#EXT-X-TARGETDURATION:4\n"
            "#EXT-X-MEDIA-SEQUENCE:1\n"
            "#EXT-X-PLAYLIST-TYPE:VOD\n"
            "#EXT-X-I-FRAMES-ONLY\n"
            "#EXT-X-INDEPENDENT-SEGMENTS\n"
            "#EXT-X-MAP:URI=\"init.mp4\"\n"
            "#EXTINF:4.000,\n#EXT-X-BYTERANGE:50000@24\nseg-00001.m4s\n"
            "#EXTINF:4.000,\n#EXT-X-BYTERANGE:50000@24\nseg-00002.m4s\n"
            "#EXTINF:2.000,\n#EXT-X-BYTERANGE:50000@24\nseg-00003.m4s\n"
            "#EXT-X-ENDLIST\n");
  // 50 kB in the 2 s segment is the peak (200 kb/s); 150 kB over 10 s the average.
  const auto master = write_hls_multivariant_playlist(p);
  EXPECT_NE(master.find("#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=200000,AVERAGE-BANDWIDTH=120000,CODECS=\"avc1.640028\","
                        "RESOLUTION=1920x1080,URI=\"video/1080p/iframes.m3u8\"\n"),
            std::string::npos)
      << master;
  // The 720p track has no located keyframes: no I-frame stream for it.
  EXPECT_EQ(master.find("video/720p/iframes.m3u8"), std::string::npos);
}

TEST(HlsWriter, TargetDurationIsTheLongestSegmentRoundedToTheNearestSecond) {
  Track t;
  t.timescale = 1000;
  t.segments = {{"a", 0, 4400, 1}, {"b", 4400, 4000, 1}};
  EXPECT_EQ(hls_target_duration(t), 4);
  t.segments.push_back({"c", 8400, 4600, 1});
  EXPECT_EQ(hls_target_duration(t), 5);
}

}  // namespace
}  // namespace st
