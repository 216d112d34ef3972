// The background work behind GET /v1/candidates: rebuild the served set from
// the catalog + stored popularity + stored embeddings, and recompute the
// embeddings from stored course_interaction events (saved in the database so
// every server instance sharing it serves the same vectors).
#pragma once

#include <cstdint>

#include "gradvy_sync/candidates.hpp"
#include "gradvy_sync/catalog.hpp"
#include "gradvy_sync/log.hpp"
#include "gradvy_sync/storage.hpp"

namespace gradvy_sync {

class CandidateRefresher {
 public:
  CandidateRefresher(Storage& storage, const Catalog& catalog, CandidateCache& cache,
                     std::int64_t trending_window_days, JsonLog& log)
      : storage_(storage), catalog_(catalog), cache_(cache), trending_days_(trending_window_days), log_(log) {}

  // Popularity + stored embeddings -> a new CandidateSet published to the cache.
  // Throws StorageError when the database fails (the old set stays served).
  void rebuild(std::int64_t now_ms);

  // The content set (catalog only, no database read), published before the
  // server listens so GET /v1/candidates never answers 503 and a large events
  // table does not hold up listening (reading popularity from 1M stored
  // interactions takes seconds); rebuild() replaces it once the job runs.
  void publish_content_set(std::int64_t now_ms);

  // Runs `embed` over stored interactions and saves the document. Returns
  // false (and saves nothing) when there are no interactions yet.
  bool refresh_embeddings(std::int64_t now_ms, int dim = kDefaultEmbeddingDim);

 private:
  Storage& storage_;
  const Catalog& catalog_;
  CandidateCache& cache_;
  std::int64_t trending_days_;
  JsonLog& log_;
};

}  // namespace gradvy_sync
