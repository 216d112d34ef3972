// Candidates for the reranker: metadata parsed from JSON plus one contiguous
// n x d float32 embedding buffer, validated and prepared once (unit rows, id
// order, interned topics) so that repeated rerank calls only score.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gradvy/status.hpp"

namespace gradvy {

// Documented bounds (limit_exceeded above them).
inline constexpr std::size_t kMaxCandidates = 5000;
inline constexpr std::size_t kMaxEmbeddingDim = 512;
inline constexpr std::size_t kMaxCandidateIdLength = 256;

struct Candidate {
  std::string id;
  std::vector<std::string> topics;         // as given (display); matched case-insensitively
  double difficulty = 0.0;                 // 1 beginner .. 3 advanced; 0 unknown
  double rating = 0.0;                     // mean rating, 0..rating scale (5)
  double rating_count = 0.0;               // number of ratings (0 = unrated)
  bool free = false;
  double popularity = 0.0;                 // e.g. enrolments or clicks, >= 0
  std::string content_type;                // "video", "course", OULAD activity_type, ...
  double duration_minutes = 0.0;           // 0 unknown
  std::vector<std::string> prerequisites;  // item ids
  std::int64_t published_at = 0;           // ms since epoch; 0 unknown
};

// Accepts a JSON array of candidate objects, or {"candidates": [...]}. Fields:
// id (required), topics, difficulty (1..3 or "beginner|intermediate|advanced"),
// rating, rating_count, free, popularity, content_type, duration_minutes
// (or duration), prerequisites, published_at (ms). Unknown fields are ignored
// (apps send their own, e.g. title). Errors name the index and field.
Result<std::vector<Candidate>> candidates_from_json(std::string_view text);
Status validate(const Candidate& c, std::size_t index);

class CandidateSet {
 public:
  // `embeddings` holds n rows of d floats (row-major); n must equal
  // candidates.size(). Errors: empty_input, limit_exceeded (n > 5000, d > 512),
  // dimension_mismatch, non_finite, duplicate_id, invalid_argument.
  static Result<CandidateSet> create(std::vector<Candidate> candidates, const float* embeddings,
                                     std::size_t n, std::size_t d);
  // Same, for a buffer whose length is known (a Float32Array): float_count
  // must be candidates.size() * d.
  static Result<CandidateSet> create_from_buffer(std::vector<Candidate> candidates, const float* embeddings,
                                                 std::size_t float_count, std::size_t d);

  std::size_t size() const { return candidates_.size(); }
  std::size_t dim() const { return d_; }
  const Candidate& operator[](std::size_t i) const { return candidates_[i]; }
  const std::vector<Candidate>& candidates() const { return candidates_; }
  // Row i scaled to unit length (all zeros if the input row was zero).
  const float* unit_row(std::size_t i) const { return unit_.data() + i * d_; }
  // Position of candidate i's id in byte-wise sorted id order: the tie-break.
  std::uint32_t id_rank(std::size_t i) const { return id_rank_[i]; }
  const std::uint32_t* id_ranks() const { return id_rank_.data(); }
  std::optional<std::size_t> index_of(std::string_view id) const;

  // Interned, normalized topics and content types.
  const std::vector<std::string>& topic_names() const { return topic_names_; }
  const std::vector<std::string>& topic_display() const { return topic_display_; }
  const std::uint32_t* topics_begin(std::size_t i) const { return topic_index_.data() + topic_offset_[i]; }
  const std::uint32_t* topics_end(std::size_t i) const { return topic_index_.data() + topic_offset_[i + 1]; }
  const std::vector<std::string>& content_type_names() const { return content_type_names_; }
  int content_type_of(std::size_t i) const { return content_type_[i]; }  // -1 none
  double log_popularity(std::size_t i) const { return log_popularity_[i]; }
  double max_log_popularity() const { return max_log_popularity_; }
  std::vector<std::string> normalized_topics(std::size_t i) const;

 private:
  std::vector<Candidate> candidates_;
  std::size_t d_ = 0;
  std::vector<float> unit_;
  std::vector<std::uint32_t> id_rank_;
  std::unordered_map<std::string, std::uint32_t> index_;
  std::vector<std::string> topic_names_, topic_display_, content_type_names_;
  std::vector<std::uint32_t> topic_offset_, topic_index_;
  std::vector<int> content_type_;
  std::vector<double> log_popularity_;
  double max_log_popularity_ = 0.0;
};

}  // namespace gradvy
