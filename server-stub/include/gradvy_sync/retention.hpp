// Retention: events older than the window (by their `ts`) are deleted for
// every learner. Run by serve's background job at start and every
// --retention-interval-s; consent history, batches and aggregates are kept
// (consent history is the proof of what the learner chose; it goes with DELETE /v1/me).
#pragma once

#include <cstdint>

#include "gradvy_sync/storage.hpp"

namespace gradvy_sync {

constexpr std::int64_t kMsPerDay = 86400000LL;

// The cut-off: events with ts < this are purged.
inline std::int64_t retention_cutoff_ms(std::int64_t now_ms, std::int64_t retention_days) {
  return now_ms - retention_days * kMsPerDay;
}

// Returns the number of events deleted.
std::int64_t purge_expired_events(Storage& storage, std::int64_t now_ms, std::int64_t retention_days);

}  // namespace gradvy_sync
