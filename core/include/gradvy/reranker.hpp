// The reranker: orders cached candidates for one learner, with a reason per
// item. Pure function of (profile, candidates, options, consent flag, now).
//
// score(i) = sum over factors f of weight_f * value_f(i)   (see Factor)
// Filters: completed (exclude_completed), dismissed, thumbs-down, free-only /
// include_free. Then MMR with lambda = 1 - diversity. Ties: score, then id.
// Without personalization consent, or with a cold profile, the learned state
// is not used: the order is popular/trending for the declared goals
// (fallback_weights), source = "fallback" with the reason. Without consent the
// profile is not read beyond declared preferences and not written at all.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/profile.hpp"
#include "gradvy/rerank_candidates.hpp"
#include "gradvy/rerank_options.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// 2: short-term interest factor, near-duplicate MMR floor, popularity prior 0.15.
inline constexpr const char* kRerankAlgorithmVersion = "gradvy-rerank-2";
inline constexpr const char* kReasonNoConsent = "no personalization consent";
inline constexpr const char* kReasonCold = "not enough activity yet";

struct RankedItem {
  std::string id;
  std::size_t index = 0;                        // position in the input
  double score = 0.0;                           // == sum of factors
  std::array<double, kFactorCount> factors{};   // weighted contributions
  std::array<std::string, kFactorCount> details;  // filled only with explain
  std::string reason;                           // detail of the strongest factor (explain)
};

struct RerankResult {
  std::vector<RankedItem> items;
  std::string source;           // "personalized" | "fallback"
  std::string fallback_reason;  // empty when personalized
  std::string algorithm_version = kRerankAlgorithmVersion;
  std::size_t candidates = 0;   // input size
  std::size_t eligible = 0;     // after filters
  std::size_t filtered_completed = 0, filtered_dismissed = 0, filtered_thumbs_down = 0, filtered_free = 0;
};

// Ranks a prepared set (the fast path: prepare once, rerank on every render).
// With consent, also applies retention and caches embeddings/metadata of items
// the profile already tracks (that is how the interest vector learns the
// embedding space), which is why the profile is not const.
Result<RerankResult> rerank(LearnerProfile& profile, const CandidateSet& candidates, const RerankOptions& options,
                            bool personalization_granted, std::int64_t now_ms);

// One-shot: validates and prepares, then ranks. `embeddings` is n x d row-major.
Result<RerankResult> rerank(LearnerProfile& profile, std::vector<Candidate> candidates, const float* embeddings,
                            std::size_t n, std::size_t d, const RerankOptions& options,
                            bool personalization_granted, std::int64_t now_ms);

// Caches embeddings/metadata of the set's items that the profile tracks
// (e.g. a whole catalogue, so the interest vector covers items that will not be
// candidates again). Returns how many items were matched.
std::size_t remember_candidates(LearnerProfile& profile, const CandidateSet& candidates);

// {"source", "reason"?, "algorithm_version", "items":[{"id","score","reason",
//   "factors":[{"name","value","detail"}]}], "stats":{...}}
nlohmann::json to_json(const RerankResult& result);

}  // namespace gradvy
