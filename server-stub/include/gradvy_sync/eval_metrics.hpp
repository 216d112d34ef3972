// Ranking metrics of the offline evaluation (definitions in docs/BENCHMARKS.md):
//  NDCG@k   = DCG@k / IDCG@k with binary relevance, DCG@k = Σ_{r<k, hit} 1/log2(r+2),
//             IDCG@k the DCG of min(k, |test|) hits at the top;
//  Recall@k = hits in the top k / |test|  (the plain definition: a user with
//             more held-out items than k cannot reach 1; this is what makes the
//             issue's popularity figure 0.227 reproducible);
//  coverage = distinct items shown in any user's top k / distinct items that
//             were a candidate for at least one evaluated user.
// NDCG and Recall are averaged over users (each user weighs the same).
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace gradvy_sync {

double ndcg_at_k(const std::vector<std::uint32_t>& ranked, const std::vector<std::uint32_t>& relevant, std::size_t k);
double recall_at_k(const std::vector<std::uint32_t>& ranked, const std::vector<std::uint32_t>& relevant, std::size_t k);

struct RankingMetrics {
  std::size_t users = 0;
  double ndcg = 0.0;
  double recall = 0.0;
  double coverage = 0.0;
  std::size_t items_shown = 0;
  std::size_t candidate_items = 0;
};

class RankingMetricsAccumulator {
 public:
  explicit RankingMetricsAccumulator(std::size_t k) : k_(k) {}
  // One evaluated user: the full ranked candidate list (only the top k is
  // read), the held-out items and the candidate set (for coverage).
  void add(const std::vector<std::uint32_t>& ranked, const std::vector<std::uint32_t>& relevant,
           const std::vector<std::uint32_t>& candidates);
  RankingMetrics result() const;
  std::size_t k() const { return k_; }

 private:
  std::size_t k_;
  std::size_t users_ = 0;
  double ndcg_sum_ = 0.0, recall_sum_ = 0.0;
  std::set<std::uint32_t> shown_, candidates_;
};

}  // namespace gradvy_sync
