# Writes OUTPUT: a C++ source defining st::embedded_migrations() from the .sql
# files of DIR, so the binary needs no files beside it to migrate.
file(GLOB files "${DIR}/*.sql")
list(SORT files)
set(body "")
foreach(file IN LISTS files)
  get_filename_component(name "${file}" NAME_WE)
  string(REGEX MATCH "^[0-9]+" version "${name}")
  math(EXPR version "${version}")
  file(READ "${file}" sql)
  string(APPEND body "      {${version}, \"${name}\", R\"st_sql(${sql})st_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp" "// Generated from src/db/migrations by db/embed_migrations.cmake. Do not edit.\n#include \"db/migrations.hpp\"\n\nnamespace st {\n\nconst std::vector<Migration>& embedded_migrations() {\n  static const std::vector<Migration> kMigrations = {\n${body}  };\n  return kMigrations;\n}\n\n}  // namespace st\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
