// The little of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/)
// that an OTLP export request needs: varints, fixed64, and length-delimited
// fields (strings, bytes, nested messages). Writing only, into a string.
// Checked against the OpenTelemetry project's own generated decoder
// (tests/integration/tracing_test.cpp through tests/fakes/otlp_receiver.mjs).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace st::protobuf {

class Writer {
 public:
  void varint(int field, std::uint64_t value);
  void signed_varint(int field, std::int64_t value) { varint(field, static_cast<std::uint64_t>(value)); }
  void boolean(int field, bool value) { varint(field, value ? 1 : 0); }
  void fixed64(int field, std::uint64_t value);
  void fixed32(int field, std::uint32_t value);
  void double_value(int field, double value);
  // Strings, bytes and nested messages (the nested Writer's bytes()).
  void bytes(int field, std::string_view value);

  [[nodiscard]] const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void tag(int field, int wire_type);
  void raw_varint(std::uint64_t value);
  std::string out_;
};

}  // namespace st::protobuf
