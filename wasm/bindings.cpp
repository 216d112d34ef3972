// Embind glue: converts JS values to core types and back, nothing else.
#include <emscripten/bind.h>

#include <string>

namespace {
std::string version() { return "0.1.0"; }
}  // namespace

EMSCRIPTEN_BINDINGS(gradvy) {
  emscripten::function("version", &version);
}
