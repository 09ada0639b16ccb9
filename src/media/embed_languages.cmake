# Writes OUTPUT: a C++ source with the ISO 639-2 table of Debian's iso-codes
# (INPUT, iso_639-2.json): each three-letter code (bibliographic and
# terminology), its BCP 47 tag (the two-letter code where one exists, RFC 5646
# 2.2.1) and its English name, sorted by code for a binary search.
file(READ "${INPUT}" text)
string(JSON count LENGTH "${text}" "639-2")
math(EXPR last "${count} - 1")
set(rows "")
foreach(i RANGE ${last})
  string(JSON entry GET "${text}" "639-2" ${i})
  string(JSON alpha3 GET "${entry}" "alpha_3")
  if(NOT alpha3 MATCHES "^[a-z][a-z][a-z]$")
    continue()  # "qaa-qtz", a range reserved for local use
  endif()
  string(JSON name GET "${entry}" "name")
  string(JSON alpha2 ERROR_VARIABLE no_alpha2 GET "${entry}" "alpha_2")
  if(no_alpha2)
    set(tag "${alpha3}")
  else()
    set(tag "${alpha2}")
  endif()
  # "Spanish; Castilian": the first name is the one a menu shows (and ';' would split a CMake list).
  string(FIND "${name}" ";" semicolon)
  if(semicolon GREATER -1)
    string(SUBSTRING "${name}" 0 ${semicolon} name)
  endif()
  string(REPLACE "\\" "\\\\" name "${name}")
  string(REPLACE "\"" "\\\"" name "${name}")
  list(APPEND rows "${alpha3}|{\"${alpha3}\", \"${tag}\", \"${name}\"},")
  string(JSON bibliographic ERROR_VARIABLE no_bibliographic GET "${entry}" "bibliographic")
  if(NOT no_bibliographic)
    list(APPEND rows "${bibliographic}|{\"${bibliographic}\", \"${tag}\", \"${name}\"},")
  endif()
endforeach()
list(SORT rows)
set(body "")
foreach(row IN LISTS rows)
  string(REGEX REPLACE "^[^|]*\\|" "" row "${row}")
  string(APPEND body "    ${row}\n")
endforeach()
list(LENGTH rows size)
file(WRITE "${OUTPUT}.tmp" "// Generated from Debian's iso-codes by src/media/embed_languages.cmake. Do not edit.
#include \"media/languages.hpp\"

#include <array>

namespace st::detail {

std::span<const LanguageEntry> iso639_2_table() {
  static constexpr std::array<LanguageEntry, ${size}> kTable = {{
${body}  }};
  return kTable;
}

}  // namespace st::detail
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
