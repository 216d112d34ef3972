// Bounds and timings of the batching queue. Every bound is explicit: the
// defaults below are the documented product defaults, and
// validate_queue_config() is the single place that says what is allowed.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "gradvy/status.hpp"

namespace gradvy {

struct QueueConfig {
  // --- flush triggers (any one makes the queue due) ---------------------------
  // Pending events that make a full batch. Allowed 1..1000.
  std::uint32_t batch_size = 50;
  // Oldest pending event older than this (ms since it was pushed) flushes.
  // 0 = flush every event at once. Allowed 0..86,400,000 (1 day).
  std::int64_t max_age_ms = 10'000;
  // Upper bound of one batch's events array `[e1,e2,...]` in bytes; pending
  // bytes (sum of event JSON sizes) reaching it also flush. 450 KiB leaves
  // room for the envelope under a 512 KiB server body limit.
  // Allowed max_event_bytes + 2 .. 16 MiB.
  std::int64_t batch_max_bytes = 460'800;
  // One event's wire JSON above this is refused by push (event_too_large).
  // Allowed 64 .. batch_max_bytes - 2.
  std::int64_t max_event_bytes = 32'768;

  // --- memory bounds (count everything held: pending, in flight, waiting for
  // a retry and parked, because all of it is persisted in the snapshot) ----
  // Allowed batch_size .. 1,000,000.
  std::uint32_t max_events = 10'000;
  // 5 MiB: comfortably inside an IndexedDB record. Allowed max_event_bytes .. 256 MiB.
  std::int64_t max_bytes = 5 * 1024 * 1024;

  // --- delivery -------------------------------------------------------------
  // Full-jitter exponential backoff: the k-th retry (k = 0, 1, ...) waits a
  // uniform delay in [0, min(backoff_cap_ms, backoff_base_ms * 2^k)].
  // base allowed 1 .. cap; cap allowed base .. 86,400,000.
  std::int64_t backoff_base_ms = 1'000;
  std::int64_t backoff_cap_ms = 300'000;  // 5 minutes
  // Sends of one batch (first send included) before it is parked.
  // Allowed 1..100. With the defaults a batch parks after ~7 min of failures
  // on average (worst case ~13.5 min).
  std::uint32_t max_attempts = 10;
  // Batches handed to the host and not yet acked/failed, for a normal
  // take_batch. 1 keeps delivery in order and stops a flood when the server
  // is struggling; take_batch(force=true) (page hide) ignores it.
  // Allowed 1..16.
  std::uint32_t max_in_flight_batches = 1;
  // A server Retry-After longer than this is clamped to it, so a broken
  // header cannot stall delivery for days. Allowed 0..604,800,000 (7 days).
  std::int64_t max_retry_after_ms = 86'400'000;  // 1 day
};

// Ok, or invalid_argument naming the first field and its rule.
Status validate_queue_config(const QueueConfig& config);

// Reads a (possibly partial) object with the field names above; missing
// fields keep their defaults, unknown fields are refused (a typo must not
// silently fall back to a default). Validates the result.
Result<QueueConfig> queue_config_from_json(const nlohmann::json& json);

// Every field, with the names queue_config_from_json reads.
nlohmann::json queue_config_to_json(const QueueConfig& config);

}  // namespace gradvy
