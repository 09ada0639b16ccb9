#include "util/utf8.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

TEST(Utf8, AcceptsWellFormedTextInEveryLength) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xAC"));  // é € 🎬
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
}

// The cases of the Unicode standard's table 3-7 and Markus Kuhn's stress test.
TEST(Utf8, RefusesWhatRfc3629Forbids) {
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // a UTF-16 surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // cut short
  EXPECT_FALSE(is_valid_utf8(std::string("ok\xC3", 3)));
}

TEST(Utf8, RepairsByReplacingEachBadByte) {
  EXPECT_EQ(to_valid_utf8("/\xFF"), "/\xEF\xBF\xBD");
  EXPECT_EQ(to_valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_TRUE(is_valid_utf8(to_valid_utf8("\xC0\xAF\xED\xA0\x80\xF4\x90")));
}

TEST(Utf8, FindsControlCharactersIncludingNul) {
  EXPECT_TRUE(has_control_characters(std::string("v1\0", 3)));
  EXPECT_TRUE(has_control_characters("a\nb"));
  EXPECT_TRUE(has_control_characters("\x7f"));
  EXPECT_FALSE(has_control_characters("v1.2 caf\xC3\xA9"));
}

}  // namespace
}  // namespace st
