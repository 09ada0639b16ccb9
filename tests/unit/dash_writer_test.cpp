#include "packaging/dash_writer.hpp"

#include <gtest/gtest.h>

#include "packaging/bit_rates.hpp"
#include "presentation_fixture.hpp"

namespace st {
namespace {

TEST(Iso8601Duration, WritesHoursMinutesAndSeconds) {
  EXPECT_EQ(iso8601_duration(10), "PT10.000S");
  EXPECT_EQ(iso8601_duration(62.5), "PT1M2.500S");
  EXPECT_EQ(iso8601_duration(3723.25), "PT1H2M3.250S");
}

TEST(DashWriter, WritesAStaticMpdWithSegmentTimelines) {
  auto p = testing::small_presentation();
  p.video.pop_back();
  for (auto* tracks : {&p.video, &p.audio}) {
    for (auto& t : *tracks) measure_bit_rates(t, 4, p.min_buffer_seconds());
  }
  EXPECT_EQ(write_dash_mpd(p),
            R"(<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019" type="static" mediaPresentationDuration="PT10.000S" maxSegmentDuration="PT4.000S" minBufferTime="PT8.000S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" maxWidth="1920" maxHeight="1080" maxFrameRate="30">
      <Representation id="1080p" bandwidth="3333334" codecs="avc1.640028" width="1920" height="1080" frameRate="30" sar="1:1">
        <SegmentTemplate timescale="15360" initialization="video/1080p/init.mp4" media="video/1080p/seg-$Number%05d$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="61440" r="1" />
            <S d="30720" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" lang="en" segmentAlignment="true" startWithSAP="1">
      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main" />
      <Label>English</Label>
      <Representation id="aac-stereo-en" bandwidth="85334" codecs="mp4a.40.2" audioSamplingRate="48000">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2" />
        <SegmentTemplate timescale="48000" initialization="audio/aac-stereo-en/init.mp4" media="audio/aac-stereo-en/seg-$Number%05d$.m4s" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="192000" r="1" />
            <S d="96000" />
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
)");
}

TEST(DashWriter, EscapesXmlInAttributes) {
  auto p = testing::small_presentation();
  p.audio[0].label = "Tom & Jerry <commentary>";
  const auto text = write_dash_mpd(p);
  EXPECT_NE(text.find("<Label>Tom &amp; Jerry &lt;commentary&gt;</Label>"), std::string::npos);
}

TEST(DashWriter, GroupsAudioByLanguageCodecAndRole) {
  auto p = testing::small_presentation();
  p.audio.push_back(testing::audio_track("aac-5.1-en", "en", 6, 192'000));
  p.audio.push_back(testing::audio_track("aac-stereo-fr", "fr", 2, 64'000));
  p.audio.push_back(testing::audio_track("aac-stereo-en-commentary", "en", 2, 64'000, AudioRole::kCommentary));
  p.audio.push_back(testing::audio_track("aac-stereo-und-description", "und", 2, 64'000, AudioRole::kDescription));
  const auto text = write_dash_mpd(p);
  std::size_t sets = 0;
  for (auto at = text.find("contentType=\"audio\""); at != std::string::npos;
       at = text.find("contentType=\"audio\"", at + 1)) {
    ++sets;
  }
  EXPECT_EQ(sets, 4U) << text;
  // Stereo and 5.1 of one language share a set, each with its channel count.
  const auto english = text.find("lang=\"en\"");
  const auto french = text.find("lang=\"fr\"");
  ASSERT_NE(english, std::string::npos);
  ASSERT_NE(french, std::string::npos);
  const auto stereo = text.find("id=\"aac-stereo-en\"");
  const auto surround = text.find("id=\"aac-5.1-en\"");
  EXPECT_TRUE(english < stereo && stereo < surround && surround < french) << text;
  EXPECT_NE(text.find("value=\"6\"", surround), std::string::npos);
  EXPECT_NE(text.find("<Role schemeIdUri=\"urn:mpeg:dash:role:2011\" value=\"alternate\" />", french),
            std::string::npos);
  EXPECT_NE(text.find("value=\"commentary\""), std::string::npos);
  EXPECT_NE(text.find("value=\"description\" />\n      <Accessibility "
                      "schemeIdUri=\"urn:tva:metadata:cs:AudioPurposeCS:2007\" value=\"1\" />"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lang=\"und\""), std::string::npos);
}

TEST(DashWriter, PutsTheHdrLadderInASetOfItsOwnWithItsColourCodePoints) {
  auto p = testing::small_presentation();
  auto hdr = p.video.front();
  hdr.id = "1080p-hdr";
  hdr.codecs = "hvc1.2.4.L120.B0";
  hdr.video_range = "HLG";
  p.video.push_back(hdr);
  const auto text = write_dash_mpd(p);
  const auto sdr_set = text.find("<AdaptationSet id=\"0\" contentType=\"video\"");
  const auto hdr_set = text.find("<AdaptationSet id=\"1\" contentType=\"video\"");
  ASSERT_NE(sdr_set, std::string::npos) << text;
  ASSERT_NE(hdr_set, std::string::npos) << text;
  EXPECT_LT(text.find("id=\"720p\""), hdr_set);
  EXPECT_GT(text.find("id=\"1080p-hdr\""), hdr_set);
  EXPECT_NE(text.find("<SupplementalProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:ColourPrimaries\" value=\"9\" />"),
            std::string::npos)
      << text;
  EXPECT_GT(text.find("cicp"), hdr_set) << "nothing HDR about the SDR set";
  EXPECT_NE(text.find("<EssentialProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:TransferCharacteristics\" value=\"18\" />"),
            std::string::npos);
  EXPECT_NE(text.find("<AdaptationSet id=\"2\" contentType=\"audio\""), std::string::npos) << "ids stay unique";
}

TEST(DashWriter, WritesFractionalFrameRatesExactly) {
  auto p = testing::small_presentation();
  for (auto& v : p.video) v.frame_rate = {30000, 1001};
  const auto text = write_dash_mpd(p);
  EXPECT_NE(text.find("frameRate=\"30000/1001\""), std::string::npos);
  EXPECT_NE(text.find("maxFrameRate=\"30000/1001\""), std::string::npos);
}

}  // namespace
}  // namespace st
