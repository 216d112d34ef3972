// Item–item co-occurrence in learners' histories and its PPMI transform:
// the first half of the `embed` pipeline (svd_embedding.hpp is the second).
//
// Co-occurrence: two distinct items co-occur for a learner when the learner
// touched both within `window_ms` of each other (0 = anywhere in the history).
// Each learner counts at most once per pair, so heavy users and repeated
// clicks do not dominate. A time window (default 7 days in `embed`) keeps the
// order of study: items used in the same week of a course end up close,
// items from the first and last week do not — which is what predicts the
// next items a learner opens. A whole-history window makes every item of a
// course co-occur with every other for learners who finish it.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/SparseCore>

#include "gradvy_sync/interaction_log.hpp"

namespace gradvy_sync {

using SparseMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, std::int64_t>;

struct CooccurrenceOptions {
  std::int64_t window_ms = 7LL * 86400000;  // 0 = whole history
};

// Symmetric n_items × n_items counts (zero diagonal): entry (a, b) is the
// number of learners for whom a and b co-occur. `interactions` must be sorted
// by (user, ts) as InteractionData keeps them.
SparseMatrix cooccurrence_counts(const std::vector<Interaction>& interactions, std::size_t n_items,
                                 const CooccurrenceOptions& options);

// Positive PMI with context-distribution smoothing (Levy, Goldberg & Dagan 2015):
//   PMI(a, b) = log( #(a,b) · Σ_c #(c)^α / ( #(a) · #(b)^α ) ),   #(a) = Σ_b #(a,b)
//   PPMI = max(PMI, 0)
// α < 1 raises rare contexts' probability and so tames PMI's bias toward rare
// items. The smoothing makes PMI asymmetric; the result is symmetrised as
// (M + Mᵀ) / 2 so the embedding can use a symmetric eigensolver.
SparseMatrix ppmi(const SparseMatrix& counts, double alpha = 0.75);

}  // namespace gradvy_sync
