// Options and factor weights of the reranker. Weights are configuration (the
// offline evaluation tunes them), overridable per call from JSON.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/status.hpp"

namespace gradvy {

// The factors of a score, in the order they are reported.
enum class Factor : std::uint8_t {
  goal_match,    // topics in the declared goals (or learned topic affinity)
  interest,      // cosine(item embedding, learned interest vector), -1..1
  difficulty,    // fit of the item's difficulty to the estimated level + stretch
  rating,        // Bayesian-average rating / rating scale
  popularity,    // log1p(popularity) / max over the candidates
  progression,   // prerequisites completed: 1.5 * fraction - 0.5; 0 without prerequisites
  content_type,  // declared preferred format (1) or learned share of that format
  freshness,     // 2^(-age / freshness half-life); 0 if unknown
  time_fit,      // fits the weekly time budget within 4 weeks
  feedback,      // -(closeness to an item given a thumbs-down), 0..-1
  recent_interest,  // cosine(item embedding, short-term interest vector), -1..1: "what next"
};
inline constexpr std::size_t kFactorCount = 11;
std::string_view to_string(Factor factor);

struct RerankWeights {
  std::array<double, kFactorCount> w{};
  double& operator[](Factor f) { return w[static_cast<std::size_t>(f)]; }
  double operator[](Factor f) const { return w[static_cast<std::size_t>(f)]; }
  static RerankWeights personalized_defaults();
  static RerankWeights fallback_defaults();  // popular/trending for the declared goals
};

struct RerankOptions {
  std::size_t limit = 20;               // 1..5000 items returned
  double diversity = 0.6;               // 0..1; MMR lambda = 1 - diversity
  // MMR re-orders only the head: the top max(diversity_pool_min,
  // diversity_pool_factor x limit) items by score (all if fewer). Keeps the
  // cost at O(limit x pool x d) and never surfaces a far-down item just for
  // being different. diversity_pool_factor 0 = the whole list.
  std::size_t diversity_pool_factor = 10;
  std::size_t diversity_pool_min = 100;
  // MMR counts two items as redundant only above this cosine: the penalty is
  // max(0, (cos - floor) / (1 - floor)). Items that are merely related (the
  // next steps of one course, cos 0.5-0.9) are not pushed apart, near-duplicates
  // are, so the default diversity costs little relevance. 0 = plain MMR.
  double diversity_similarity_floor = 0.9;
  bool include_free = true;             // false: free items are filtered out
  std::optional<bool> free_only;        // unset: the learner's declared free_only
  bool consider_ratings = true;
  bool exclude_completed = true;
  bool explain = true;                  // detail strings for the returned items
  RerankWeights weights = RerankWeights::personalized_defaults();
  RerankWeights fallback_weights = RerankWeights::fallback_defaults();
  double rating_prior_mean = 3.5;       // Bayesian average prior ...
  double rating_prior_count = 10.0;     // ... worth this many ratings
  double rating_scale = 5.0;            // maximum rating
  double freshness_half_life_days = 180.0;
  double difficulty_sigma = 0.6;        // width of the difficulty fit bell
  double neighbour_threshold = 0.6;     // cosine above which a thumbs-down demotes
  std::size_t max_negative_examples = 8;  // most recent thumbs-down items considered

  Status validate() const;
  // Partial override from {"limit", "diversity", "include_free", "free_only",
  // "consider_ratings", "exclude_completed", "explain", "weights": {factor: w},
  // "fallback_weights": {...}, "rating_prior_mean", ...}; unknown keys refused.
  static Result<RerankOptions> from_json(const nlohmann::json& doc);
  static Result<RerankOptions> from_json_text(std::string_view text);
  nlohmann::json to_json() const;
};

}  // namespace gradvy
