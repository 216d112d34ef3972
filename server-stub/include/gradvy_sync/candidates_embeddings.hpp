// Runs the `embed` pipeline (embed_items.hpp) in-process for the server's
// embedding refresh job. Kept in its own translation unit with an interface of
// plain strings, so the server code never includes the offline tools' types.
#pragma once

#include <string>

namespace gradvy_sync {

struct EmbeddingRun {
  std::string document;       // "gradvy-embeddings/1" JSON text; empty when nothing to learn from
  std::size_t interactions = 0;
  std::size_t items = 0;
};

// interactions_csv: "user_id,item_id,ts,weight" rows (weights > 0);
// items_csv: "item_id,course,activity_type" rows. Throws std::exception on bad input.
EmbeddingRun compute_item_embeddings(const std::string& interactions_csv, const std::string& items_csv, int dim);

}  // namespace gradvy_sync
