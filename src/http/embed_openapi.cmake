# Writes OUTPUT: a C++ source defining st::embedded_openapi_yaml() from INPUT
# (docs/openapi.yaml), so the binary serves the document it was built with.
file(READ "${INPUT}" yaml)
file(WRITE "${OUTPUT}.tmp" "// Generated from docs/openapi.yaml by http/embed_openapi.cmake. Do not edit.\n#include \"http/api_docs.hpp\"\n\nnamespace st {\n\nconst std::string& embedded_openapi_yaml() {\n  static const std::string kDocument = R\"st_openapi(${yaml})st_openapi\";\n  return kDocument;\n}\n\n}  // namespace st\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
