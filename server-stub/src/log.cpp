#include "gradvy_sync/log.hpp"

#include <chrono>
#include <ctime>
#include <string>

#include "gradvy_sync/http_response.hpp"

namespace gradvy_sync {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "info";
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (LogLevel l : {LogLevel::debug, LogLevel::info, LogLevel::warn, LogLevel::error}) {
    if (text == to_string(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

static std::string iso8601_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

void JsonLog::write(LogLevel level, std::string_view msg, const nlohmann::json& fields) {
  if (!enabled(level)) return;
  // ordered: ts, level, msg first, so a human reading the raw stream can scan it.
  nlohmann::ordered_json line;
  line["ts"] = iso8601_now();
  line["level"] = std::string(to_string(level));
  line["msg"] = std::string(msg);
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  // replace: a log line must never throw on odd bytes from a request.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  emit(text);
}

void JsonLog::write_members(LogLevel level, std::string_view msg, std::string_view members) {
  if (!enabled(level)) return;
  std::string text;
  text.reserve(96 + msg.size() + members.size());
  text += "{\"ts\":\"";
  text += iso8601_now();
  text += "\",\"level\":\"";
  text += to_string(level);
  text += "\",\"msg\":";
  append_json_string(text, msg);
  if (!members.empty()) {
    text += ',';
    text += members;
  }
  text += "}\n";
  emit(text);
}

void JsonLog::emit(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace gradvy_sync
