#include "observability/protobuf_writer.hpp"

#include <bit>

namespace st::protobuf {
namespace {

constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

}  // namespace

void Writer::raw_varint(std::uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void Writer::tag(int field, int wire_type) {
  raw_varint((static_cast<std::uint64_t>(field) << 3) | static_cast<std::uint64_t>(wire_type));
}

void Writer::varint(int field, std::uint64_t value) {
  tag(field, kVarint);
  raw_varint(value);
}

void Writer::fixed64(int field, std::uint64_t value) {
  tag(field, kFixed64);
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));  // little-endian
}

void Writer::fixed32(int field, std::uint32_t value) {
  tag(field, kFixed32);
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void Writer::double_value(int field, double value) {
  fixed64(field, std::bit_cast<std::uint64_t>(value));
}

void Writer::bytes(int field, std::string_view value) {
  tag(field, kLengthDelimited);
  raw_varint(value.size());
  out_.append(value);
}

}  // namespace st::protobuf
