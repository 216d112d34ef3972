// Item embeddings for the candidate sets the server ships: co-occurrence in
// learners' histories (ppmi_matrix.hpp) → truncated spectral SVD
// (svd_embedding.hpp), plus a content fallback for items nobody co-occurred
// with. Used by `gradvy-sync embed` and by `gradvy-sync eval` (on the
// training part only).
//
// Output document (`gradvy-sync embed --out FILE`, UTF-8 JSON, one object):
//   {
//     "dim": 32,                       // length of every vector
//     "items": [                       // sorted by id (digit ids numerically)
//       {"id": "546614", "vector": [0.0132, ...], "source": "cooccurrence"},
//       {"id": "1032",   "vector": [...],          "source": "content"}
//     ],
//     "meta": {
//       "format": "gradvy-embeddings/1", "algorithm": "ppmi-svd",
//       "window_days": 7, "alpha": 0.75, "solver": "dense",
//       "effective_dim": 32,          // positive eigenvalues kept; later components are 0
//       "users": 735, "interactions": 280990,
//       "items": 413, "items_cooccurrence": 406, "items_content": 7
//     }
//   }
// Vectors are unit length (cosine = dot product), floats printed with 6
// significant digits. "source" says where a vector came from:
//   cooccurrence — learned from learners' histories;
//   content      — fallback for an item with no co-occurrence (new, or never
//                  touched together with another item): the normalised mean of
//                  the learned vectors of items with the same course and
//                  activity_type, else the same course, else the same
//                  activity_type, else a deterministic pseudo-random unit vector
//                  seeded by the item's features (so equal features ⇒ equal vector).
// The same input and options always give byte-identical output (no clocks,
// fixed seeds, sorted ids).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "gradvy_sync/interaction_log.hpp"
#include "gradvy_sync/svd_embedding.hpp"

namespace gradvy_sync {

enum class EmbeddingSource { cooccurrence, content };
const char* to_string(EmbeddingSource source);

struct EmbedOptions {
  int dim = 32;
  int window_days = 7;  // 0 = whole history
  double alpha = 0.75;
  SvdEmbeddingOptions svd;  // svd.dim is overwritten by dim
  std::function<void(const std::string& phase)> progress;  // e.g. "co-occurrence", "ppmi", "svd"
};

struct ItemEmbeddings {
  int dim = 0;
  Eigen::MatrixXf vectors;  // items × dim, row i is data.items[i]
  std::vector<EmbeddingSource> sources;
  int effective_dim = 0;
  std::string solver;
  std::size_t cooccurrence_items = 0;
  std::size_t content_items = 0;
  std::size_t nonzero_ppmi = 0;
};

// Every item in data.items gets a vector.
ItemEmbeddings embed_items(const InteractionData& data, const EmbedOptions& options);

// The JSON document described above.
std::string embeddings_to_json(const InteractionData& data, const ItemEmbeddings& embeddings,
                               const EmbedOptions& options);

}  // namespace gradvy_sync
