#include "gradvy_sync/ppmi_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace gradvy_sync {

SparseMatrix cooccurrence_counts(const std::vector<Interaction>& interactions, std::size_t n_items,
                                 const CooccurrenceOptions& options) {
  // Per-user distinct pairs (a < b) packed in 64 bits, summed across users.
  std::unordered_map<std::uint64_t, double> totals;
  std::vector<std::uint64_t> pairs;
  std::size_t begin = 0;
  while (begin < interactions.size()) {
    std::size_t end = begin;
    while (end < interactions.size() && interactions[end].user == interactions[begin].user) ++end;
    pairs.clear();
    for (std::size_t i = begin; i < end; ++i) {
      for (std::size_t j = i + 1; j < end; ++j) {
        if (options.window_ms > 0 && interactions[j].ts_ms - interactions[i].ts_ms > options.window_ms) break;
        std::uint64_t a = interactions[i].item, b = interactions[j].item;
        if (a == b) continue;
        if (a > b) std::swap(a, b);
        pairs.push_back((a << 32) | b);
      }
    }
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    for (std::uint64_t key : pairs) totals[key] += 1.0;
    begin = end;
  }
  std::vector<Eigen::Triplet<double, std::int64_t>> triplets;
  triplets.reserve(totals.size() * 2);
  for (const auto& [key, count] : totals) {
    const auto a = static_cast<std::int64_t>(key >> 32);
    const auto b = static_cast<std::int64_t>(key & 0xFFFFFFFFu);
    triplets.emplace_back(a, b, count);
    triplets.emplace_back(b, a, count);
  }
  SparseMatrix counts(static_cast<std::int64_t>(n_items), static_cast<std::int64_t>(n_items));
  counts.setFromTriplets(triplets.begin(), triplets.end());  // sorted storage: order of `totals` does not matter
  counts.makeCompressed();
  return counts;
}

SparseMatrix ppmi(const SparseMatrix& counts, double alpha) {
  const auto n = counts.rows();
  Eigen::VectorXd row_sum = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd col_sum = Eigen::VectorXd::Zero(n);
  double total = 0.0;
  for (std::int64_t r = 0; r < n; ++r) {
    for (SparseMatrix::InnerIterator it(counts, r); it; ++it) {
      row_sum[r] += it.value();
      col_sum[it.col()] += it.value();
      total += it.value();
    }
  }
  double smoothed_total = 0.0;
  Eigen::VectorXd col_smoothed(n);
  for (std::int64_t c = 0; c < n; ++c) {
    col_smoothed[c] = col_sum[c] > 0 ? std::pow(col_sum[c], alpha) : 0.0;
    smoothed_total += col_smoothed[c];
  }
  std::vector<Eigen::Triplet<double, std::int64_t>> triplets;
  if (total <= 0.0) return SparseMatrix(n, n);
  for (std::int64_t r = 0; r < n; ++r) {
    for (SparseMatrix::InnerIterator it(counts, r); it; ++it) {
      if (it.value() <= 0.0) continue;
      // P(a,b) / (P(a) · P_α(b)) with P(a,b) = #(a,b)/D, P(a) = #(a)/D, P_α(b) = #(b)^α / Σ #(c)^α.
      const double pmi = std::log(it.value() * smoothed_total / (row_sum[r] * col_smoothed[it.col()]));
      if (pmi <= 0.0) continue;
      triplets.emplace_back(r, it.col(), 0.5 * pmi);
      triplets.emplace_back(it.col(), r, 0.5 * pmi);  // symmetrise: (M + Mᵀ) / 2
    }
  }
  SparseMatrix out(n, n);
  out.setFromTriplets(triplets.begin(), triplets.end());
  out.makeCompressed();
  return out;
}

}  // namespace gradvy_sync
