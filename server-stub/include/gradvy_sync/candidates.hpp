// GET /v1/candidates: the candidate set every learner's device reranks.
//
// The set is the same for all learners (personalization happens on the device,
// so the server needs no profile); it is rebuilt by a background job, not per
// request, and served from memory with a strong ETag (If-None-Match -> 304).
//
// Body:
//   {"version": "<etag without quotes>", "generated_at": ms, "dim": d,
//    "trending_window_days": 7,
//    "items": [{...catalog fields as in the file...,
//               "popularity": 0..1,  // log1p(learners) / log1p(max learners over items)
//               "trending": 0..1,    // interactions in the trending window / max over items
//               "interactions": n, "learners": n,
//               "embedding": [d floats, unit length],
//               "embedding_source": "interactions" | "content_neighbours" | "content_hash"}]}
// Items keep the catalog's order. The ETag covers dim and items (not
// generated_at), so a rebuild that changes nothing keeps the ETag.
//
// Embeddings: the stored document from `embed` over stored interactions
// ("gradvy-embeddings/1", see embed_items.hpp) when the item is in it;
// otherwise the normalised mean of the learned vectors of the catalog items
// sharing the most content features (course, content_type, topics) with it;
// otherwise (no learned vectors at all, or no shared feature) a deterministic
// feature-hashing vector of its content features (d = 32 then).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy_sync/catalog.hpp"

namespace gradvy_sync {

constexpr int kDefaultEmbeddingDim = 32;
constexpr int kMaxEmbeddingDim = 1024;

struct EmbeddingTable {
  int dim = 0;  // 0 = no learned embeddings
  std::unordered_map<std::string, std::vector<float>> vectors;
};

// Reads an `embed` document {"dim": d, "items": [{"id", "vector"}...]}. Items
// whose vector has the wrong length or non-finite values are skipped. A
// document that is not of this shape gives an empty table and `error`.
EmbeddingTable parse_embeddings_doc(const nlohmann::json& doc, std::string* error = nullptr);

// Popularity input per item id (from Storage::item_popularity).
struct PopularityCounts {
  std::int64_t all_time = 0;
  std::int64_t recent = 0;
  std::int64_t learners = 0;
};

// What a candidate set was built from. A content set needs nothing but the
// catalog, so it can always be served (at start, or while the database fails);
// on a database without interactions it is identical to the stored one (same ETag).
enum class CandidateBasis { content, stored };
const char* basis_name(CandidateBasis basis);  // "content" | "stored"

struct CandidateSet {
  std::string body;   // serialized JSON, served as is
  CandidateBasis basis = CandidateBasis::stored;
  std::string etag;   // quoted strong ETag: "\"<32 hex>\""
  std::int64_t built_at_ms = 0;
  std::size_t items = 0;
  std::size_t learned = 0;             // items whose embedding came from interactions
  std::size_t content_neighbours = 0;  // ... from similar items' learned vectors
  std::size_t content_hash = 0;        // ... from feature hashing
};

CandidateSet build_candidate_set(const Catalog& catalog,
                                 const std::unordered_map<std::string, PopularityCounts>& popularity,
                                 const EmbeddingTable& embeddings, std::int64_t trending_window_days,
                                 std::int64_t now_ms);

// The set from catalog features alone: no popularity, content-hash embeddings.
CandidateSet build_content_candidate_set(const Catalog& catalog, std::int64_t trending_window_days,
                                         std::int64_t now_ms);

// Deterministic signed feature hashing of course/content_type/topics/difficulty; unit length.
std::vector<float> content_hash_vector(const CatalogItem& item, int dim);

// True when an If-None-Match header value ("*", or a list of possibly weak tags) names etag.
bool etag_matches(const std::string& if_none_match, const std::string& etag);

// The set being served; swapped whole by the refresh job.
class CandidateCache {
 public:
  void publish(CandidateSet set);
  std::shared_ptr<const CandidateSet> current() const;
  // Seconds since the served set was built; -1 before the first build.
  double age_seconds(std::int64_t now_ms) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const CandidateSet> current_;
};

}  // namespace gradvy_sync
