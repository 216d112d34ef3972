// Truncated spectral embedding of a symmetric item–item matrix (PPMI):
// the second half of the `embed` pipeline.
//
// For symmetric M = V Λ Vᵀ we keep the `dim` largest POSITIVE eigenvalues:
// that is the truncated SVD of M's nearest positive-semidefinite matrix.
// (Directions with negative eigenvalues encode dissimilarity; scaling them by
// |λ| as a plain SVD would makes dissimilar items look alike.) Rows of
// V_d · sqrt(Λ_d) are the item vectors (Levy et al.'s symmetric weighting),
// then L2-normalised so cosine similarity is a dot product.
//
// Solvers: exact dense Eigen::SelfAdjointEigenSolver up to `dense_max_items`
// (O(n³)); above that a seeded randomized subspace iteration with
// Rayleigh–Ritz (Halko, Martinsson & Tropp 2011), O(nnz · block) per pass.
// Eigenvector signs are fixed (largest-magnitude entry positive) so output is
// identical across runs and platforms with the same libm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "gradvy_sync/ppmi_matrix.hpp"

namespace gradvy_sync {

enum class SvdSolver { automatic, dense, randomized };

struct SvdEmbeddingOptions {
  int dim = 32;
  SvdSolver solver = SvdSolver::automatic;
  std::int64_t dense_max_items = 3000;  // automatic: dense up to this many items
  int power_iterations = 8;             // randomized only
  int oversample = 16;                  // randomized only: extra block columns
  std::uint64_t seed = 0x67726164767931ull;
};

struct SvdEmbedding {
  Eigen::MatrixXf vectors;        // n × dim; unit rows, or all-zero rows where has_vector is false
  std::vector<bool> has_vector;   // false for items with no positive-spectrum signal (e.g. no co-occurrence)
  int effective_dim = 0;          // positive eigenvalues kept (≤ dim; the rest of each row is 0)
  std::vector<double> eigenvalues;  // the kept ones, descending
  std::string solver;             // "dense" or "randomized"
};

SvdEmbedding svd_embed(const SparseMatrix& symmetric, const SvdEmbeddingOptions& options);

}  // namespace gradvy_sync
