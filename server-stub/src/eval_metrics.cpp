#include "gradvy_sync/eval_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace gradvy_sync {

static bool contains(const std::vector<std::uint32_t>& items, std::uint32_t item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

double ndcg_at_k(const std::vector<std::uint32_t>& ranked, const std::vector<std::uint32_t>& relevant,
                 std::size_t k) {
  if (relevant.empty() || k == 0) return 0.0;
  double dcg = 0.0;
  for (std::size_t r = 0; r < ranked.size() && r < k; ++r) {
    if (contains(relevant, ranked[r])) dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  }
  double ideal = 0.0;
  for (std::size_t r = 0; r < std::min(k, relevant.size()); ++r) ideal += 1.0 / std::log2(static_cast<double>(r) + 2.0);
  return dcg / ideal;
}

double recall_at_k(const std::vector<std::uint32_t>& ranked, const std::vector<std::uint32_t>& relevant,
                   std::size_t k) {
  if (relevant.empty()) return 0.0;
  std::size_t hits = 0;
  for (std::size_t r = 0; r < ranked.size() && r < k; ++r) hits += contains(relevant, ranked[r]) ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(relevant.size());
}

void RankingMetricsAccumulator::add(const std::vector<std::uint32_t>& ranked,
                                    const std::vector<std::uint32_t>& relevant,
                                    const std::vector<std::uint32_t>& candidates) {
  ++users_;
  ndcg_sum_ += ndcg_at_k(ranked, relevant, k_);
  recall_sum_ += recall_at_k(ranked, relevant, k_);
  for (std::size_t r = 0; r < ranked.size() && r < k_; ++r) shown_.insert(ranked[r]);
  candidates_.insert(candidates.begin(), candidates.end());
}

RankingMetrics RankingMetricsAccumulator::result() const {
  RankingMetrics m;
  m.users = users_;
  if (users_) {
    m.ndcg = ndcg_sum_ / static_cast<double>(users_);
    m.recall = recall_sum_ / static_cast<double>(users_);
  }
  m.items_shown = shown_.size();
  m.candidate_items = candidates_.size();
  m.coverage = candidates_.empty() ? 0.0 : static_cast<double>(shown_.size()) / static_cast<double>(candidates_.size());
  return m;
}

}  // namespace gradvy_sync
