# Writes OUTPUT: a C++ source defining st::contract_schema() from the
# *.schema.json files of DIR (docs/contracts), so the published contracts are
# the validators.
file(GLOB files "${DIR}/*.schema.json")
list(SORT files)
set(body "")
foreach(file IN LISTS files)
  get_filename_component(name "${file}" NAME)
  string(REPLACE ".schema.json" "" name "${name}")
  file(READ "${file}" text)
  string(APPEND body "  if (name == \"${name}\") return R\"st_schema(${text})st_schema\";\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from docs/contracts by src/messaging/embed_contracts.cmake. Do not edit.\n#include \"messaging/contracts.hpp\"\n\nnamespace st {\n\nstd::string_view contract_schema(std::string_view name) {\n${body}  return {};\n}\n\n}  // namespace st\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
