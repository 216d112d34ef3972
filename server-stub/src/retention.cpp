#include "gradvy_sync/retention.hpp"

namespace gradvy_sync {

std::int64_t purge_expired_events(Storage& storage, std::int64_t now_ms, std::int64_t retention_days) {
  return storage.purge_events_before(retention_cutoff_ms(now_ms, retention_days));
}

}  // namespace gradvy_sync
