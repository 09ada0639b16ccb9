// Languages as containers tag them (ISO 639-2) and as manifests must state
// them (BCP 47), with the English name a player's menu shows.
//
// The table is Debian's iso-codes, compiled in (src/media/embed_languages.cmake),
// so every language a source can be tagged with is known, not a hand-picked few.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace st {

struct Language {
  std::string tag;   // BCP 47: "en", "de", "haw"; "und" when unknown
  std::string name;  // "English"
};

// From a container's language tag: ISO 639-2 (bibliographic "fre" or
// terminology "fra"), ISO 639-1 ("fr"), or a BCP 47 tag with a region
// ("pt-BR", kept as given). Anything else, including no tag, is "und": such a
// track is still kept, only its language is not stated.
Language language_from_tag(std::string_view code);

namespace detail {

struct LanguageEntry {
  std::string_view code;  // ISO 639-2, sorted
  std::string_view tag;   // BCP 47
  std::string_view name;
};

std::span<const LanguageEntry> iso639_2_table();

}  // namespace detail
}  // namespace st
