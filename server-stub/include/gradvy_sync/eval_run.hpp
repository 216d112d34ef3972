// `gradvy-sync eval` as a library call: the offline evaluation protocol
// (eval_split.hpp) with the popularity baseline (eval_popularity.hpp) and the
// personalized ranking made by the REAL on-device code — each user's training
// events replayed through gradvy::LearnerProfile, candidates ranked by
// gradvy::rerank — on embeddings learned from the training part only.
//
// Candidates of a user: every catalogue item of the user's course
// (user_course(): majority course of the training items; the whole catalogue
// when the items CSV has no course column) not seen in the user's training part.
//
// Replay: every training interaction becomes one ProfileEvent
// {course_interaction, action view, weight = the row's weight (clicks; the
// profile log-scales it), content_type = activity_type, ts}. Before ranking,
// the user's course catalogue is shown to the profile (remember_candidates),
// as the app's catalogue would be, so trained-on items carry embeddings.
// Ranking time = the split time; consent granted. Candidate metadata the
// reranker sees: popularity = training popularity, content_type; nothing else
// (OULAD has no ratings, topics, difficulty, prices).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "gradvy/profile_config.hpp"
#include "gradvy/rerank_options.hpp"
#include "gradvy_sync/embed_items.hpp"
#include "gradvy_sync/eval_metrics.hpp"
#include "gradvy_sync/eval_split.hpp"
#include "gradvy_sync/interaction_log.hpp"

namespace gradvy_sync {

struct EvalConfig {
  std::size_t k = 10;
  EvalSplitOptions split;
  EmbedOptions embed;              // computed on the training part
  gradvy::ProfileConfig profile;   // passed to every replayed LearnerProfile
  gradvy::RerankOptions rerank;    // limit is overwritten by k
  std::function<void(const std::string&)> progress;

  // The evaluation's defaults: the shipped defaults of profile and reranker
  // plus the overrides in eval_default_profile_json()/eval_default_rerank_json()
  // (currently none).
  static EvalConfig defaults();
};

// Overrides the eval applies on top of the product defaults, as JSON for the
// public from_json APIs (printed by `eval`; "{}" = none, see docs/BENCHMARKS.md).
const char* eval_default_profile_json();
const char* eval_default_rerank_json();

struct EvalReport {
  std::size_t users = 0;          // evaluated (eligible) users
  std::size_t test_items = 0;     // held-out items over all users
  std::size_t cold_fallbacks = 0;  // users the reranker answered with source = "fallback"
  RankingMetrics popularity;
  RankingMetrics personalized;
  std::size_t content_vectors = 0;  // items without co-occurrence in training
  double seconds_embed = 0.0, seconds_rank = 0.0;
};

// Throws std::runtime_error if the real reranker refuses an input (a bug).
EvalReport run_evaluation(const InteractionData& data, const EvalConfig& config);

// `name=value` lines (4 decimals), e.g. "popularity.ndcg@10=0.2691".
std::string format_eval_report(const EvalReport& report, const EvalConfig& config);

}  // namespace gradvy_sync
