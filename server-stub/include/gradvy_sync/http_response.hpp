// What a handler returns, independent of the HTTP library, so handlers can be
// tested without a socket. Every error body has one shape:
//   {"error": {"code": "<snake_case>", "message": "<names the field and the rule>"}}
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradvy_sync {

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

ApiResponse json_response(int status, const nlohmann::json& body);
ApiResponse error_response(int status, std::string_view code, std::string_view message);
std::string error_body(std::string_view code, std::string_view message);

// Appends `text` as a JSON string literal (quotes included), escaped as
// nlohmann::json::dump does; bytes that break UTF-8 become U+FFFD. For the
// replies and log lines written on every request without building a json tree.
void append_json_string(std::string& out, std::string_view text);

// True when the Content-Type names application/json (parameters such as
// charset=utf-8 allowed, case-insensitive).
bool is_json_content_type(std::string_view content_type);

// Index of the first byte that breaks UTF-8 (overlongs, surrogates and
// code points above U+10FFFF included), or npos when the text is valid.
std::size_t first_invalid_utf8(std::string_view text);

}  // namespace gradvy_sync
