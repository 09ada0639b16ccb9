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
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Audio (en)\",LANGUAGE=\"en\",DEFAULT=YES,"
            "AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/aac-stereo-en/playlist.m3u8\"\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=6128000,AVERAGE-BANDWIDTH=4528000,CODECS=\"avc1.640028,mp4a.40.2\","
            "RESOLUTION=1920x1080,FRAME-RATE=30.000,AUDIO=\"audio\"\n"
            "video/1080p/playlist.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=3128000,AVERAGE-BANDWIDTH=2328000,CODECS=\"avc1.640028,mp4a.40.2\","
            "RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO=\"audio\"\n"
            "video/720p/playlist.m3u8\n");
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
