#include "media/languages.hpp"

#include <gtest/gtest.h>

namespace st {
namespace {

TEST(Languages, ContainerCodesBecomeBcp47TagsWithEnglishNames) {
  EXPECT_EQ(language_from_tag("eng").tag, "en");
  EXPECT_EQ(language_from_tag("eng").name, "English");
  // Bibliographic and terminology codes alike.
  EXPECT_EQ(language_from_tag("fre").tag, "fr");
  EXPECT_EQ(language_from_tag("fra").tag, "fr");
  EXPECT_EQ(language_from_tag("ger").name, "German");
  EXPECT_EQ(language_from_tag("spa").name, "Spanish");
  // No two-letter code: the three-letter one is the BCP 47 tag (RFC 5646 2.2.1).
  EXPECT_EQ(language_from_tag("haw").tag, "haw");
  EXPECT_EQ(language_from_tag("haw").name, "Hawaiian");
  // Already two letters, any case; a region is kept.
  EXPECT_EQ(language_from_tag("JA").tag, "ja");
  EXPECT_EQ(language_from_tag("ja").name, "Japanese");
  EXPECT_EQ(language_from_tag("pt-BR").tag, "pt-BR");
  EXPECT_EQ(language_from_tag("pt-BR").name, "Portuguese");
}

TEST(Languages, AnythingElseIsUndetermined) {
  for (const char* code : {"", "und", "xx", "qqq", "e", "english", "en-<script>", "\xff\xfe", "e1g"}) {
    const auto language = language_from_tag(code);
    EXPECT_EQ(language.tag, code == std::string("en-<script>") ? "en" : "und") << code;
  }
  EXPECT_EQ(language_from_tag("und").name, "Unknown language");
}

}  // namespace
}  // namespace st
