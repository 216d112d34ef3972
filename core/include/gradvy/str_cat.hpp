// Failure messages built from pieces, in one out-of-line function.
// Why: `"event: " + std::to_string(n) + " bytes; ..."` inlines every
// std::string append where it is written, and the track() path (compiled for
// speed) has about twenty such failure sites. str_cat is one cold function
// instead, and its callers treat the path to it as unlikely.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace gradvy {

[[gnu::cold, gnu::noinline]] std::string str_cat(std::initializer_list<std::string_view> parts);

}  // namespace gradvy
