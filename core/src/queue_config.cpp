#include "gradvy/queue_config.hpp"

#include <limits>
#include <string>
#include <type_traits>

namespace gradvy {
namespace {

constexpr std::int64_t kOneDayMs = 86'400'000;

Status range_error(const char* field, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  return Status(ErrorCode::invalid_argument,
                std::string("queue.") + field + ": must be an integer in " + std::to_string(lo) + ".." +
                    std::to_string(hi) + " (got " + std::to_string(value) + ")");
}

Status check_range(const char* field, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  if (value < lo || value > hi) return range_error(field, value, lo, hi);
  return Status();
}

// One list of (name, member) drives reading, writing and the unknown-key check.
template <typename Config, typename Fn>
void for_each_field(Config& c, Fn&& fn) {
  fn("batch_size", c.batch_size);
  fn("max_age_ms", c.max_age_ms);
  fn("batch_max_bytes", c.batch_max_bytes);
  fn("max_event_bytes", c.max_event_bytes);
  fn("max_events", c.max_events);
  fn("max_bytes", c.max_bytes);
  fn("backoff_base_ms", c.backoff_base_ms);
  fn("backoff_cap_ms", c.backoff_cap_ms);
  fn("max_attempts", c.max_attempts);
  fn("max_in_flight_batches", c.max_in_flight_batches);
  fn("max_retry_after_ms", c.max_retry_after_ms);
}

}  // namespace

Status validate_queue_config(const QueueConfig& c) {
  // Order matters: later rules refer to fields checked earlier.
  Status s;
  if (!(s = check_range("batch_size", c.batch_size, 1, 1000)).ok()) return s;
  if (!(s = check_range("max_age_ms", c.max_age_ms, 0, kOneDayMs)).ok()) return s;
  if (!(s = check_range("max_event_bytes", c.max_event_bytes, 64, 16 * 1024 * 1024 - 2)).ok()) return s;
  if (!(s = check_range("batch_max_bytes", c.batch_max_bytes, c.max_event_bytes + 2, 16 * 1024 * 1024)).ok())
    return s;
  if (!(s = check_range("max_events", c.max_events, c.batch_size, 1'000'000)).ok()) return s;
  if (!(s = check_range("max_bytes", c.max_bytes, c.max_event_bytes, 256ll * 1024 * 1024)).ok()) return s;
  if (!(s = check_range("backoff_cap_ms", c.backoff_cap_ms, 1, kOneDayMs)).ok()) return s;
  if (!(s = check_range("backoff_base_ms", c.backoff_base_ms, 1, c.backoff_cap_ms)).ok()) return s;
  if (!(s = check_range("max_attempts", c.max_attempts, 1, 100)).ok()) return s;
  if (!(s = check_range("max_in_flight_batches", c.max_in_flight_batches, 1, 16)).ok()) return s;
  if (!(s = check_range("max_retry_after_ms", c.max_retry_after_ms, 0, 7 * kOneDayMs)).ok()) return s;
  return Status();
}

Result<QueueConfig> queue_config_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return Result<QueueConfig>(ErrorCode::invalid_argument, "queue: must be an object");
  QueueConfig config;
  // Unknown keys first: a misspelt option is an error, not a silent default.
  for (auto it = json.begin(); it != json.end(); ++it) {
    bool known = false;
    for_each_field(config, [&](const char* name, auto&) { known = known || it.key() == name; });
    if (!known) return Result<QueueConfig>(ErrorCode::invalid_argument, "queue." + it.key() + ": unknown option");
  }
  Status failure;
  for_each_field(config, [&](const char* name, auto& field) {
    if (!failure.ok()) return;
    auto found = json.find(name);
    if (found == json.end()) return;
    if (!found->is_number_integer() ||
        (found->is_number_unsigned() &&
         found->template get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
      failure = Status(ErrorCode::invalid_argument, std::string("queue.") + name + ": must be an integer");
      return;
    }
    const std::int64_t value = found->template get<std::int64_t>();
    using Field = std::remove_reference_t<decltype(field)>;
    if (value < 0 || static_cast<std::uint64_t>(value) > std::numeric_limits<Field>::max()) {
      failure = Status(ErrorCode::invalid_argument,
                       std::string("queue.") + name + ": must be a non-negative integer that fits (got " +
                           std::to_string(value) + ")");
      return;
    }
    field = static_cast<Field>(value);
  });
  if (!failure.ok()) return Result<QueueConfig>(failure);
  Status valid = validate_queue_config(config);
  if (!valid.ok()) return Result<QueueConfig>(valid);
  return config;
}

nlohmann::json queue_config_to_json(const QueueConfig& config) {
  nlohmann::json out = nlohmann::json::object();
  for_each_field(config, [&](const char* name, const auto& field) { out[name] = field; });
  return out;
}

}  // namespace gradvy
