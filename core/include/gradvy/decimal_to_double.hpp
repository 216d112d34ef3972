// Correctly rounded decimal text -> double, without long double or tables.
//
// Why: JsonDocument's fast path (Clinger) covers numbers with at most 19
// significant digits and a small exponent; the rest need a correctly rounded
// conversion. Emscripten's libc++ has no floating-point from_chars, and musl's
// strtod brings 128-bit soft-float arithmetic and hex-float parsing into the
// wasm module (about 13 KB). This is the "simple decimal conversion" (Nigel
// Tao's, as in Go's strconv): the digits are kept as a decimal number and
// shifted by powers of two until the binary exponent and 53-bit mantissa can
// be read off, rounding half to even. Slower than Eisel-Lemire, but small, and
// only numbers the fast path cannot do reach it.
#pragma once

#include <string_view>

namespace gradvy {

// Reads a JSON number ("-"? digits ("." digits)? ([eE] [+-]? digits)?). Out of
// range gives +-infinity or +-0 (denormals where they fit), as strtod does.
// Returns false, leaving *out alone, when `text` is not such a number.
bool decimal_to_double(std::string_view text, double* out);

}  // namespace gradvy
