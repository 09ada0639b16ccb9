// Just enough ISO/IEC 14496-12 (ISO BMFF) to describe CMAF segments exactly.
//
// Manifests must state codec strings, timescales and segment durations that match
// the media byte for byte, so they are read from the files ffmpeg wrote rather
// than from what we asked ffmpeg to do. Only box headers and the small metadata
// boxes are read: 'mdat' payloads are skipped, never loaded.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace st {

// A 'pssh' box (ISO/IEC 23001-7 8.1): which DRM system, the key IDs it
// names (version 1), its system-specific data, and the whole box as the
// manifests carry it.
struct PsshBox {
  std::string system_id;  // UUID, lowercase with hyphens
  std::vector<std::array<std::uint8_t, 16>> key_ids;
  std::vector<std::uint8_t> data;
  std::vector<std::uint8_t> box;
};

// An encrypted sample entry's 'sinf' (ISO/IEC 23001-7 8.2, 8.12).
struct ProtectionInfo {
  std::string scheme;  // 'schm': "cenc", "cbcs"
  std::array<std::uint8_t, 16> default_kid{};
  int per_sample_iv_size = 0;  // 0: a constant IV in 'tenc' (cbcs)
  int crypt_byte_block = 0;    // the pattern of 'tenc' version 1
  int skip_byte_block = 0;
  std::vector<std::uint8_t> constant_iv;
};

// From an initialisation segment (ftyp + moov) with one track.
struct TrackInfo {
  std::string handler;  // "vide" or "soun"
  std::uint32_t track_id = 0;
  std::uint32_t timescale = 0;
  std::string codecs;  // RFC 6381: "avc1.640028", "mp4a.40.2"
  int width = 0;       // visual tracks
  int height = 0;
  int channels = 0;  // audio tracks
  int sample_rate = 0;
  // Defaults from 'trex', used when a fragment does not repeat them.
  std::uint32_t default_sample_duration = 0;
  std::uint32_t default_sample_size = 0;
  std::uint32_t default_sample_flags = 0;
  // Encrypted tracks ('encv'/'enca'): the codec above is the original format's.
  std::optional<ProtectionInfo> protection;
  std::vector<PsshBox> pssh;  // in the 'moov'
};

// From a media segment (styp? + moof + mdat).
struct FragmentInfo {
  std::uint64_t base_media_decode_time = 0;  // 'tfdt', in the track's timescale
  std::uint64_t duration = 0;                // sum of sample durations, same unit
  std::uint32_t sample_count = 0;
  bool starts_with_sync_sample = false;  // the first sample is a random access point
  // Where the first sample is, as file offsets: with the 'moof' before it, the
  // byte range an I-frame playlist names. first_sample_offset is 0 when the
  // fragment does not state its data offset.
  std::uint64_t moof_offset = 0;
  std::uint64_t first_sample_offset = 0;
  std::uint32_t first_sample_size = 0;
  // The first sample's composition offset ('trun'): with B-frames the picture
  // is presented this many ticks after base_media_decode_time.
  std::int64_t first_composition_offset = 0;
  // Where the 'tfdt' time is in the file (8 bytes with version 1, else 4), to move the fragment in time.
  std::uint64_t decode_time_offset = 0;
  int decode_time_bytes = 0;
  // Entries of the fragment's 'senc' (0 when it has none): one per sample when encrypted.
  std::uint32_t encrypted_samples = 0;

  // The bytes from the 'moof' to the end of the first sample; 0 when unknown.
  [[nodiscard]] std::uint64_t keyframe_range_bytes() const {
    return first_sample_offset > moof_offset && first_sample_size > 0
               ? first_sample_offset + first_sample_size - moof_offset
               : 0;
  }
};

Result<TrackInfo> read_init_segment(const std::filesystem::path& path);

// RFC 6381 codecs of HEVC ("hvc1.2.4.L120.B0", ISO/IEC 14496-15 Annex E) from
// the sample entry's type and its 'hvcC' payload.
std::string hevc_codecs(std::string_view sample_entry, std::span<const std::uint8_t> hvcc);
Result<FragmentInfo> read_media_segment(const std::filesystem::path& path, const TrackInfo& track);

// One sample's encryption as 'senc' states it, with where its bytes are.
struct EncryptedSample {
  std::vector<std::uint8_t> iv;
  // (clear bytes, protected bytes) pairs; empty when the whole sample is protected.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> subsamples;
  std::uint64_t offset = 0;  // in the file
  std::uint32_t size = 0;
};

// Every sample of an encrypted media segment's first track fragment, with
// its 'senc' entry. kInvalidInput when the fragment has no 'senc', its entry
// count differs from the samples', or an entry overruns the box.
Result<std::vector<EncryptedSample>> read_sample_encryption(const std::filesystem::path& path, const TrackInfo& track);

// Parses one 'pssh' box (header included).
Result<PsshBox> parse_pssh(std::span<const std::uint8_t> box);

// Rewrites a media segment's 'tfdt' (as read_media_segment located it) to
// `decode_time`, in place: the fragment moves on the timeline, its bytes stay.
Result<void> set_decode_time(const std::filesystem::path& path, const FragmentInfo& fragment,
                             std::uint64_t decode_time);

}  // namespace st
