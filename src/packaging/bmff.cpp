#include "packaging/bmff.hpp"

#include <array>
#include <bit>
#include <fstream>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace st {
namespace {

namespace fs = std::filesystem;

// Metadata boxes larger than this are not what our muxer writes: refuse them
// rather than allocate whatever a damaged size field says.
constexpr std::uint64_t kMaxMetadataBoxBytes = std::uint64_t{16} * 1024 * 1024;
constexpr std::uint32_t kSampleIsNonSync = 0x00010000;

// A bounds-checked big-endian reader over a byte range.
class Cursor {
 public:
  explicit Cursor(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] std::size_t remaining() const { return ok_ ? bytes_.size() - pos_ : 0; }
  [[nodiscard]] std::span<const std::uint8_t> rest() const { return bytes_.subspan(ok_ ? pos_ : bytes_.size()); }

  std::uint64_t read(std::size_t bytes) {
    if (!ok_ || bytes_.size() - pos_ < bytes) {
      ok_ = false;
      return 0;
    }
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i) value = (value << 8) | bytes_[pos_ + i];
    pos_ += bytes;
    return value;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(read(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(read(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(read(4)); }
  std::uint64_t u64() { return read(8); }
  void skip(std::size_t bytes) {
    if (!ok_ || bytes_.size() - pos_ < bytes) {
      ok_ = false;
      return;
    }
    pos_ += bytes;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

struct Box {
  std::string type;
  std::span<const std::uint8_t> payload;
};

// Iterates the boxes laid out back to back in `bytes`.
std::vector<Box> children(std::span<const std::uint8_t> bytes) {
  std::vector<Box> boxes;
  Cursor c(bytes);
  while (c.remaining() >= 8) {
    const auto start = bytes.size() - c.remaining();
    std::uint64_t size = c.u32();
    const auto type_code = c.u32();
    std::size_t header = 8;
    if (size == 1) {
      size = c.u64();
      header = 16;
    } else if (size == 0) {
      size = bytes.size() - start;
    }
    if (!c.ok() || size < header || size > bytes.size() - start) break;
    std::string type(4, ' ');
    for (int i = 0; i < 4; ++i)
      type[static_cast<std::size_t>(i)] = static_cast<char>((type_code >> (24 - 8 * i)) & 0xFF);
    boxes.push_back({type, bytes.subspan(start + header, size - header)});
    c.skip(size - header);
  }
  return boxes;
}

std::optional<Box> child(std::span<const std::uint8_t> bytes, std::string_view type) {
  for (auto& box : children(bytes)) {
    if (box.type == type) return box;
  }
  return std::nullopt;
}

// Follows a path of nested boxes: find(moov, {"trak", "mdia", "mdhd"}).
std::optional<Box> find(std::span<const std::uint8_t> bytes, std::initializer_list<std::string_view> path) {
  std::optional<Box> current;
  auto scope = bytes;
  for (const auto type : path) {
    current = child(scope, type);
    if (!current) return std::nullopt;
    scope = current->payload;
  }
  return current;
}

struct TopLevelBox {
  std::string type;
  std::uint64_t offset = 0;  // of the box header in the file
  std::vector<std::uint8_t> payload;
};

// Reads the top-level boxes of a file: small metadata boxes whole, others skipped.
Result<std::vector<TopLevelBox>> read_top_level(const fs::path& path, std::initializer_list<std::string_view> wanted) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("cannot open {}", path.string()));
  std::vector<TopLevelBox> out;
  std::uint64_t offset = 0;
  while (true) {
    std::array<std::uint8_t, 16> header{};
    in.read(reinterpret_cast<char*>(header.data()), 8);
    if (in.gcount() == 0) break;
    if (in.gcount() != 8) return fail(ErrorCode::kInvalidInput, fmt::format("{}: truncated box header", path.string()));
    Cursor c(std::span(header.data(), 8));
    std::uint64_t size = c.u32();
    const std::string type(reinterpret_cast<const char*>(header.data()) + 4, 4);
    std::uint64_t header_size = 8;
    if (size == 1) {
      in.read(reinterpret_cast<char*>(header.data()) + 8, 8);
      Cursor large(std::span(header.data() + 8, 8));
      size = large.u64();
      header_size = 16;
    }
    if (size == 0) break;  // extends to the end of the file: nothing after it
    if (size < header_size)
      return fail(ErrorCode::kInvalidInput, fmt::format("{}: bad size for box '{}'", path.string(), type));
    const auto payload_size = size - header_size;
    const bool keep = std::find(wanted.begin(), wanted.end(), type) != wanted.end();
    if (keep) {
      if (payload_size > kMaxMetadataBoxBytes) {
        return fail(ErrorCode::kInvalidInput, fmt::format("{}: box '{}' is implausibly large", path.string(), type));
      }
      std::vector<std::uint8_t> payload(payload_size);
      in.read(reinterpret_cast<char*>(payload.data()), static_cast<std::streamsize>(payload_size));
      if (static_cast<std::uint64_t>(in.gcount()) != payload_size) {
        return fail(ErrorCode::kInvalidInput, fmt::format("{}: box '{}' is truncated", path.string(), type));
      }
      out.push_back({.type = type, .offset = offset, .payload = std::move(payload)});
    } else {
      in.seekg(static_cast<std::streamoff>(payload_size), std::ios::cur);
      if (!in) return fail(ErrorCode::kInvalidInput, fmt::format("{}: box '{}' is truncated", path.string(), type));
    }
    offset += size;
  }
  return out;
}

// ISO/IEC 14496-1 descriptor length: up to four bytes of 7 bits each.
std::size_t descriptor_length(Cursor& c) {
  std::size_t length = 0;
  for (int i = 0; i < 4; ++i) {
    const auto byte = c.u8();
    length = (length << 7) | (byte & 0x7F);
    if ((byte & 0x80) == 0) break;
  }
  return length;
}

// Reads big-endian bit fields from a byte span; reads past the end give zeros.
class BitReader {
 public:
  explicit BitReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  unsigned bits(int count) {
    unsigned value = 0;
    for (int i = 0; i < count; ++i, ++position_) {
      const auto byte = position_ / 8;
      const unsigned bit = byte < bytes_.size() ? (bytes_[byte] >> (7 - position_ % 8)) & 1U : 0U;
      value = (value << 1) | bit;
    }
    return value;
  }
  [[nodiscard]] bool ok() const { return position_ <= bytes_.size() * 8; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

struct Mp4aConfig {
  std::string codecs = "mp4a";
  int channels = 0;  // 0: not stated by the AudioSpecificConfig
};

// "mp4a.40.2" and the channel count from an 'esds' box (ISO/IEC 14496-1
// ES_Descriptor; RFC 6381 3.3). The channels come from the AudioSpecificConfig
// (ISO/IEC 14496-3 1.6.2.1): MP4 writers put 2 in the sample entry whatever
// the stream holds.
Mp4aConfig mp4a_config(std::span<const std::uint8_t> esds) {
  Mp4aConfig config;
  Cursor c(esds);
  c.skip(4);  // version and flags
  if (c.u8() != 0x03) return config;
  descriptor_length(c);
  c.skip(2);  // ES_ID
  const auto flags = c.u8();
  if ((flags & 0x80) != 0) c.skip(2);
  if ((flags & 0x40) != 0) c.skip(c.u8());
  if ((flags & 0x20) != 0) c.skip(2);
  if (c.u8() != 0x04) return config;
  descriptor_length(c);
  const auto object_type = c.u8();
  c.skip(12);  // stream type, buffer size, max and average bit rate
  config.codecs = fmt::format("mp4a.{:02x}", object_type);
  if (c.u8() == 0x05) {
    const auto length = descriptor_length(c);
    const auto specific = c.rest().first(std::min(length, c.remaining()));
    BitReader bits(specific);
    // 5 bits of audio object type, 31 escaping to 6 more.
    unsigned aot = bits.bits(5);
    if (aot == 31) aot = 32 + bits.bits(6);
    if (bits.bits(4) == 0xF) bits.bits(24);  // an explicit sampling frequency
    const unsigned channel_configuration = bits.bits(4);
    if (!specific.empty() && bits.ok()) {
      config.codecs += fmt::format(".{}", aot);
      // 1..6 are that many channels, 7 is 7.1; 0 defers to a program config element.
      if (channel_configuration >= 1 && channel_configuration <= 6)
        config.channels = static_cast<int>(channel_configuration);
      if (channel_configuration == 7) config.channels = 8;
    }
  }
  return config;
}

}  // namespace

// ISO/IEC 14496-15 Annex E.3: "hvc1.2.4.L120.B0" from the first 13 bytes of
// an HEVCDecoderConfigurationRecord.
std::string hevc_codecs(std::string_view sample_entry, std::span<const std::uint8_t> hvcc) {
  Cursor c(hvcc);
  c.skip(1);  // configurationVersion
  const auto first = c.u8();
  const auto compatibility = c.u32();
  std::array<std::uint8_t, 6> constraints{};
  for (auto& byte : constraints) byte = c.u8();
  const auto level = c.u8();
  if (!c.ok()) return std::string(sample_entry);
  const int space = first >> 6;
  const bool high_tier = (first & 0x20) != 0;
  const int profile = first & 0x1F;
  // The compatibility flags in reverse bit order, in hex without leading zeros.
  std::uint32_t reversed = 0;
  for (int bit = 0; bit < 32; ++bit) reversed |= ((compatibility >> bit) & 1U) << (31 - bit);
  auto out = fmt::format("{}.{}{}.{:X}.{}{}", sample_entry,
                         space == 0 ? "" : std::string(1, static_cast<char>('A' + space - 1)), profile, reversed,
                         high_tier ? 'H' : 'L', level);
  // The constraint bytes, trailing zero bytes left out.
  std::size_t last = constraints.size();
  while (last > 0 && constraints[last - 1] == 0) --last;
  for (std::size_t i = 0; i < last; ++i) out += fmt::format(".{:X}", constraints[i]);
  return out;
}

namespace {

// The fixed fields of a sample entry before its child boxes (ISO/IEC 14496-12 12.1.3, 12.2.3).
constexpr std::size_t kVisualEntryFields = 78;
constexpr std::size_t kAudioEntryFields = 28;

std::string four_cc(std::uint32_t code) {
  std::string out(4, ' ');
  for (std::size_t i = 0; i < 4; ++i) out[i] = static_cast<char>((code >> (24 - 8 * i)) & 0xFF);
  return out;
}

// An encrypted entry's 'sinf': the original format ('frma') and how it is protected.
std::optional<ProtectionInfo> read_sinf(std::span<const std::uint8_t> sinf, std::string& original_format) {
  ProtectionInfo info;
  if (const auto frma = child(sinf, "frma")) {
    Cursor c(frma->payload);
    const auto code = c.u32();
    if (c.ok()) original_format = four_cc(code);
  }
  if (const auto schm = child(sinf, "schm")) {
    Cursor c(schm->payload);
    c.skip(4);
    const auto code = c.u32();
    if (c.ok()) info.scheme = four_cc(code);
  }
  const auto tenc = find(sinf, {"schi", "tenc"});
  if (!tenc) return std::nullopt;
  Cursor c(tenc->payload);
  const auto version = c.u8();
  c.skip(3 + 1);  // flags, reserved
  const auto pattern = c.u8();
  if (version >= 1) {
    info.crypt_byte_block = pattern >> 4;
    info.skip_byte_block = pattern & 0x0F;
  }
  const bool is_protected = c.u8() != 0;
  info.per_sample_iv_size = c.u8();
  for (auto& byte : info.default_kid) byte = c.u8();
  if (is_protected && info.per_sample_iv_size == 0) {
    const auto size = c.u8();
    for (std::size_t i = 0; i < size && c.ok(); ++i) info.constant_iv.push_back(c.u8());
  }
  if (!c.ok()) return std::nullopt;
  return info;
}

// Fills codec, size and channel facts from the first sample entry of 'stsd';
// an encrypted entry ('encv', 'enca') is read as its original format.
void read_sample_entry(std::span<const std::uint8_t> stsd, TrackInfo& track) {
  Cursor c(stsd);
  c.skip(8);  // version, flags, entry count
  const auto entries = children(c.rest());
  if (entries.empty()) return;
  const auto& entry = entries.front();
  std::string format = entry.type;
  if (entry.type == "encv" || entry.type == "enca") {
    const std::size_t fields = entry.type == "encv" ? kVisualEntryFields : kAudioEntryFields;
    if (entry.payload.size() > fields) {
      if (const auto sinf = child(entry.payload.subspan(fields), "sinf")) {
        track.protection = read_sinf(sinf->payload, format);
      }
    }
  }
  if (format == "avc1" || format == "avc3") {
    Cursor v(entry.payload);
    v.skip(6 + 2 + 16);  // reserved, data reference index, pre-defined/reserved
    track.width = v.u16();
    track.height = v.u16();
    v.skip(50);  // resolutions, frame count, compressor name, depth, pre-defined
    if (const auto avcc = child(v.rest(), "avcC")) {
      Cursor a(avcc->payload);
      a.skip(1);  // configurationVersion
      const auto profile = a.u8();
      const auto compatibility = a.u8();
      const auto level = a.u8();
      if (a.ok()) track.codecs = fmt::format("{}.{:02x}{:02x}{:02x}", format, profile, compatibility, level);
    }
  } else if (format == "hvc1" || format == "hev1") {
    Cursor v(entry.payload);
    v.skip(6 + 2 + 16);  // as for avc1: a VisualSampleEntry
    track.width = v.u16();
    track.height = v.u16();
    v.skip(50);
    const auto hvcc = child(v.rest(), "hvcC");
    track.codecs = hvcc ? hevc_codecs(format, hvcc->payload) : format;
  } else if (format == "mp4a") {
    Cursor s(entry.payload);
    s.skip(6 + 2 + 8);  // reserved, data reference index, reserved
    track.channels = s.u16();
    s.skip(2 + 2 + 2);  // sample size, pre-defined, reserved
    track.sample_rate = static_cast<int>(s.u32() >> 16);
    if (const auto esds = child(s.rest(), "esds")) {
      const auto config = mp4a_config(esds->payload);
      track.codecs = config.codecs;
      if (config.channels > 0) track.channels = config.channels;
    } else {
      track.codecs = "mp4a";
    }
  } else {
    track.codecs = format;
  }
}

std::string uuid_text(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

}  // namespace

Result<TrackInfo> read_init_segment(const fs::path& path) {
  auto boxes = read_top_level(path, {"moov"});
  if (!boxes) return tl::unexpected(boxes.error());
  if (boxes->empty()) return fail(ErrorCode::kInvalidInput, fmt::format("{}: no 'moov' box", path.string()));
  const std::span<const std::uint8_t> moov(boxes->front().payload);

  TrackInfo track;
  const auto trak = child(moov, "trak");
  if (!trak) return fail(ErrorCode::kInvalidInput, fmt::format("{}: no track", path.string()));
  if (const auto tkhd = child(trak->payload, "tkhd")) {
    Cursor c(tkhd->payload);
    const auto version = c.u8();
    c.skip(3);
    c.skip(version == 1 ? 16 : 8);  // creation and modification times
    track.track_id = c.u32();
  }
  if (const auto mdhd = find(trak->payload, {"mdia", "mdhd"})) {
    Cursor c(mdhd->payload);
    const auto version = c.u8();
    c.skip(3);
    c.skip(version == 1 ? 16 : 8);
    track.timescale = c.u32();
  }
  if (const auto hdlr = find(trak->payload, {"mdia", "hdlr"})) {
    Cursor c(hdlr->payload);
    c.skip(8);
    const auto code = c.u32();
    for (int i = 0; i < 4; ++i) track.handler.push_back(static_cast<char>((code >> (24 - 8 * i)) & 0xFF));
  }
  if (const auto stsd = find(trak->payload, {"mdia", "minf", "stbl", "stsd"})) read_sample_entry(stsd->payload, track);
  const auto* const moov_start = moov.data();
  for (const auto& box : children(moov)) {
    if (box.type != "pssh") continue;
    // The whole box: its header sits just before the payload inside the 'moov'.
    const auto header = static_cast<std::size_t>(box.payload.data() - moov_start) >= 8 ? 8 : 0;
    auto pssh = parse_pssh(std::span(box.payload.data() - header, box.payload.size() + header));
    if (pssh) track.pssh.push_back(std::move(*pssh));
  }
  if (const auto trex = find(moov, {"mvex", "trex"})) {
    Cursor c(trex->payload);
    c.skip(4 + 4 + 4);  // version/flags, track id, sample description index
    track.default_sample_duration = c.u32();
    track.default_sample_size = c.u32();
    track.default_sample_flags = c.u32();
  }
  if (track.timescale == 0 || track.codecs.empty()) {
    return fail(ErrorCode::kInvalidInput, fmt::format("{}: incomplete track description", path.string()));
  }
  return track;
}

Result<FragmentInfo> read_media_segment(const fs::path& path, const TrackInfo& track) {
  auto boxes = read_top_level(path, {"moof"});
  if (!boxes) return tl::unexpected(boxes.error());
  if (boxes->empty()) return fail(ErrorCode::kInvalidInput, fmt::format("{}: no 'moof' box", path.string()));

  FragmentInfo info;
  bool first_fragment = true;
  for (const auto& moof : *boxes) {
    for (const auto& traf : children(moof.payload)) {
      if (traf.type != "traf") continue;
      std::uint32_t default_duration = track.default_sample_duration;
      std::uint32_t default_size = track.default_sample_size;
      std::uint32_t default_flags = track.default_sample_flags;
      // Sample data offsets count from the 'moof' unless the fragment names a base.
      std::uint64_t base_offset = moof.offset;
      if (const auto tfhd = child(traf.payload, "tfhd")) {
        Cursor c(tfhd->payload);
        const auto flags = c.u32() & 0xFFFFFF;
        c.skip(4);  // track id
        if ((flags & 0x01) != 0) base_offset = c.u64();
        if ((flags & 0x02) != 0) c.skip(4);
        if ((flags & 0x08) != 0) default_duration = c.u32();
        if ((flags & 0x10) != 0) default_size = c.u32();
        if ((flags & 0x20) != 0) default_flags = c.u32();
      }
      if (const auto tfdt = child(traf.payload, "tfdt"); tfdt && first_fragment) {
        Cursor c(tfdt->payload);
        const auto version = c.u8();
        c.skip(3);
        info.base_media_decode_time = version == 1 ? c.u64() : c.u32();
        // The payload lies inside the 'moof' read whole: its place in the file follows.
        info.decode_time_offset =
            moof.offset + 8 + static_cast<std::uint64_t>(tfdt->payload.data() - moof.payload.data()) + 4;
        info.decode_time_bytes = c.ok() ? (version == 1 ? 8 : 4) : 0;
      }
      if (const auto senc = child(traf.payload, "senc"); senc && first_fragment) {
        Cursor c(senc->payload);
        c.skip(4);
        info.encrypted_samples = c.ok() ? c.u32() : 0;
      }
      bool first_sample = first_fragment;
      for (const auto& trun : children(traf.payload)) {
        if (trun.type != "trun") continue;
        Cursor c(trun.payload);
        const auto flags = c.u32() & 0xFFFFFF;
        const auto count = c.u32();
        std::optional<std::uint64_t> data_offset;
        if ((flags & 0x001) != 0) data_offset = base_offset + static_cast<std::int32_t>(c.u32());
        std::optional<std::uint32_t> first_flags;
        if ((flags & 0x004) != 0) first_flags = c.u32();
        // The sample count is the file's word: bound it by the bytes there are
        // before walking it (a 2^32 count with no per-sample fields once made
        // the loop below run for minutes; found by tests/fuzz/bmff_fuzzer).
        const std::size_t per_sample =
            4 * (static_cast<std::size_t>((flags & 0x100) != 0) + static_cast<std::size_t>((flags & 0x200) != 0) +
                 static_cast<std::size_t>((flags & 0x400) != 0) + static_cast<std::size_t>((flags & 0x800) != 0));
        if (!c.ok() || (per_sample > 0 && count > c.remaining() / per_sample)) {
          return fail(ErrorCode::kInvalidInput, fmt::format("{}: truncated 'trun'", path.string()));
        }
        if (per_sample == 0) {
          // Every sample takes the defaults: nothing per sample to read.
          if (count > 0 && first_sample) {
            info.starts_with_sync_sample = (first_flags.value_or(default_flags) & kSampleIsNonSync) == 0;
            info.moof_offset = moof.offset;
            info.first_sample_offset = data_offset.value_or(0);
            info.first_sample_size = default_size;
            first_sample = false;
          }
          info.duration += std::uint64_t{count} * default_duration;
          info.sample_count += count;
          continue;
        }
        for (std::uint32_t i = 0; i < count && c.ok(); ++i) {
          const std::uint32_t duration = (flags & 0x100) != 0 ? c.u32() : default_duration;
          const std::uint32_t size = (flags & 0x200) != 0 ? c.u32() : default_size;
          std::uint32_t sample_flags = (flags & 0x400) != 0 ? c.u32() : default_flags;
          if (i == 0 && first_flags) sample_flags = *first_flags;
          // Signed with 'trun' version 1, unsigned with version 0.
          const auto raw_offset = (flags & 0x800) != 0 ? c.u32() : 0U;
          const auto version = trun.payload.empty() ? 0 : trun.payload[0];
          const std::int64_t composition_offset = version == 1
                                                      ? static_cast<std::int64_t>(static_cast<std::int32_t>(raw_offset))
                                                      : std::int64_t{raw_offset};
          if (first_sample) {
            info.first_composition_offset = composition_offset;
            info.starts_with_sync_sample = (sample_flags & kSampleIsNonSync) == 0;
            info.moof_offset = moof.offset;
            info.first_sample_offset = data_offset.value_or(0);
            info.first_sample_size = size;
            first_sample = false;
          }
          info.duration += duration;
          ++info.sample_count;
        }
        if (!c.ok()) return fail(ErrorCode::kInvalidInput, fmt::format("{}: truncated 'trun'", path.string()));
      }
      first_fragment = false;
    }
  }
  if (info.sample_count == 0) return fail(ErrorCode::kInvalidInput, fmt::format("{}: no samples", path.string()));
  return info;
}

Result<PsshBox> parse_pssh(std::span<const std::uint8_t> box) {
  Cursor c(box);
  const auto size = c.u32();
  const auto type = c.u32();
  if (!c.ok() || size != box.size() || four_cc(type) != "pssh") {
    return fail(ErrorCode::kInvalidInput, "not a 'pssh' box");
  }
  PsshBox out;
  const auto version = c.u8();
  c.skip(3);
  std::array<std::uint8_t, 16> system{};
  for (auto& byte : system) byte = c.u8();
  out.system_id = uuid_text(system);
  if (version >= 1) {
    const auto count = c.u32();
    if (!c.ok() || count > c.remaining() / 16) return fail(ErrorCode::kInvalidInput, "'pssh' key IDs overrun the box");
    for (std::uint32_t i = 0; i < count; ++i) {
      std::array<std::uint8_t, 16> kid{};
      for (auto& byte : kid) byte = c.u8();
      out.key_ids.push_back(kid);
    }
  }
  const auto data_size = c.u32();
  if (!c.ok() || data_size != c.remaining()) return fail(ErrorCode::kInvalidInput, "'pssh' data size is wrong");
  out.data.assign(c.rest().begin(), c.rest().end());
  out.box.assign(box.begin(), box.end());
  return out;
}

Result<std::vector<EncryptedSample>> read_sample_encryption(const fs::path& path, const TrackInfo& track) {
  auto boxes = read_top_level(path, {"moof"});
  if (!boxes) return tl::unexpected(boxes.error());
  if (boxes->empty()) return fail(ErrorCode::kInvalidInput, fmt::format("{}: no 'moof' box", path.string()));
  const auto& moof = boxes->front();
  const auto traf = child(moof.payload, "traf");
  const auto senc = traf ? child(traf->payload, "senc") : std::nullopt;
  const auto trun = traf ? child(traf->payload, "trun") : std::nullopt;
  if (!senc || !trun) return fail(ErrorCode::kInvalidInput, fmt::format("{}: no 'senc' or no 'trun'", path.string()));

  std::uint32_t default_size = track.default_sample_size;
  std::uint64_t base_offset = moof.offset;
  if (const auto tfhd = child(traf->payload, "tfhd")) {
    Cursor c(tfhd->payload);
    const auto flags = c.u32() & 0xFFFFFF;
    c.skip(4);
    if ((flags & 0x01) != 0) base_offset = c.u64();
    if ((flags & 0x02) != 0) c.skip(4);
    if ((flags & 0x08) != 0) c.skip(4);
    if ((flags & 0x10) != 0) default_size = c.u32();
  }
  std::vector<EncryptedSample> samples;
  {
    Cursor c(trun->payload);
    const auto flags = c.u32() & 0xFFFFFF;
    const auto count = c.u32();
    std::uint64_t offset = base_offset;
    if ((flags & 0x001) != 0) offset = base_offset + static_cast<std::int32_t>(c.u32());
    if ((flags & 0x004) != 0) c.skip(4);
    // Bounded by the bytes there are, or by a plausible count when nothing is per sample.
    const std::size_t per_sample = 4 * static_cast<std::size_t>(std::popcount(flags & 0xF00U));
    constexpr std::uint32_t kMaxSamples = 1'000'000;
    if (!c.ok() || count > kMaxSamples || (per_sample > 0 && count > c.remaining() / per_sample)) {
      return fail(ErrorCode::kInvalidInput, fmt::format("{}: truncated 'trun'", path.string()));
    }
    for (std::uint32_t i = 0; i < count && c.ok(); ++i) {
      if ((flags & 0x100) != 0) c.skip(4);
      const std::uint32_t size = (flags & 0x200) != 0 ? c.u32() : default_size;
      if ((flags & 0x400) != 0) c.skip(4);
      if ((flags & 0x800) != 0) c.skip(4);
      samples.push_back({.iv = {}, .subsamples = {}, .offset = offset, .size = size});
      offset += size;
    }
    if (!c.ok()) return fail(ErrorCode::kInvalidInput, fmt::format("{}: truncated 'trun'", path.string()));
  }
  Cursor c(senc->payload);
  const auto flags = c.u32() & 0xFFFFFF;
  const auto count = c.u32();
  if (!c.ok() || count != samples.size()) {
    return fail(ErrorCode::kInvalidInput,
                fmt::format("{}: 'senc' has {} entries for {} samples", path.string(), count, samples.size()));
  }
  const auto iv_size = static_cast<std::size_t>(track.protection ? track.protection->per_sample_iv_size : 8);
  for (auto& sample : samples) {
    for (std::size_t i = 0; i < iv_size; ++i) sample.iv.push_back(c.u8());
    if ((flags & 0x2) != 0) {
      const auto entries = c.u16();
      for (std::uint16_t i = 0; i < entries && c.ok(); ++i) {
        const auto clear = c.u16();
        const auto protected_bytes = c.u32();
        sample.subsamples.emplace_back(clear, protected_bytes);
      }
    }
    if (!c.ok()) return fail(ErrorCode::kInvalidInput, fmt::format("{}: truncated 'senc'", path.string()));
  }
  return samples;
}

Result<void> set_decode_time(const fs::path& path, const FragmentInfo& fragment, std::uint64_t decode_time) {
  if (fragment.decode_time_bytes != 4 && fragment.decode_time_bytes != 8) {
    return fail(ErrorCode::kInternal, fmt::format("{}: no 'tfdt' to rewrite", path.string()));
  }
  if (fragment.decode_time_bytes == 4 && decode_time > 0xFFFFFFFFULL) {
    return fail(ErrorCode::kInternal,
                fmt::format("{}: decode time {} does not fit a version 0 'tfdt'", path.string(), decode_time));
  }
  std::array<char, 8> bytes{};
  for (int i = 0; i < fragment.decode_time_bytes; ++i) {
    bytes[static_cast<std::size_t>(i)] =
        static_cast<char>((decode_time >> (8 * (fragment.decode_time_bytes - 1 - i))) & 0xFF);
  }
  std::fstream file(path, std::ios::binary | std::ios::in | std::ios::out);
  file.seekp(static_cast<std::streamoff>(fragment.decode_time_offset));
  file.write(bytes.data(), fragment.decode_time_bytes);
  file.close();
  if (!file) return fail(ErrorCode::kIo, fmt::format("cannot rewrite the decode time of {}", path.string()));
  return {};
}

}  // namespace st
