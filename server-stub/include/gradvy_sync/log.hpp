// Structured logs: one JSON object per line on stderr, so a log shipper can
// parse them without regexes. Every line has ts (ISO-8601 UTC, ms), level, msg;
// request lines add route, method, status, latency_ms, request_id, sub.
#pragma once

#include <cstdio>
#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gradvy_sync {

enum class LogLevel { debug = 0, info, warn, error };

class JsonLog {
 public:
  explicit JsonLog(std::FILE* out = stderr, LogLevel min_level = LogLevel::info)
      : out_(out), min_level_(min_level) {}

  // `fields` is merged into the line (an object; anything else is ignored).
  void write(LogLevel level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
  void info(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    write(LogLevel::info, msg, fields);
  }
  void warn(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    write(LogLevel::warn, msg, fields);
  }
  void error(std::string_view msg, const nlohmann::json& fields = nlohmann::json::object()) {
    write(LogLevel::error, msg, fields);
  }
  // For lines written on every request: `members` is already-encoded JSON
  // members ("\"k\":v,\"k2\":v2", no braces) appended after ts, level, msg,
  // so no json tree is built per request.
  void write_members(LogLevel level, std::string_view msg, std::string_view members);
  bool enabled(LogLevel level) const { return level >= min_level_; }
  void set_min_level(LogLevel level) { min_level_ = level; }

 private:
  void emit(const std::string& line);

  std::FILE* out_;
  LogLevel min_level_;
  std::mutex mutex_;
};

std::string_view to_string(LogLevel level);
bool parse_log_level(std::string_view text, LogLevel& out);

}  // namespace gradvy_sync
